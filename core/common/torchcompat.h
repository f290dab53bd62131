#pragma once
// The one place for calls that differ between Debian's LibTorch 1.13 (CPU) and LibTorch 2.x
// (for example the CUDA build inside a PyTorch wheel). Everything else in core uses the API both
// share.

#include <torch/torch.h>
#include <torch/version.h>

namespace upstep::core::compat {

inline constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

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

/// Guard for inference-only code: no autograd bookkeeping at all.
using InferenceGuard = c10::InferenceMode;

} // namespace upstep::core::compat
