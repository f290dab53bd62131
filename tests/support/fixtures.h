#pragma once
// Small real inputs the training and export tests share: a tiny ViT for 28x28 gray images saved
// as a weights file, and Fashion-MNIST subsets imported from the real IDX files into folders.

#include "models/adapterfile.h"
#include "upstep/run/trainconfig.h"

#include <torch/nn/module.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace upstep::test {

/// Architecture of the tiny test ViT (patch 7, depth 2, width 32, 10-class head).
inline constexpr const char *kTinyVitArch =
    "vit,img_size=28,patch=7,depth=2,dim=32,heads=2,mlp_dim=64,in_chans=1,num_classes=10,mean=0.5/0.5/0.5,"
    "std=0.5/0.5/0.5,crop_pct=1";

/// The largest absolute elementwise difference of two tensors of one shape.
inline double maxDifference(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

/// Exports the adapter on `base` as a PEFT folder and as merged weights; exportAdapter reloads
/// each and compares it with the adapted model before publishing. True when both were within
/// their tolerance.
bool exportBoth(const core::Adapter &adapter, const std::filesystem::path &base, const std::filesystem::path &peftOut,
                const std::filesystem::path &mergedOut);

/// Writes a randomly initialised tiny ViT (seeded) to file.
void writeTinyVit(const std::filesystem::path &file, unsigned seed = 0);

/// Gives every lora_B of model seeded normal values (std), as after training: a fresh LoRA is
/// the identity (B = 0), which no export or merge test could tell apart from no adapter.
void randomizeLoraB(torch::nn::Module &model, double std, unsigned seed);

/// Imports the first `limit` images of Fashion-MNIST "train" or "t10k" into dir, one sub-folder
/// per class (usable unlabeled too: the scan then ignores the folder names).
void importFashionSubset(const std::filesystem::path &dir, const std::string &split, int limit);

/// A short, fast adaptation of root/tiny.safetensors to root/target on the CPU in fp32: batch 16,
/// 32 prototypes and probe images, a metrics record every 2 steps. Tests set what they check.
core::TrainConfig tinyTrainConfig(const std::filesystem::path &root, std::int64_t steps);

} // namespace upstep::test
