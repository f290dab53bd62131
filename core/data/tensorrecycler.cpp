#include "data/tensorrecycler.h"

namespace upstep::core {

torch::Tensor TensorRecycler::acquire(torch::IntArrayRef sizes)
{
    std::lock_guard lock(m_mutex);
    for (const auto &tensor : m_kept)
        if (tensor.use_count() == 1 && tensor.storage().use_count() == 1 && tensor.sizes() == sizes)
            return tensor;
    auto tensor = torch::empty(sizes, torch::kFloat32);
    if (m_kept.size() < m_keep)
        m_kept.push_back(tensor);
    return tensor;
}

} // namespace upstep::core
