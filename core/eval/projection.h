#pragma once
// Linear projection of features for the embedding views, and the numbers that say how faithful a
// 2-D map is: exact PCA (eigenvectors of the covariance), trustworthiness (Venna and Kaski; the
// measure scikit-learn reports) and kNN label agreement in the map.
//
// Threading: pure functions on CPU tensors; torch's intra-op threads do the work.

#include <torch/torch.h>

namespace upstep::core {

struct PcaModel {
    torch::Tensor mean;       ///< [D]
    torch::Tensor components; ///< [k, D], orthonormal rows, largest variance first
    torch::Tensor variance;   ///< [k], variance explained by each component
};

/// Fits k components to x [N, D] (float). Each component's sign is fixed so that its
/// largest-magnitude coefficient is positive, so equal inputs give equal maps.
PcaModel fitPca(const torch::Tensor &x, int k = 2);

/// (x - mean) projected on the components: [N, k]. x may be other features in the same space
/// (the adapted features projected with the base features' PCA).
torch::Tensor projectPca(const PcaModel &model, const torch::Tensor &x);

/// The start of a 2-D map of x [N, D] as float64 [N, 2]: init when defined (an aligned map starts
/// from another), else x's first two principal components. Throws InputError naming `method`
/// when init is not [N, 2].
torch::Tensor mapStart(const torch::Tensor &x, const torch::Tensor &init, const std::string &method);

/// Trustworthiness of embedding [N, d] for features [N, D] at k neighbours, in [0, 1]: 1 when
/// every map neighbour is a true neighbour. Exact; O(N^2) time in chunks, O(N) memory per chunk.
double trustworthiness(const torch::Tensor &features, const torch::Tensor &embedding, int k = 10);

/// Trustworthiness of the sub-map of a seeded sample of at most `rows` rows, against those rows'
/// features: what trustworthiness() gives when N <= rows, and O(rows^2) however large N is.
double sampledTrustworthiness(const torch::Tensor &features, const torch::Tensor &embedding, int k,
                              std::int64_t rows = 5000, std::uint64_t seed = 0);

/// Mean fraction of each point's k nearest map neighbours that share its label (labels [N] int64).
double knnLabelAgreement(const torch::Tensor &embedding, const torch::Tensor &labels, int k = 10);

/// The k nearest neighbours (excluding the point itself) of every row of x by Euclidean distance:
/// indices [N, k] int64 and squared distances [N, k], nearest first.
std::pair<torch::Tensor, torch::Tensor> nearestNeighbours(const torch::Tensor &x, int k);

} // namespace upstep::core
