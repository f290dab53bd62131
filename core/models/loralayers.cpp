#include "models/loralayers.h"

#include "upstep/common/error.h"

#include <cmath>

namespace upstep::core {

template <typename Derived>
void LoraControls<Derived>::requireUnmerged(const char *what) const
{
    if (m_lora.merged)
        throw InputError(std::string("cannot ") + what + " while the adapter is merged; unmerge first");
}

template <typename Derived>
void LoraControls<Derived>::beginAttach(int rank, double alpha)
{
    if (rank < 1)
        throw InputError("LoRA rank must be at least 1, got " + std::to_string(rank));
    if (!(alpha > 0))
        throw InputError("LoRA alpha must be positive");
    if (hasLora())
        throw InputError("this layer already carries a LoRA adapter");
    m_lora.rank = rank;
    m_lora.alpha = alpha;
}

template class LoraControls<LoraLinearImpl>;
template class LoraControls<LoraConv2dImpl>;

// ---- Linear ---------------------------------------------------------------------------------

LoraLinearImpl::LoraLinearImpl(std::int64_t in, std::int64_t out, bool withBias) : m_in(in), m_out(out)
{
    // torch.nn.Linear's default initialisation.
    weight = register_parameter("weight", torch::empty({out, in}));
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (withBias) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        bias = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
    }
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor &x)
{
    return addAdapter(torch::nn::functional::linear(x, weight, bias), x);
}

void LoraLinearImpl::attachLora(int rank, double alpha)
{
    beginAttach(rank, alpha);
    // PEFT: A is Kaiming-uniform (as nn.Linear), B is zero.
    lora_A = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(m_in, rank).bias(false)));
    lora_B = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(rank, m_out).bias(false)));
    finishAttach();
}

torch::Tensor LoraLinearImpl::deltaWeight() const
{
    if (!hasLora())
        return torch::zeros_like(weight);
    return torch::matmul(effectiveB(), lora_A->weight) * m_lora.effectiveScale();
}

torch::Tensor LoraLinearImpl::effectiveB() const
{
    if (!m_rowMask.defined())
        return lora_B->weight;
    return lora_B->weight * m_rowMask.to(lora_B->weight.options()).unsqueeze(1);
}

torch::Tensor LoraLinearImpl::adapterPath(const torch::Tensor &x)
{
    if (m_rowMask.defined() && m_rowMask.device() != lora_B->weight.device())
        m_rowMask = m_rowMask.to(lora_B->weight.device()); // once, not on every forward
    const auto down = lora_A(x);
    return m_rowMask.defined() ? torch::nn::functional::linear(down, effectiveB()) : lora_B(down);
}

void LoraLinearImpl::setAdaptedRows(torch::Tensor rowMask)
{
    requireUnmerged("restrict LoRA's rows");
    if (rowMask.defined() && (rowMask.dim() != 1 || rowMask.size(0) != m_out))
        throw InputError("LoRA row mask has shape " + c10::str(rowMask.sizes()) + ", expected [" +
                         std::to_string(m_out) + "]");
    m_rowMask = rowMask.defined() ? rowMask.to(torch::kFloat32) : rowMask;
}

// ---- Conv2d ---------------------------------------------------------------------------------

LoraConv2dImpl::LoraConv2dImpl(std::int64_t in, std::int64_t out, int kernel, int stride, int padding, bool withBias)
    : m_in(in), m_out(out), m_kernel(kernel), m_stride(stride), m_padding(padding)
{
    weight = register_parameter("weight", torch::empty({out, in, kernel, kernel}));
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (withBias) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in * kernel * kernel));
        bias = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
    }
}

torch::Tensor LoraConv2dImpl::forward(const torch::Tensor &x)
{
    return addAdapter(torch::conv2d(x, weight, bias, m_stride, m_padding), x);
}

void LoraConv2dImpl::attachLora(int rank, double alpha)
{
    beginAttach(rank, alpha);
    // PEFT's conv LoRA: A has the base conv's kernel, stride and padding; B is a 1x1 conv.
    lora_A = register_module(
        "lora_A", torch::nn::Conv2d(
                      torch::nn::Conv2dOptions(m_in, rank, m_kernel).stride(m_stride).padding(m_padding).bias(false)));
    lora_B = register_module("lora_B", torch::nn::Conv2d(torch::nn::Conv2dOptions(rank, m_out, 1).bias(false)));
    {
        torch::NoGradGuard noGrad;
        torch::nn::init::kaiming_uniform_(lora_A->weight, std::sqrt(5.0));
    }
    finishAttach();
}

torch::Tensor LoraConv2dImpl::deltaWeight() const
{
    if (!hasLora())
        return torch::zeros_like(weight);
    const auto rank = m_lora.rank;
    const auto b = lora_B->weight.reshape({m_out, rank});
    const auto a = lora_A->weight.reshape({rank, -1});
    return torch::matmul(b, a).reshape(weight.sizes()) * m_lora.effectiveScale();
}

} // namespace upstep::core
