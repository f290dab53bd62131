#pragma once
// Turns a decoded image (RGB or gray, any pixel depth: 8-bit as decoded, 16-bit, or float in
// [0, 1]) into a model input tensor [C, H, W]: channel matching, resize + centre crop
// (evaluation) or random resized crop + optional flip (training views), then per-channel
// normalisation. Resizing and cropping keep the decoded depth (8-bit resizes several times faster
// than float); conversion to float happens once, at model size, fused with the normalisation.
//
// Randomness comes only from the generator passed in, which the loader seeds per sample from
// (seed, epoch, index), so results do not depend on thread timing.
//
// Threading: pure functions, called concurrently from loader threads.

#include "upstep/models/archspec.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <random>

namespace upstep::core {

struct AugmentConfig {
    double scaleMin = 0.4; ///< random resized crop area range, as a fraction of the image
    double scaleMax = 1.0;
    double ratioMin = 3.0 / 4.0;
    double ratioMax = 4.0 / 3.0;
    bool horizontalFlip = false; ///< off by default: flipping changes meaning for text and digits
    /// Colour images only: brightness, contrast and saturation each scaled by a factor drawn
    /// from [1 - colorJitter, 1 + colorJitter], applied with probability jitterProbability.
    double colorJitter = 0.4;
    double jitterProbability = 0.8;
    double grayscaleProbability = 0.2; ///< colour images only
};

/// Colour jitter and random grayscale on an RGB float image in [0, 1]; a no-op on other
/// channel counts. Draws from rng in a fixed order, so results depend on the seed only.
cv::Mat colorAugment(const cv::Mat &image, const AugmentConfig &augment, std::mt19937_64 &rng);

/// One training view: random resized crop (+ flip), then colour augmentation.
cv::Mat trainingView(const cv::Mat &image, const Preprocessing &preprocessing, const AugmentConfig &augment,
                     std::mt19937_64 &rng);

/// Resize shorter side to preprocessing.resizeSize(), centre-crop inputSize.
cv::Mat resizeAndCenterCrop(const cv::Mat &image, const Preprocessing &preprocessing);

/// Random resized crop to inputSize, then an optional horizontal flip.
cv::Mat randomResizedCrop(const cv::Mat &image, const Preprocessing &preprocessing, const AugmentConfig &augment,
                          std::mt19937_64 &rng);

/// HWC image (already inputSize square, channels matched, any depth) to a normalised CHW tensor.
torch::Tensor normalizeToTensor(const cv::Mat &image, const Preprocessing &preprocessing);

/// The same, written into `out`, a contiguous float [C, H, W] tensor (a row of a batch).
void normalizeInto(const cv::Mat &image, const Preprocessing &preprocessing, torch::Tensor out);

/// Decoded image to model input, deterministic (evaluation path).
torch::Tensor evalTransform(const cv::Mat &decoded, const Preprocessing &preprocessing);

} // namespace upstep::core
