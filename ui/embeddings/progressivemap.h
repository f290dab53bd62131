#pragma once
// The work behind the Embeddings tab's progressive map: the folder scanned once, then a map of a
// seeded preview of its images, handed to the GUI as soon as it is ready together with what
// mapping every image will cost (core::estimateMapCost, with the preview's measured feature
// rate), then the map of every image. A folder of at most twice the preview's size goes straight
// to the full map.
//
// Threading: computeProgressiveMap() runs on a BackgroundTask's thread; PreviewHandover is filled
// there and emptied on the GUI thread (take()), under its mutex.

#include "upstep/common/progress.h"
#include "upstep/eval/embedjob.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace upstep::ui {

class PreviewHandover {
public:
    struct Preview {
        core::EmbeddingMap map;
        std::int64_t total = 0; ///< images the full map will hold
        std::string estimate;   ///< describeMapCost() of the full map
    };
    void put(Preview preview);
    std::optional<Preview> take(); ///< the preview once, if it has come

private:
    std::mutex m_mutex;
    std::optional<Preview> m_preview;
};

/// previewImages: the preview's size; 0: no preview.
core::EmbeddingMap computeProgressiveMap(core::EmbedJob job, int previewImages, PreviewHandover &handover,
                                         const core::ProgressSink &progress, core::StopFlag stop);

} // namespace upstep::ui
