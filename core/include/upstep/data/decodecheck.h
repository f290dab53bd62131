#pragma once
// Decodes every image of a folder through the training loader, exactly as training and feature
// extraction will, to find the files that look like images but cannot be decoded (a truncated
// JPEG, a damaged PNG). A folder scan only reads names and first bytes; this reads everything.
// `upstep scan` and the workbench's "Check every image" both use it, so they agree. Torch-free
// interface.
//
// Threading: runs on the calling thread plus the loader's workers; progress runs on the calling
// thread; stop may be set from any thread.

#include "upstep/common/progress.h"
#include "upstep/io/imagefolder.h"

#include <cstdint>
#include <string>
#include <vector>

namespace upstep::core {

struct DecodeCheckOptions {
    int inputSize = 224; ///< decoded and resized as for a model of this input size
    int workers = 2;
    int batchSize = 64;
    /// Read the folder's decoded-image cache when there is one (a speed check of the cached
    /// pass); files are decoded otherwise. Off by default: a check should read the files.
    bool useDecodedCache = false;
};

struct DecodeCheck {
    std::int64_t readable = 0;
    std::vector<SkippedFile> failed; ///< with the decoder's reason, sorted by path
    double seconds = 0;
    std::string cacheNote; ///< which decoded-image cache was read; empty when none
};

/// Throws Cancelled when stop is set; a file that fails is recorded, never thrown.
DecodeCheck decodeEveryImage(const ImageList &images, const DecodeCheckOptions &options = {},
                             const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
