#include "eval/featureextractor.h"

#include "upstep/common/error.h"
#include "common/runtime.h"
#include "common/torchcompat.h"
#include "data/imageloader.h"

#include <chrono>

namespace upstep::core {

FeatureOptions featureOptionsFor(const std::string &device, Precision precision, int batchSize)
{
    FeatureOptions options;
    options.device = resolveDevice(device);
    options.dtype = resolvePrecision(precision, options.device);
    options.batchSize = batchSize;
    return options;
}

MultiFeatureResult extractFeaturesOfModels(const std::vector<BackboneImpl *> &models,
                                           const ImageList &images, const FeatureOptions &options,
                                           const ProgressSink &progress, StopFlag stop)
{
    if (models.empty())
        throw InputError("feature extraction needs a model");
    const auto start = std::chrono::steady_clock::now();
    LoaderConfig config;
    config.batchSize = options.batchSize;
    config.workers = options.loaderWorkers;
    config.preprocessing = models.front()->spec().preprocessing;
    ImageLoader loader(images, config);
    loader.startEpoch(0);

    compat::InferenceGuard inference;
    for (auto *model : models) {
        model->eval();
        model->to(options.device, options.dtype);
    }
    std::vector<std::vector<torch::Tensor>> chunks(models.size());
    std::vector<std::int64_t> kept;
    std::int64_t done = 0;
    const auto total = static_cast<std::int64_t>(images.size());
    while (auto batch = loader.next()) {
        if (stopRequested(stop)) {
            loader.stop();
            throw Cancelled();
        }
        if (!batch->indices.empty()) {
            const auto input = batch->images.to(options.device, options.dtype);
            for (std::size_t m = 0; m < models.size(); ++m)
                chunks[m].push_back(models[m]->features(input).to(torch::kCPU, torch::kFloat32));
            kept.insert(kept.end(), batch->indices.begin(), batch->indices.end());
        }
        done += static_cast<std::int64_t>(batch->indices.size());
        if (progress)
            progress({"extracting features", std::min(done + static_cast<std::int64_t>(loader.failureCount()), total),
                      total, "images"});
    }

    MultiFeatureResult result;
    for (std::size_t m = 0; m < models.size(); ++m)
        result.features.push_back(chunks[m].empty() ? torch::empty({0, models[m]->featureDim()}) : torch::cat(chunks[m]));
    for (const auto index : kept)
        result.images.append(images, static_cast<std::size_t>(index));
    result.skipped = loader.failures();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

FeatureResult extractFeatures(BackboneImpl &model, const ImageList &images,
                              const FeatureOptions &options, const ProgressSink &progress, StopFlag stop)
{
    auto multi = extractFeaturesOfModels({&model}, images, options, progress, stop);
    FeatureResult result;
    result.features = std::move(multi.features.front());
    result.images = std::move(multi.images);
    result.skipped = std::move(multi.skipped);
    result.seconds = multi.seconds;
    return result;
}

} // namespace upstep::core
