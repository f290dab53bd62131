#include "eval/projection.h"

#include "common/error.h"

#include <algorithm>

namespace upstep::core {

namespace {

constexpr std::int64_t kChunk = 512;

/// Squared Euclidean distances between the rows of a [M, D] and b [N, D].
torch::Tensor squaredDistances(const torch::Tensor &a, const torch::Tensor &b, const torch::Tensor &bNorms)
{
    const auto aNorms = a.pow(2).sum(1, true);
    return (aNorms + bNorms.unsqueeze(0) - 2 * a.matmul(b.t())).clamp_min(0);
}

void requireRows(const torch::Tensor &x, std::int64_t minimum, const char *what)
{
    if (x.dim() != 2 || x.size(0) < minimum)
        throw InputError(std::string(what) + " needs at least " + std::to_string(minimum) + " points");
}

} // namespace

PcaModel fitPca(const torch::Tensor &x, int k)
{
    requireRows(x, 2, "PCA");
    const auto data = x.to(torch::kFloat64);
    PcaModel model;
    model.mean = data.mean(0);
    const auto centred = data - model.mean;
    auto [u, s, vh] = torch::linalg_svd(centred, false);
    k = std::min<int>(k, static_cast<int>(vh.size(0)));
    auto components = vh.slice(0, 0, k).clone();
    const auto largest = components.abs().argmax(1, true);
    const auto signs = components.gather(1, largest).sign();
    components = components * torch::where(signs == 0, torch::ones_like(signs), signs);
    model.components = components.to(torch::kFloat32);
    model.variance = (s.slice(0, 0, k).pow(2) / static_cast<double>(x.size(0) - 1)).to(torch::kFloat32);
    model.mean = model.mean.to(torch::kFloat32);
    return model;
}

torch::Tensor projectPca(const PcaModel &model, const torch::Tensor &x)
{
    return (x.to(torch::kFloat32) - model.mean).matmul(model.components.t());
}

std::pair<torch::Tensor, torch::Tensor> nearestNeighbours(const torch::Tensor &x, int k)
{
    requireRows(x, k + 1, "a neighbour search");
    const auto data = x.to(torch::kFloat32).contiguous();
    const auto norms = data.pow(2).sum(1);
    const auto n = data.size(0);
    auto indices = torch::empty({n, k}, torch::kInt64);
    auto distances = torch::empty({n, k}, torch::kFloat32);
    for (std::int64_t start = 0; start < n; start += kChunk) {
        const auto end = std::min(n, start + kChunk);
        auto d = squaredDistances(data.slice(0, start, end), data, norms);
        d.index_put_({torch::arange(end - start), torch::arange(start, end)}, std::numeric_limits<float>::infinity());
        auto [values, nearest] = d.topk(k, 1, false, true);
        indices.slice(0, start, end).copy_(nearest);
        distances.slice(0, start, end).copy_(values);
    }
    return {indices, distances};
}

double trustworthiness(const torch::Tensor &features, const torch::Tensor &embedding, int k)
{
    const auto n = features.size(0);
    requireRows(features, 2 * k + 2, "trustworthiness");
    const auto high = features.to(torch::kFloat32).contiguous();
    const auto highNorms = high.pow(2).sum(1);
    const auto [mapNeighbours, mapDistances] = nearestNeighbours(embedding, k);
    double penalty = 0;
    for (std::int64_t start = 0; start < n; start += kChunk) {
        const auto end = std::min(n, start + kChunk);
        const auto rows = torch::arange(end - start);
        auto d = squaredDistances(high.slice(0, start, end), high, highNorms);
        d.index_put_({rows, torch::arange(start, end)}, -1.0f); // the point itself ranks 0
        const auto neighbours = mapNeighbours.slice(0, start, end);
        const auto dNeighbour = d.gather(1, neighbours);                          // [m, k]
        // Rank of each map neighbour among the true neighbours: points strictly closer in the
        // feature space, the point itself excluded (ranks start at 1, as in the definition).
        const auto rank = (d.unsqueeze(1) < dNeighbour.unsqueeze(2)).sum(2) ;    // [m, k]
        penalty += (rank - k).clamp_min(0).sum().item<double>();
    }
    return 1.0 - 2.0 / (static_cast<double>(n) * k * (2.0 * n - 3.0 * k - 1.0)) * penalty;
}

double knnLabelAgreement(const torch::Tensor &embedding, const torch::Tensor &labels, int k)
{
    const auto [neighbours, distances] = nearestNeighbours(embedding, k);
    const auto neighbourLabels = labels.index({neighbours});
    return (neighbourLabels == labels.unsqueeze(1)).to(torch::kFloat64).mean().item<double>();
}

} // namespace upstep::core
