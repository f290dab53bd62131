#include "upstep/data/decodecheck.h"

#include "data/imageloader.h"
#include "upstep/common/error.h"

#include <chrono>

namespace upstep::core {

DecodeCheck decodeEveryImage(const ImageList &images, const DecodeCheckOptions &options,
                             const ProgressSink &progress, StopFlag stop)
{
    LoaderConfig config;
    config.batchSize = options.batchSize;
    config.workers = options.workers;
    config.preprocessing.inputSize = options.inputSize;
    DecodeCheck check;
    if (options.useDecodedCache)
        config.cache = decodedCacheForRun(DecodedCacheMode::Auto, images, neededShortSide(config), options.workers, {},
                                          stop, &check.cacheNote);
    ImageLoader loader(images, config);
    const auto start = std::chrono::steady_clock::now();
    loader.startEpoch(0);
    const auto total = static_cast<std::int64_t>(images.size());
    while (auto batch = loader.next()) {
        if (stopRequested(stop))
            throw Cancelled();
        check.readable += static_cast<std::int64_t>(batch->indices.size());
        if (progress)
            progress({"decoding", check.readable + static_cast<std::int64_t>(loader.failureCount()), total, "images"});
    }
    check.failed = loader.failures();
    check.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return check;
}

} // namespace upstep::core
