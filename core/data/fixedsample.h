#pragma once
// A fixed, seeded sample of a folder, decoded once with the evaluation transform and kept in
// memory: the probe batch for mu0 and feature drift, and the source probe. The same seed and
// image list always give the same sample.
//
// Threading: runs on the caller's thread (plus the loader's workers).

#include "upstep/io/imagefolder.h"
#include "upstep/models/archspec.h"

#include <torch/torch.h>

#include <functional>

namespace upstep::core {

struct FixedSample {
    torch::Tensor images;            ///< [n, C, H, W] float32, normalised
    torch::Tensor labels;            ///< [n] int64, -1 when unlabeled
    std::vector<SkippedFile> failed; ///< drawn files that did not decode
};

/// Draws up to `count` images (seeded, without replacement) and decodes them. Files that fail
/// are reported in `failed` and not replaced.
FixedSample loadFixedSample(const ImageList &images, int count, std::uint64_t seed,
                            const Preprocessing &preprocessing, int workers = 2);

/// The same draw, passed through `embed` one decoded batch at a time, so that only what embed
/// returns is kept: a sample of thousands of 224-pixel images would not fit in memory whole.
/// Returns the rows of every batch, concatenated; files that fail go to *failed when given.
torch::Tensor embedFixedSample(const ImageList &images, int count, std::uint64_t seed,
                               const Preprocessing &preprocessing, int workers,
                               const std::function<torch::Tensor(const torch::Tensor &)> &embed,
                               std::vector<SkippedFile> *failed = nullptr);

} // namespace upstep::core
