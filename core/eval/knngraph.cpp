#include "eval/knngraph.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace upstep::core {

namespace {

/// One directed half of an edge as its rows hold it while the graph is built.
struct HalfEdge {
    std::int32_t column;
    float forward;  ///< weight of column in this row's kNN list
    float backward; ///< weight of this row in column's kNN list
};

} // namespace

SparseGraph symmetricGraph(const torch::Tensor &indices, const std::vector<float> &weights,
                           const std::function<float(float, float)> &combine)
{
    const auto n = indices.size(0);
    const auto k = indices.size(1);
    const auto *index = indices.data_ptr<std::int64_t>();
    // Every kNN entry goes into both rows: a slot per entry, counted first so each row is contiguous.
    std::vector<std::int64_t> start(static_cast<std::size_t>(n + 1), 0);
    for (std::int64_t i = 0; i < n; ++i) {
        start[static_cast<std::size_t>(i + 1)] += k;
        for (std::int64_t r = 0; r < k; ++r)
            ++start[static_cast<std::size_t>(index[i * k + r] + 1)];
    }
    for (std::size_t i = 1; i < start.size(); ++i)
        start[i] += start[i - 1];
    std::vector<HalfEdge> halves(static_cast<std::size_t>(start.back()));
    std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t r = 0; r < k; ++r) {
            const auto j = index[i * k + r];
            const float w = weights[static_cast<std::size_t>(i * k + r)];
            halves[static_cast<std::size_t>(fill[static_cast<std::size_t>(i)]++)] = {static_cast<std::int32_t>(j), w,
                                                                                     0};
            halves[static_cast<std::size_t>(fill[static_cast<std::size_t>(j)]++)] = {static_cast<std::int32_t>(i), 0,
                                                                                     w};
        }
    // Sort each row by column, merge the two halves of each pair and combine them, in place.
    std::vector<std::int64_t> kept(static_cast<std::size_t>(n));
    at::parallel_for(0, n, 256, [&](std::int64_t begin, std::int64_t end) {
        for (auto i = begin; i < end; ++i) {
            const auto first = halves.begin() + start[static_cast<std::size_t>(i)];
            const auto last = halves.begin() + start[static_cast<std::size_t>(i + 1)];
            std::sort(first, last, [](const HalfEdge &a, const HalfEdge &b) { return a.column < b.column; });
            auto out = first;
            for (auto e = first; e != last;) {
                HalfEdge merged{e->column, 0, 0};
                for (; e != last && e->column == merged.column; ++e) {
                    merged.forward += e->forward;
                    merged.backward += e->backward;
                }
                merged.forward = combine(merged.forward, merged.backward);
                if (merged.forward != 0)
                    *out++ = merged;
            }
            kept[static_cast<std::size_t>(i)] = out - first;
        }
    });
    SparseGraph graph;
    graph.rowStart.resize(static_cast<std::size_t>(n + 1));
    std::int64_t total = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        graph.rowStart[static_cast<std::size_t>(i)] = total;
        total += kept[static_cast<std::size_t>(i)];
    }
    graph.rowStart.back() = total;
    graph.column.resize(static_cast<std::size_t>(total));
    graph.value.resize(static_cast<std::size_t>(total));
    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (auto i = begin; i < end; ++i) {
            const auto from = static_cast<std::size_t>(start[static_cast<std::size_t>(i)]);
            const auto to = static_cast<std::size_t>(graph.rowStart[static_cast<std::size_t>(i)]);
            for (std::int64_t e = 0; e < kept[static_cast<std::size_t>(i)]; ++e) {
                graph.column[to + static_cast<std::size_t>(e)] = halves[from + static_cast<std::size_t>(e)].column;
                graph.value[to + static_cast<std::size_t>(e)] = halves[from + static_cast<std::size_t>(e)].forward;
            }
        }
    });
    return graph;
}

} // namespace upstep::core
