#include "data/imageloader.h"

#include "upstep/common/error.h"
#include "upstep/common/limits.h"
#include "io/imagedecode.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace upstep::core {

namespace {

std::uint64_t splitMix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

int smallCropSide(const LoaderConfig &config)
{
    return config.smallCropSize > 0 ? config.smallCropSize : std::max(8, config.preprocessing.inputSize * 96 / 224);
}

} // namespace

int neededShortSide(const LoaderConfig &config)
{
    const auto &p = config.preprocessing;
    int side = std::max(p.resizeSize(), p.inputSize);
    if (!config.augment)
        return side;
    const auto covering = [](int cropSide, double scaleMin) {
        return static_cast<int>(std::ceil(cropSide / std::sqrt(std::max(scaleMin, 1e-3))));
    };
    side = std::max(side, covering(p.inputSize, config.augment->scaleMin));
    if (config.smallCrops > 0)
        side = std::max(side, covering(smallCropSide(config), config.smallCrop.scaleMin));
    return side;
}

std::uint64_t sampleSeed(std::uint64_t seed, std::int64_t epoch, std::int64_t index)
{
    return splitMix64(splitMix64(splitMix64(seed) ^ static_cast<std::uint64_t>(epoch)) ^ static_cast<std::uint64_t>(index));
}

ImageLoader::ImageLoader(ImageList images, LoaderConfig config)
    : m_images(std::move(images)), m_config(std::move(config)),
      // Enough for every batch queued, being made, just handed out and being consumed.
      m_recycler(static_cast<std::size_t>(std::max(0, m_config.prefetchBatches + m_config.workers + 2) *
                                          (std::max(1, m_config.views) + std::max(0, m_config.smallCrops))))
{
    // Upper bounds (upstep/common/limits.h): a batch is allocated whole, every worker is a thread.
    if (m_config.batchSize < 1 || m_config.batchSize > kMaxBatch)
        throw InputError("batch size must lie in [1, " + std::to_string(kMaxBatch) + "], got " +
                         std::to_string(m_config.batchSize));
    if (m_config.workers < 1 || m_config.workers > kMaxWorkers)
        throw InputError("decoding workers must lie in [1, " + std::to_string(kMaxWorkers) + "], got " +
                         std::to_string(m_config.workers));
    const auto side = m_config.preprocessing.inputSize;
    if (side < 1 || side > kMaxInputSize)
        throw InputError("the input size must lie in [1, " + std::to_string(kMaxInputSize) + "] pixels, got " +
                         std::to_string(side) + " (a batch of " + std::to_string(m_config.batchSize) + " would take " +
                         std::to_string(static_cast<long long>(4.0 * 3 * side * side * m_config.batchSize / 1e9)) +
                         " GB)");
    if (m_config.prefetchBatches < 1)
        throw InputError("loader needs to prefetch at least one batch");
    if (m_config.views < 1 || m_config.smallCrops < 0)
        throw InputError("loader needs at least one view per image and no negative crop count");
    if (m_config.cache && m_config.cache->size() != m_images.size())
        throw std::logic_error("the decoded-image cache was made for another image list");
}

ImageLoader::~ImageLoader() { stop(); }

std::int64_t ImageLoader::batchesPerEpoch() const
{
    const auto n = static_cast<std::int64_t>(m_images.size());
    return m_config.dropLast ? n / m_config.batchSize : (n + m_config.batchSize - 1) / m_config.batchSize;
}

void ImageLoader::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto &worker : m_workers)
        worker.join();
    m_workers.clear();
}

void ImageLoader::startEpoch(std::int64_t epoch, std::int64_t firstBatch)
{
    stop();
    m_order.resize(m_images.size());
    std::iota(m_order.begin(), m_order.end(), 0);
    if (m_config.shuffle) {
        std::mt19937_64 rng(sampleSeed(m_config.seed, epoch, -1));
        std::shuffle(m_order.begin(), m_order.end(), rng);
    }
    {
        std::lock_guard lock(m_mutex);
        m_epoch = epoch;
        m_nextToMake = std::clamp<std::int64_t>(firstBatch, 0, batchesPerEpoch());
        m_nextToHand = m_nextToMake;
        m_stopping = false;
        m_ready.clear();
        m_error = nullptr;
    }
    for (int i = 0; i < m_config.workers; ++i)
        m_workers.emplace_back([this] { workerLoop(); });
}

void ImageLoader::workerLoop()
{
    at::init_num_threads();
    const auto total = batchesPerEpoch();
    DecodeBuffers buffers; // this worker's, reused for every image it decodes
    for (;;) {
        std::int64_t batchIndex = 0;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] {
                return m_stopping || m_nextToMake >= total || m_nextToMake < m_nextToHand + m_config.prefetchBatches;
            });
            if (m_stopping || m_nextToMake >= total)
                return;
            batchIndex = m_nextToMake++;
        }
        try {
            auto batch = makeBatch(batchIndex, buffers);
            std::lock_guard lock(m_mutex);
            m_ready.emplace(batchIndex, std::move(batch));
        } catch (...) {
            std::lock_guard lock(m_mutex);
            if (!m_error)
                m_error = std::current_exception();
            m_stopping = true;
        }
        m_wake.notify_all();
    }
}

