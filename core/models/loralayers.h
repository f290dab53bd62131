#pragma once
// Linear and 2-D convolution layers that can carry a LoRA adapter (W' = W + scale * B A), with
// Hugging Face PEFT's names and shapes: a child "lora_A" ([r, in] or a k x k conv [r, in, k, k])
// and "lora_B" ([out, r] or a 1x1 conv [out, r, 1, 1]). B starts at zero, so an adapted layer
// equals its base layer exactly until B is trained.
//
// The base weight is shared, never copied: disabling the adapter or setting its scale to 0 gives
// the base model's forward. merge() folds the adapter into the weight in place and unmerge()
// takes it out again.
//
// Threading: like any torch module, not safe for concurrent mutation; configure (attach, merge,
// enable, scale) from the thread that runs the forward passes.

#include <torch/torch.h>

namespace upstep::core {

/// Adapter state shared by both layer kinds.
struct LoraState {
    int rank = 0;
    double alpha = 0;
    double runtimeScale = 1.0; ///< user multiplier on alpha / rank
    bool enabled = true;
    bool merged = false;
    double effectiveScale() const { return rank > 0 && enabled ? alpha / rank * runtimeScale : 0.0; }
};

/// The run-time controls both layer kinds share; Derived provides `weight` and deltaWeight().
template <typename Derived>
class LoraControls {
public:
    bool hasLora() const { return m_lora.rank > 0; }
    const LoraState &lora() const { return m_lora; }
    void setLoraEnabled(bool enabled)
    {
        requireUnmerged("enable or disable LoRA");
        m_lora.enabled = enabled;
    }
    void setLoraScale(double scale)
    {
        requireUnmerged("rescale LoRA");
        m_lora.runtimeScale = scale;
    }
    /// Folds scale * B A into the base weight in place.
    void merge()
    {
        if (!hasLora() || m_lora.merged)
            return;
        torch::NoGradGuard noGrad;
        auto &self = static_cast<Derived &>(*this);
        self.weight.add_(self.deltaWeight().to(self.weight.dtype()));
        m_lora.merged = true;
    }
    void unmerge()
    {
        if (!m_lora.merged)
            return;
        torch::NoGradGuard noGrad;
        auto &self = static_cast<Derived &>(*this);
        m_lora.merged = false;
        self.weight.sub_(self.deltaWeight().to(self.weight.dtype()));
    }

protected:
    void requireUnmerged(const char *what) const;
    void beginAttach(int rank, double alpha);

    /// After the adapter modules exist: B to zero, both trainable, on the base weight's device.
    void finishAttach()
    {
        auto &self = static_cast<Derived &>(*this);
        torch::NoGradGuard noGrad;
        self.lora_B->weight.zero_();
        for (auto *module : {self.lora_A.ptr().get(), self.lora_B.ptr().get()}) {
            module->to(self.weight.device());
            for (auto &p : module->parameters())
                p.set_requires_grad(true);
        }
    }

    /// y plus the adapter's contribution on x, unless merged, disabled or scaled to zero.
    torch::Tensor addAdapter(torch::Tensor y, const torch::Tensor &x)
    {
        const double scale = m_lora.effectiveScale();
        if (m_lora.merged || scale == 0.0)
            return y;
        return y + static_cast<Derived &>(*this).adapterPath(x) * scale;
    }

    LoraState m_lora;
};

class LoraLinearImpl : public torch::nn::Module, public LoraControls<LoraLinearImpl> {
public:
    LoraLinearImpl(std::int64_t in, std::int64_t out, bool bias = true);

    torch::Tensor forward(const torch::Tensor &x);

    void attachLora(int rank, double alpha);
    /// scale * B A, the weight change the adapter makes.
    torch::Tensor deltaWeight() const;
    /// B A x, without the scale.
    torch::Tensor adapterPath(const torch::Tensor &x);

    /// Adapts only the output rows where rowMask ([out], 0 or 1) is 1, e.g. the query and value
    /// blocks of a fused qkv: B's other rows are multiplied by zero, so they get no gradient and
    /// the update leaves those outputs alone. Undefined: every row (the default).
    void setAdaptedRows(torch::Tensor rowMask);
    const torch::Tensor &adaptedRows() const { return m_rowMask; }
    /// lora_B's weight with the rows outside the mask at zero (lora_B itself when unrestricted).
    torch::Tensor effectiveB() const;

    torch::Tensor weight;
    torch::Tensor bias;
    torch::nn::Linear lora_A{nullptr};
    torch::nn::Linear lora_B{nullptr};

private:
    std::int64_t m_in, m_out;
    torch::Tensor m_rowMask;
};
TORCH_MODULE(LoraLinear);

class LoraConv2dImpl : public torch::nn::Module, public LoraControls<LoraConv2dImpl> {
public:
    LoraConv2dImpl(std::int64_t in, std::int64_t out, int kernel, int stride = 1, int padding = 0, bool bias = false);

    torch::Tensor forward(const torch::Tensor &x);

    void attachLora(int rank, double alpha);
    torch::Tensor deltaWeight() const;
    torch::Tensor adapterPath(const torch::Tensor &x) { return lora_B(lora_A(x)); }
    int kernelSize() const { return m_kernel; }

    torch::Tensor weight;
    torch::Tensor bias;
    torch::nn::Conv2d lora_A{nullptr};
    torch::nn::Conv2d lora_B{nullptr};

private:
    std::int64_t m_in, m_out;
    int m_kernel, m_stride, m_padding;
};
TORCH_MODULE(LoraConv2d);

} // namespace upstep::core
