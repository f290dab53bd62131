#pragma once
// The symmetric weighted graph of a k-nearest-neighbour table, in compressed rows: what t-SNE's
// joint probabilities and UMAP's fuzzy union are built on. A kNN relation is not symmetric
// (j can be among i's neighbours while i is not among j's), so each entry (i, j) of the result
// combines a = the weight of j in i's row and b = the weight of i in j's row (0 when absent).
// Memory: about 12 bytes per table entry while building, 8 per kept entry after; at a million
// rows and 90 neighbours, about 2 GB at the peak.
//
// Threading: runs on the caller's thread plus torch's intra-op pool; the result depends on the
// inputs alone.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace upstep::core {

struct SparseGraph {
    std::vector<std::int64_t> rowStart; ///< n + 1 offsets into column and value
    std::vector<std::int32_t> column;   ///< ascending within each row
    std::vector<float> value;

    std::int64_t rows() const { return static_cast<std::int64_t>(rowStart.size()) - 1; }
};

/// indices [N, k] int64 (never the row itself) with weights [N * k] in the same order. Entries
/// whose combined weight is 0 are dropped.
SparseGraph symmetricGraph(const torch::Tensor &indices, const std::vector<float> &weights,
                           const std::function<float(float a, float b)> &combine);

/// A breadth-first order of the graph's rows (order[new] = old), from row 0 and then from each
/// row not yet reached. Rows that are neighbours come out close together, so a pass over the
/// edges of the renumbered graph reads the other end of each edge from nearby memory, not from
/// anywhere in a million-row array: the gradient loops of t-SNE and UMAP are bound by those reads.
std::vector<std::int32_t> localityOrder(const SparseGraph &graph);

/// The graph with row order[r] renumbered r, and every column with it (ascending again).
SparseGraph renumbered(const SparseGraph &graph, const std::vector<std::int32_t> &order);

} // namespace upstep::core