cv::Mat ImageLoader::pixelsOf(std::int64_t index, int decodeSide, DecodeBuffers &buffers) const
{
    if (!m_config.cache)
        return decodeImagePixels(m_images.path(static_cast<std::size_t>(index)), decodeSide, buffers);
    // Read-only mapped memory: the transforms below only read their input.
    auto pixels = m_config.cache->image(static_cast<std::size_t>(index));
    if (pixels.empty())
        throw DecodeError(m_images.path(static_cast<std::size_t>(index)),
                          m_config.cache->failure(static_cast<std::size_t>(index)));
    return pixels;
}

Batch ImageLoader::makeBatch(std::int64_t batchIndex, DecodeBuffers &buffers)
{
    const auto begin = batchIndex * m_config.batchSize;
    const auto end = std::min<std::int64_t>(begin + m_config.batchSize, static_cast<std::int64_t>(m_order.size()));
    const auto &p = m_config.preprocessing;
    const int views = m_config.augment ? m_config.views : 1;
    const int crops = m_config.augment ? m_config.smallCrops : 0;
    auto cropPreprocessing = p;
    cropPreprocessing.inputSize = smallCropSide(m_config);
    auto cropAugment = m_config.smallCrop;
    if (m_config.augment)
        cropAugment.horizontalFlip = m_config.augment->horizontalFlip;

    // Rows are written in place; files that fail to decode leave no row, so the tensors are cut
    // to the rows filled at the end.
    const auto capacity = end - begin;
    Batch batch;
    for (int v = 0; v < views; ++v)
        batch.views.push_back(m_recycler.acquire({capacity, p.channels, p.inputSize, p.inputSize}));
    for (int c = 0; c < crops; ++c)
        batch.crops.push_back(
            m_recycler.acquire({capacity, p.channels, cropPreprocessing.inputSize, cropPreprocessing.inputSize}));
    std::vector<std::int64_t> labels;
    const int decodeSide = neededShortSide(m_config);
    for (auto pos = begin; pos < end; ++pos) {
        const auto index = m_order[static_cast<std::size_t>(pos)];
        cv::Mat decoded;
        try {
            decoded = matchChannels(pixelsOf(index, decodeSide, buffers), p.channels);
        } catch (const DecodeError &e) {
            std::lock_guard lock(m_mutex);
            m_failures.emplace(index, SkippedFile{m_images.path(static_cast<std::size_t>(index)), e.problem()});
            continue;
        }
        const auto row = static_cast<std::int64_t>(labels.size());
        if (m_config.augment) {
            std::mt19937_64 rng(sampleSeed(m_config.seed, m_epoch, index));
            for (auto &view : batch.views)
                normalizeInto(trainingView(decoded, p, *m_config.augment, rng), p, view[row]);
            for (auto &crop : batch.crops)
                normalizeInto(trainingView(decoded, cropPreprocessing, cropAugment, rng), p, crop[row]);
        } else {
            normalizeInto(resizeAndCenterCrop(decoded, p), p, batch.views.front()[row]);
        }
        labels.push_back(m_images.label(static_cast<std::size_t>(index)));
        batch.indices.push_back(index);
    }
    const auto filled = static_cast<std::int64_t>(labels.size());
    if (filled < capacity) {
        for (auto &view : batch.views)
            view = view.narrow(0, 0, filled).contiguous();
        for (auto &crop : batch.crops)
            crop = crop.narrow(0, 0, filled).contiguous();
    }
    batch.images = batch.views.front();
    batch.labels = torch::tensor(labels, torch::kInt64);
    return batch;
}

std::optional<Batch> ImageLoader::next()
{
    std::unique_lock lock(m_mutex);
    const auto total = batchesPerEpoch();
    m_wake.wait(lock, [&] { return m_error || m_stopping || m_nextToHand >= total || m_ready.count(m_nextToHand); });
    if (m_error) {
        auto error = m_error;
        m_error = nullptr;
        std::rethrow_exception(error);
    }
    const auto it = m_ready.find(m_nextToHand);
    if (it == m_ready.end())
        return std::nullopt;
    Batch batch = std::move(it->second);
    m_ready.erase(it);
    ++m_nextToHand;
    lock.unlock();
    m_wake.notify_all();
    return batch;
}

std::size_t ImageLoader::preparedBatches() const
{
    std::lock_guard lock(m_mutex);
    return m_ready.size();
}

std::size_t ImageLoader::failureCount() const
{
    std::lock_guard lock(m_mutex);
    return m_failures.size();
}

std::vector<SkippedFile> ImageLoader::failures() const
{
    std::lock_guard lock(m_mutex);
    std::vector<SkippedFile> out;
    for (const auto &[index, skipped] : m_failures)
        out.push_back(skipped);
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.path < b.path; });
    return out;
}

} // namespace upstep::core
