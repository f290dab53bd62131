#include "embeddings/progressivemap.h"

#include "upstep/common/hardware.h"
#include "upstep/eval/mapestimate.h"

#include <algorithm>
#include <utility>

namespace upstep::ui {

void PreviewHandover::put(Preview preview)
{
    const std::lock_guard lock(m_mutex);
    m_preview = std::move(preview);
}

std::optional<PreviewHandover::Preview> PreviewHandover::take()
{
    const std::lock_guard lock(m_mutex);
    return std::exchange(m_preview, std::nullopt);
}

core::EmbeddingMap computeProgressiveMap(core::EmbedJob job, int previewImages, PreviewHandover &handover,
                                         const core::ProgressSink &progress, core::StopFlag stop)
{
    if (previewImages > 0 && (job.maxImages == 0 || job.maxImages > 2 * previewImages)) {
        job.scan = core::scanEmbedFolder(job.data, progress, stop); // once, for both maps
        const auto total = static_cast<std::int64_t>(job.scan->images.size());
        if (total > 2 * previewImages) {
            auto sample = job;
            sample.maxImages = previewImages;
            auto map = core::runEmbedding(
                sample,
                [&progress](const core::Progress &p) {
                    auto labelled = p;
                    labelled.stage = "preview: " + p.stage;
                    progress(labelled);
                },
                stop);
            const double secondsPerImage = map.featureSeconds() /
                                           static_cast<double>(std::max<std::int64_t>(map.size(), 1));
            const auto estimate = core::estimateMapCost(job, total, map.featureDim(), map.hasAdapter(), secondsPerImage,
                                                        core::computeThreads());
            handover.put({std::move(map), estimate.images, core::describeMapCost(job, estimate)});
        }
    }
    return core::runEmbedding(job, progress, stop);
}

} // namespace upstep::ui
