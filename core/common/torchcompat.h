#pragma once
// The one place for calls that differ between Debian's LibTorch 1.13 (CPU) and LibTorch 2.x
// (for example the CUDA build inside a PyTorch wheel). Everything else in core uses the API both
// share.

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace upstep::core::compat {

inline constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

/// Whether scaledDotProductAttention below uses the fused kernel, which keeps no [N, N] scores.
inline constexpr bool kFusedAttention = TORCH_VERSION_MAJOR > 2 ||
                                        (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1);

/// softmax(q k^T * scale) v for [B, H, N, d] tensors. Uses the fused kernel on 2.x.
inline torch::Tensor scaledDotProductAttention(const torch::Tensor &q, const torch::Tensor &k,
                                               const torch::Tensor &v, double scale)
{
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
    return at::scaled_dot_product_attention(q, k, v, {}, 0.0, false, scale);
#else
    // Scaling q ([.., N, d]) is cheaper than scaling the [.., N, N] scores.
    auto attn = torch::matmul(q * scale, k.transpose(-2, -1));
    return torch::matmul(attn.softmax(-1), v);
#endif
}

/// Mixed precision for a scope: with dtype bf16 (or f16), matrix products and convolutions on
/// `device` run in that type while parameters stay float32 (autocast). With float32 it turns
/// autocast off for the scope, e.g. around the loss, which must stay float32. Restores the
/// previous state on destruction. Threading: autocast state is per thread.
class AutocastGuard {
public:
    AutocastGuard(const torch::Device &device, torch::ScalarType dtype)
        : m_type(device.type() == torch::kCUDA ? at::kCUDA : at::kCPU)
    {
        m_wasEnabled = isEnabled();
        m_previousDtype = currentDtype();
        const bool enable = dtype != torch::kFloat32;
        if (enable)
            setDtype(dtype);
        setEnabled(enable);
        at::autocast::increment_nesting();
    }
    ~AutocastGuard()
    {
        if (at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
        setEnabled(m_wasEnabled);
        setDtype(m_previousDtype);
    }
    AutocastGuard(const AutocastGuard &) = delete;
    AutocastGuard &operator=(const AutocastGuard &) = delete;

private:
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    bool isEnabled() const { return at::autocast::is_autocast_enabled(m_type); }
    void setEnabled(bool on) const { at::autocast::set_autocast_enabled(m_type, on); }
    at::ScalarType currentDtype() const { return at::autocast::get_autocast_dtype(m_type); }
    void setDtype(at::ScalarType dtype) const { at::autocast::set_autocast_dtype(m_type, dtype); }
#else
    bool isEnabled() const { return m_type == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
    void setEnabled(bool on) const
    {
        if (m_type == at::kCUDA)
            at::autocast::set_enabled(on);
        else
            at::autocast::set_cpu_enabled(on);
    }
    at::ScalarType currentDtype() const
    {
        return m_type == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    }
    void setDtype(at::ScalarType dtype) const
    {
        if (m_type == at::kCUDA)
            at::autocast::set_autocast_gpu_dtype(dtype);
        else
            at::autocast::set_autocast_cpu_dtype(dtype);
    }
#endif
    at::DeviceType m_type;
    bool m_wasEnabled = false;
    at::ScalarType m_previousDtype = at::kFloat;
};

/// Guard for inference-only code: no autograd bookkeeping at all.
using InferenceGuard = c10::InferenceMode;

} // namespace upstep::core::compat
