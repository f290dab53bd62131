#include "eval/featureextractor.h"

#include "common/error.h"
#include "common/torchcompat.h"
#include "data/imageloader.h"

#include <chrono>

namespace upstep::core {

FeatureResult extractFeatures(BackboneImpl &model, const std::vector<ImageEntry> &images,
                              const FeatureOptions &options, const ProgressSink &progress, StopFlag stop)
{
    const auto start = std::chrono::steady_clock::now();
    LoaderConfig config;
    config.batchSize = options.batchSize;
    config.workers = options.loaderWorkers;
    config.preprocessing = model.spec().preprocessing;
    ImageLoader loader(images, config);
    loader.startEpoch(0);

    compat::InferenceGuard inference;
    model.eval();
    model.to(options.device, options.dtype);
    std::vector<torch::Tensor> chunks;
    std::vector<std::int64_t> kept;
    std::int64_t done = 0;
    const auto total = static_cast<std::int64_t>(images.size());
    while (auto batch = loader.next()) {
        if (stopRequested(stop)) {
            loader.stop();
            throw Cancelled();
        }
        if (!batch->indices.empty()) {
            chunks.push_back(model.features(batch->images.to(options.device, options.dtype)).to(torch::kCPU, torch::kFloat32));
            kept.insert(kept.end(), batch->indices.begin(), batch->indices.end());
        }
        done += static_cast<std::int64_t>(batch->indices.size());
        if (progress)
            progress({"extracting features", std::min(done + static_cast<std::int64_t>(loader.failureCount()), total),
                      total, "images"});
    }

    FeatureResult result;
    result.features = chunks.empty() ? torch::empty({0, model.featureDim()}) : torch::cat(chunks);
    for (const auto index : kept)
        result.images.push_back(images[static_cast<std::size_t>(index)]);
    result.skipped = loader.failures();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace upstep::core
