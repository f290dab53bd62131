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

std::vector<std::int32_t> localityOrder(const SparseGraph &graph)
{
    const auto n = graph.rows();
    std::vector<std::int32_t> order;
    order.reserve(static_cast<std::size_t>(n));
    std::vector<char> reached(static_cast<std::size_t>(n), 0);
    for (std::int64_t root = 0; root < n; ++root) {
        if (reached[static_cast<std::size_t>(root)])
            continue;
        reached[static_cast<std::size_t>(root)] = 1;
        order.push_back(static_cast<std::int32_t>(root));
        // order itself is the queue: the rows from `next` on are reached but not yet expanded.
        for (auto next = order.size() - 1; next < order.size(); ++next) {
            const auto row = static_cast<std::size_t>(order[next]);
            for (auto e = graph.rowStart[row]; e < graph.rowStart[row + 1]; ++e) {
                const auto j = static_cast<std::size_t>(graph.column[static_cast<std::size_t>(e)]);
                if (!reached[j]) {
                    reached[j] = 1;
                    order.push_back(static_cast<std::int32_t>(j));
                }
            }
        }
    }
    return order;
}

SparseGraph renumbered(const SparseGraph &graph, const std::vector<std::int32_t> &order)
{
    const auto n = graph.rows();
    std::vector<std::int32_t> newIndex(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < n; ++r)
        newIndex[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])] = static_cast<std::int32_t>(r);
    SparseGraph out;
    out.rowStart.resize(static_cast<std::size_t>(n + 1), 0);
    for (std::int64_t r = 0; r < n; ++r) {
        const auto old = static_cast<std::size_t>(order[static_cast<std::size_t>(r)]);
        out.rowStart[static_cast<std::size_t>(r + 1)] = out.rowStart[static_cast<std::size_t>(r)] +
                                                        graph.rowStart[old + 1] - graph.rowStart[old];
    }
    out.column.resize(graph.column.size());
    out.value.resize(graph.value.size());
    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        std::vector<std::pair<std::int32_t, float>> row;
        for (auto r = begin; r < end; ++r) {
            const auto old = static_cast<std::size_t>(order[static_cast<std::size_t>(r)]);
            row.clear();
            for (auto e = graph.rowStart[old]; e < graph.rowStart[old + 1]; ++e)
                row.emplace_back(newIndex[static_cast<std::size_t>(graph.column[static_cast<std::size_t>(e)])],
                                 graph.value[static_cast<std::size_t>(e)]);
            std::sort(row.begin(), row.end());
            auto at = static_cast<std::size_t>(out.rowStart[static_cast<std::size_t>(r)]);
            for (const auto &[column, value] : row) {
                out.column[at] = column;
                out.value[at++] = value;
            }
        }
    });
    return out;
}

} // namespace upstep::core
