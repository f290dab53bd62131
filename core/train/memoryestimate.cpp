#include "upstep/train/memoryestimate.h"

#include "common/runtime.h"
#include "common/torchcompat.h"
#include "method/projectionhead.h"
#include "upstep/common/units.h"

#include <algorithm>
#include <cmath>

namespace upstep::core {

namespace {

constexpr double kFloat = 4;

// Bytes one image keeps for back-propagation through the ViT: per block the float32 residual
// stream into both LayerNorms, the cast inputs and outputs of qkv, the attention output and the
// projection, the MLP's two hidden tensors, and, without the fused kernel, the attention scores
// and their softmax (float32 under autocast).
double vitActivationBytes(const VitShape &v, int side, double b, bool fused)
{
    const double grid = std::max(1, side / std::max(1, v.patch));
    const double tokens = grid * grid + v.prefixTokens();
    const double d = v.dim, m = v.swiglu ? 1.5 * v.mlpDim : v.mlpDim;
    const double perBlock = 2 * tokens * d * kFloat + b * (7 * tokens * d + 2 * tokens * m) +
                            (fused ? 0.0 : tokens * tokens * v.heads * (b + kFloat));
    return v.depth * perBlock + tokens * d * (b + kFloat); // + patch embedding and final norm
}

// ConvNeXt block at C channels and P pixels: depthwise conv in and out, the float32 LayerNorm, the
// MLP's input, two 4C hidden tensors and output, and the residual.
double convnextActivationBytes(const ConvNextShape &c, int side, double b)
{
    double bytes = 0;
    double pixels = std::pow(side / 4.0, 2);
    for (int s = 0; s < 4; ++s) {
        const double perBlock = c.dims[s] * pixels * (2 * b + 2 * kFloat + b + 8 * b + b);
        bytes += c.depths[s] * perBlock;
        pixels /= 4;
    }
    return bytes;
}

// ResNet: per block each convolution's cast input and output and the float32 batch norm and ReLU
// outputs after it; stem at a quarter of the input's pixels.
double resnetActivationBytes(const ResNetShape &r, int side, double b)
{
    double pixels = std::pow(side / 4.0, 2);
    double bytes = 64 * pixels * 4 * (b + 2 * kFloat); // stem conv (at half side) and the pool
    for (int s = 0; s < 4; ++s) {
        const double width = 64.0 * (1 << s) * r.widthPerGroup / 64.0;
        const double perBlock = r.bottleneck
                                    ? pixels * (2 * width * (2 * b + 2 * kFloat) + 4 * width * (2 * b + 3 * kFloat))
                                    : pixels * 2 * width * (2 * b + 2 * kFloat);
        bytes += r.layers[s] * perBlock;
        if (s < 3)
            pixels /= 4;
    }
    return bytes;
}

double activationBytesPerImage(const ArchSpec &spec, int side, bool bf16, bool fused)
{
    const double b = bf16 ? 2 : kFloat;
    switch (spec.family) {
    case ArchFamily::Vit: return vitActivationBytes(spec.vit, side, b, fused);
    case ArchFamily::ConvNext: return convnextActivationBytes(spec.convnext, side, b);
    case ArchFamily::ResNet: return resnetActivationBytes(spec.resnet, side, b);
    }
    return 0;
}

std::string gb(std::int64_t bytes) { return gigabytesNumber(static_cast<double>(bytes)); }

} // namespace

MemoryEstimate estimateTrainingMemory(const ArchSpec &spec, std::int64_t parameters, std::int64_t trainable,
                                      const TrainConfig &config, bool bf16, bool fusedAttention, bool onDevice)
{
    const auto &p = spec.preprocessing;
    const int side = p.inputSize;
    const int smallSide = std::max(8, side * 96 / 224);
    const double views = 2.0 * config.batchSize; // two global views per image
    const double crops = static_cast<double>(config.batchSize) * config.smallCrops;
    const double image = spec.inChans * static_cast<double>(side) * side * kFloat;
    const double smallImage = spec.inChans * static_cast<double>(smallSide) * smallSide * kFloat;
    // The loader's prefetch queue (4), one batch per worker being made, the one in use.
    const double batchesInFlight = 4 + std::max(1, config.workers) + 1;

    MemoryEstimate e;
    e.onDevice = onDevice;
    e.weights = static_cast<std::int64_t>(parameters * kFloat);
    e.training = static_cast<std::int64_t>(trainable * kFloat * 5); // value, gradient, 2 moments, EMA copy
    e.activations = static_cast<std::int64_t>(views * activationBytesPerImage(spec, side, bf16, fusedAttention) +
                                              crops * activationBytesPerImage(spec, smallSide, bf16, fusedAttention));
    e.batches = static_cast<std::int64_t>(batchesInFlight * (views * image + crops * smallImage));
    e.probes = static_cast<std::int64_t>(config.probeImages * image +
                                         (config.sourceProbe.empty() ? 0.0 : config.sourceProbeImages * image));
    return e;
}

std::int64_t projectionHeadParameters(std::int64_t featureDim, int prototypes)
{
    const ProjectionHeadConfig head;
    const std::int64_t hidden = head.hiddenDim, out = head.outputDim;
    return featureDim * hidden + hidden * hidden + hidden * out + 2 * hidden + out +
           static_cast<std::int64_t>(prototypes) * out;
}

MemoryEstimate estimateTrainingMemory(const ArchSpec &spec, std::int64_t parameters, const TrainConfig &config)
{
    const auto device = resolveDevice(config.device);
    const bool bf16 = resolvePrecision(config.precision, device) == torch::kBFloat16;
    return estimateTrainingMemory(spec, parameters, projectionHeadParameters(spec.featureDim(), config.prototypes),
                                  config, bf16, compat::kFusedAttention, device.is_cuda());
}

std::string describeMemoryEstimate(const MemoryEstimate &e)
{
    std::string text = "about " + gb(e.total()) + " GB (weights " + gb(e.weights) + ", training state " +
                       gb(e.training) + ", activations " + gb(e.activations) + ", batches " + gb(e.batches) +
                       ", probes " + gb(e.probes) + ", program " + gb(e.runtime) + ")";
    if (e.onDevice)
        text += ", of which " + gb(e.device()) + " GB on the GPU";
    return text;
}

} // namespace upstep::core
