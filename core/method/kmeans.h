#pragma once
// Spherical k-means: clusters unit vectors by cosine similarity. It places the prototypes when a
// run asks for prototype_init kmeans (docs/METHOD.md §2): the clustering objective then starts
// from groups the target images already form, instead of random directions that some images
// never reach.
//
// Threading: a pure function on CPU tensors; the caller's thread.

#include <torch/torch.h>

#include <cstdint>

namespace upstep::core {

struct KmeansResult {
    torch::Tensor centroids;  ///< [k, D] float32, rows of unit length
    torch::Tensor assignment; ///< [N] int64: the centroid each point is nearest to
    int iterations = 0;       ///< Lloyd iterations run (fewer than the limit when it converged)
};

/// Rows of `points` [N, D] are normalised first. Seeding is k-means++ on the cosine distance,
/// drawn from a generator of its own (the result depends on seed and points only). A cluster left
/// empty takes the point farthest from its centroid. Stops when no assignment changes. Throws
/// InputError when there are fewer points than clusters.
KmeansResult sphericalKmeans(const torch::Tensor &points, int k, std::uint64_t seed, int maxIterations = 25);

} // namespace upstep::core
