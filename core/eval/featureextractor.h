#pragma once
// Batched feature extraction over an image list: the loader decodes ahead on its threads while
// the model runs under inference mode. Undecodable files are skipped and reported.
//
// Threading: runs on the calling thread (plus the loader's workers); progress is called there.

#include "upstep/common/choices.h"
#include "upstep/common/progress.h"
#include "upstep/io/imagefolder.h"
#include "models/backbone.h"

#include <torch/torch.h>

namespace upstep::core {

struct FeatureOptions {
    int batchSize = 64;
    int loaderWorkers = 2;
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat32; ///< the model is converted to this type and device
};

/// Options for a device and precision given by name (the jobs of the public API).
FeatureOptions featureOptionsFor(const std::string &device, Precision precision, int batchSize);

struct FeatureResult {
    torch::Tensor features;            ///< [N, D] float32 on the CPU, in the order of `images`
    ImageList images;    ///< the images that decoded, in input order
    std::vector<SkippedFile> skipped;  ///< the ones that did not, with the reason
    double seconds = 0;
};

FeatureResult extractFeatures(BackboneImpl &model, const ImageList &images,
                              const FeatureOptions &options = {}, const ProgressSink &progress = {},
                              StopFlag stop = nullptr);

/// The same images through several models that share a preprocessing (a base and its adapted
/// copy), decoding each image once: one [N, D] tensor per model, rows in the order of .images.
struct MultiFeatureResult {
    std::vector<torch::Tensor> features;
    ImageList images;
    std::vector<SkippedFile> skipped;
    double seconds = 0;
};
MultiFeatureResult extractFeaturesOfModels(const std::vector<BackboneImpl *> &models,
                                           const ImageList &images, const FeatureOptions &options = {},
                                           const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
