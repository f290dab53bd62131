#include "data/fixedsample.h"

#include "data/imageloader.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace upstep::core {

namespace {

ImageList drawFixedSample(const ImageList &images, int count, std::uint64_t seed)
{
    std::vector<std::size_t> order(images.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(sampleSeed(seed, -2, 0));
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(std::min(order.size(), static_cast<std::size_t>(std::max(count, 0))));
    std::sort(order.begin(), order.end()); // decode in folder order; the draw already fixed the set
    return images.select(order);
}

LoaderConfig sampleLoaderConfig(const Preprocessing &preprocessing, int workers)
{
    LoaderConfig config;
    config.batchSize = 64;
    config.workers = workers;
    config.preprocessing = preprocessing;
    return config;
}

} // namespace

FixedSample loadFixedSample(const ImageList &images, int count, std::uint64_t seed, const Preprocessing &preprocessing,
                            int workers)
{
    ImageLoader loader(drawFixedSample(images, count, seed), sampleLoaderConfig(preprocessing, workers));
    loader.startEpoch(0);
    std::vector<torch::Tensor> chunks, labels;
    while (auto batch = loader.next()) {
        chunks.push_back(batch->images);
        labels.push_back(batch->labels);
    }
    FixedSample sample;
    sample.images = chunks.empty() ? torch::empty({0, preprocessing.channels, preprocessing.inputSize,
                                                   preprocessing.inputSize})
                                   : torch::cat(chunks);
    sample.labels = labels.empty() ? torch::empty({0}, torch::kInt64) : torch::cat(labels);
    sample.failed = loader.failures();
    return sample;
}

torch::Tensor embedFixedSample(const ImageList &images, int count, std::uint64_t seed,
                               const Preprocessing &preprocessing, int workers,
                               const std::function<torch::Tensor(const torch::Tensor &)> &embed,
                               std::vector<SkippedFile> *failed)
{
    ImageLoader loader(drawFixedSample(images, count, seed), sampleLoaderConfig(preprocessing, workers));
    loader.startEpoch(0);
    std::vector<torch::Tensor> rows;
    while (auto batch = loader.next())
        if (batch->images.size(0) > 0)
            rows.push_back(embed(batch->images));
    if (failed)
        *failed = loader.failures();
    return rows.empty() ? torch::empty({0, 0}) : torch::cat(rows);
}

} // namespace upstep::core
