#include "eval/neighbours.h"

#include "upstep/common/error.h"
#include "eval/projection.h"

#include <ATen/Parallel.h>
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <limits>
#include <memory>

namespace upstep::core {

namespace {

/// Rows per parallel batch: progress and stop checks come between batches, a few per second.
constexpr std::int64_t kBatch = 4096;

NeighbourTable approximateNeighbours(const torch::Tensor &x, int k, const NeighbourSearchConfig &config,
                                     const ProgressSink &progress, StopFlag stop)
{
    const auto data = x.to(torch::kFloat32).contiguous();
    const auto n = data.size(0), dim = data.size(1);
    const float *rows = data.data_ptr<float>();
    hnswlib::L2Space space(static_cast<std::size_t>(dim)); // squared Euclidean distances
    auto index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &space, static_cast<std::size_t>(n), static_cast<std::size_t>(std::max(2, config.links)),
        static_cast<std::size_t>(std::max(k + 1, config.buildBeam)), static_cast<std::size_t>(config.seed));
    const auto inBatches = [&](const char *stage, const auto &perRow) {
        for (std::int64_t start = 0; start < n; start += kBatch) {
            if (stopRequested(stop))
                throw Cancelled();
            const auto end = std::min(n, start + kBatch);
            at::parallel_for(start, end, 16, [&](std::int64_t begin, std::int64_t stopAt) {
                for (auto i = begin; i < stopAt; ++i)
                    perRow(i);
            });
            if (progress)
                progress({stage, end, n, "rows"});
        }
    };
    // The first row enters alone, so that every later insertion finds a graph to search.
    index->addPoint(rows, 0);
    inBatches("neighbour graph", [&](std::int64_t i) {
        if (i > 0)
            index->addPoint(rows + i * dim, static_cast<hnswlib::labeltype>(i));
    });
    index->setEf(static_cast<std::size_t>(std::max(config.searchBeam > 0 ? config.searchBeam : 2 * k + 20, k + 1)));

    NeighbourTable table{torch::empty({n, k}, torch::kInt64), torch::empty({n, k}, torch::kFloat32), true};
    auto *outIndex = table.indices.data_ptr<std::int64_t>();
    auto *outDistance = table.distances.data_ptr<float>();
    inBatches("neighbour search", [&](std::int64_t i) {
        auto found = index->searchKnn(rows + i * dim, static_cast<std::size_t>(k + 1)); // farthest on top
        std::vector<std::pair<float, std::int64_t>> nearest;
        nearest.reserve(found.size());
        for (; !found.empty(); found.pop())
            nearest.emplace_back(found.top().first, static_cast<std::int64_t>(found.top().second));
        std::reverse(nearest.begin(), nearest.end());
        // Drop the row itself; where exact duplicates hid it, drop the farthest instead.
        const auto self = std::find_if(nearest.begin(), nearest.end(), [i](const auto &c) { return c.second == i; });
        nearest.erase(self != nearest.end() ? self : nearest.end() - 1);
        if (static_cast<int>(nearest.size()) < k)
            throw Error("the neighbour graph returned " + std::to_string(nearest.size()) + " of " + std::to_string(k) +
                        " neighbours for row " + std::to_string(i));
        for (int r = 0; r < k; ++r) {
            outIndex[i * k + r] = nearest[static_cast<std::size_t>(r)].second;
            outDistance[i * k + r] = nearest[static_cast<std::size_t>(r)].first;
        }
    });
    return table;
}

} // namespace

NeighbourTable allNearestNeighbours(const torch::Tensor &x, int k, const NeighbourSearchConfig &config,
                                    const ProgressSink &progress, StopFlag stop)
{
    if (x.dim() != 2 || k < 1 || x.size(0) <= k)
        throw InputError("a neighbour search for " + std::to_string(k) + " neighbours needs more than " +
                         std::to_string(k) + " rows");
    const bool approximate = config.method == NeighbourMethod::Approximate ||
                             (config.method == NeighbourMethod::Automatic && x.size(0) > config.exactUpTo);
    if (approximate)
        return approximateNeighbours(x, k, config, progress, stop);
    auto [indices, distances] = nearestNeighbours(x, k);
    return {indices, distances, false};
}

double estimateRecall(const torch::Tensor &x, const NeighbourTable &table, std::int64_t rows, std::uint64_t seed)
{
    if (!table.approximate)
        return 1.0;
    const auto data = x.to(torch::kFloat32).contiguous();
    const auto n = data.size(0), k = table.indices.size(1);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto sample = at::randperm(n, generator, torch::kInt64).slice(0, 0, std::min(rows, n));
    const auto norms = data.pow(2).sum(1);
    std::int64_t hits = 0;
    constexpr std::int64_t kQueries = 64; // [64, N] distances at a time: bounded memory at any N
    for (std::int64_t start = 0; start < sample.size(0); start += kQueries) {
        const auto which = sample.slice(0, start, std::min(sample.size(0), start + kQueries));
        const auto queries = data.index_select(0, which);
        auto d = (queries.pow(2).sum(1, true) + norms.unsqueeze(0) - 2 * queries.matmul(data.t()));
        d.index_put_({torch::arange(which.size(0)), which}, std::numeric_limits<float>::infinity());
        const auto exact = std::get<1>(d.topk(k, 1, false, true)); // [q, k]
        const auto found = table.indices.index_select(0, which);   // [q, k]
        hits += (found.unsqueeze(2) == exact.unsqueeze(1)).any(2).sum().item<std::int64_t>();
    }
    return static_cast<double>(hits) / static_cast<double>(sample.size(0) * k);
}

} // namespace upstep::core
