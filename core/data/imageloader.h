#pragma once
// Threaded, prefetching image loader. Worker threads decode and transform whole batches ahead
// of the consumer, at most `prefetchBatches` ahead (a bounded queue), and next() hands them out
// in order. The epoch's order and every sample's randomness derive from (seed, epoch, index)
// only, so batches are identical for any number of workers and any thread timing.
//
// Files that fail to decode are left out of their batch and recorded in failures(); they never
// stop a run. Any other error in a worker is rethrown from next().
//
// Threading: one consumer thread calls startEpoch()/next()/stop(); the workers are internal.
// stop() and the destructor wake and join the workers, also mid-epoch.

#include "upstep/common/progress.h"
#include "data/decodedcache.h"
#include "data/imagetransform.h"
#include "data/tensorrecycler.h"
#include "io/imagedecode.h"
#include "upstep/io/imagefolder.h"

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace upstep::core {

struct LoaderConfig {
    int batchSize = 64;
    bool shuffle = false;
    bool dropLast = false;
    std::uint64_t seed = 0;
    int workers = 2;
    int prefetchBatches = 4;
    Preprocessing preprocessing;
    std::optional<AugmentConfig> augment; ///< unset: resize + centre crop
    /// With augment: global views per image (each a full-size training view), and small crops
    /// of smallCropSize pixels drawn with smallCrop's scale range (multi-crop, docs/METHOD.md §4).
    int views = 1;
    int smallCrops = 0;
    int smallCropSize = 0; ///< 0: inputSize * 96 / 224, at least 8
    AugmentConfig smallCrop{0.05, 0.4};
    /// Decoded pixels of exactly these images, read instead of the files when set.
    std::shared_ptr<const DecodedCache> cache;
};

struct Batch {
    torch::Tensor images;               ///< [B, C, H, W] float, normalised; the first view
    std::vector<torch::Tensor> views;   ///< every global view, views[0] is images
    std::vector<torch::Tensor> crops;   ///< small crops, [B, C, s, s] each
    torch::Tensor labels;               ///< [B] int64, -1 when unlabeled
    std::vector<std::int64_t> indices;  ///< positions in the loader's image list
};

/// The shorter side, in pixels, below which decoding must not reduce an image for this
/// configuration: the evaluation resize, and for training every view and small crop at its
/// smallest scale (a square crop of the smallest area then has at least its output size; a crop
/// of the most elongated ratio, 4:3, is short of it by up to 13 % along its shorter side).
int neededShortSide(const LoaderConfig &config);

/// Seed of one sample's random generator.
std::uint64_t sampleSeed(std::uint64_t seed, std::int64_t epoch, std::int64_t index);

class ImageLoader {
public:
    ImageLoader(ImageList images, LoaderConfig config);
    ~ImageLoader();
    ImageLoader(const ImageLoader &) = delete;
    ImageLoader &operator=(const ImageLoader &) = delete;

    /// Begins an epoch (stopping any running one) and starts the workers. firstBatch > 0 starts
    /// mid-epoch with exactly the batches an uninterrupted epoch would have from there on.
    void startEpoch(std::int64_t epoch, std::int64_t firstBatch = 0);
    /// The next batch in order, or nullopt at the end of the epoch. Blocks while it is prepared.
    std::optional<Batch> next();
    /// Stops and joins the workers; next() then returns nullopt.
    void stop();

    std::int64_t batchesPerEpoch() const;
    std::size_t size() const { return m_images.size(); }
    const ImageList &images() const { return m_images; }
    /// Batches decoded and waiting for next(); never more than prefetchBatches. Thread-safe.
    std::size_t preparedBatches() const;
    /// How many files could not be decoded so far; cheap enough for every batch. Thread-safe.
    std::size_t failureCount() const;
    /// Files that could not be decoded so far, sorted by path. Thread-safe.
    std::vector<SkippedFile> failures() const;

private:
    void workerLoop();
    Batch makeBatch(std::int64_t batchIndex, DecodeBuffers &buffers);
    /// Image `index`'s pixels from the cache or the file; throws DecodeError for a bad image.
    cv::Mat pixelsOf(std::int64_t index, int decodeSide, DecodeBuffers &buffers) const;

    const ImageList m_images;
    const LoaderConfig m_config;
    TensorRecycler m_recycler;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<std::thread> m_workers;
    std::vector<std::int64_t> m_order;
    std::int64_t m_epoch = 0;
    std::int64_t m_nextToMake = 0;
    std::int64_t m_nextToHand = 0;
    bool m_stopping = false;
    std::map<std::int64_t, Batch> m_ready;
    std::exception_ptr m_error;
    std::map<std::int64_t, SkippedFile> m_failures;
};

} // namespace upstep::core
