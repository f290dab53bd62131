#include "eval/projection.h"

#include "upstep/common/error.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <queue>

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

/// Exact k nearest neighbours of 2-D points through a uniform grid (about two points per cell):
/// rings of cells around each point are searched until no unseen cell can hold a closer point.
/// O(N k) for maps of any density, where the dense path costs O(N^2).
std::pair<torch::Tensor, torch::Tensor> gridNeighbours2d(const torch::Tensor &points, int k)
{
    const auto p = points.to(torch::kFloat32).contiguous();
    const auto n = p.size(0);
    const float *xy = p.data_ptr<float>();
    float x0 = xy[0], x1 = xy[0], y0 = xy[1], y1 = xy[1];
    for (std::int64_t i = 1; i < n; ++i) {
        x0 = std::min(x0, xy[2 * i]), x1 = std::max(x1, xy[2 * i]);
        y0 = std::min(y0, xy[2 * i + 1]), y1 = std::max(y1, xy[2 * i + 1]);
    }
    const auto side = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::sqrt(n / 2.0)));
    const double cellW = std::max(1e-12, static_cast<double>(x1 - x0) / side);
    const double cellH = std::max(1e-12, static_cast<double>(y1 - y0) / side);
    const auto cellX = [&](float x) { return std::clamp<std::int64_t>(static_cast<std::int64_t>((x - x0) / cellW), 0, side - 1); };
    const auto cellY = [&](float y) { return std::clamp<std::int64_t>(static_cast<std::int64_t>((y - y0) / cellH), 0, side - 1); };
    std::vector<std::int64_t> start(static_cast<std::size_t>(side * side + 1), 0), members(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        ++start[static_cast<std::size_t>(cellY(xy[2 * i + 1]) * side + cellX(xy[2 * i]) + 1)];
    for (std::size_t c = 1; c < start.size(); ++c)
        start[c] += start[c - 1];
    auto fill = start;
    for (std::int64_t i = 0; i < n; ++i)
        members[static_cast<std::size_t>(fill[static_cast<std::size_t>(cellY(xy[2 * i + 1]) * side + cellX(xy[2 * i]))]++)] = i;

    auto indices = torch::empty({n, k}, torch::kInt64);
    auto distances = torch::empty({n, k}, torch::kFloat32);
    auto *outIndex = indices.data_ptr<std::int64_t>();
    auto *outDistance = distances.data_ptr<float>();
    const double cell = std::min(cellW, cellH);
    at::parallel_for(0, n, 256, [&](std::int64_t begin, std::int64_t end) {
        using Candidate = std::pair<float, std::int64_t>; // (squared distance, index): ties break by index
        for (std::int64_t i = begin; i < end; ++i) {
            std::priority_queue<Candidate> best; // the k best so far, worst on top
            const auto cx = cellX(xy[2 * i]), cy = cellY(xy[2 * i + 1]);
            for (std::int64_t ring = 0; ring < side; ++ring) {
                for (std::int64_t gy = cy - ring; gy <= cy + ring; ++gy) {
                    if (gy < 0 || gy >= side)
                        continue;
                    const bool edgeRow = gy == cy - ring || gy == cy + ring;
                    for (std::int64_t gx = cx - ring; gx <= cx + ring; gx += edgeRow ? 1 : 2 * ring) {
                        if (gx >= 0 && gx < side) {
                            const auto c = static_cast<std::size_t>(gy * side + gx);
                            for (auto m = start[c]; m < start[c + 1]; ++m) {
                                const auto j = members[static_cast<std::size_t>(m)];
                                if (j == i)
                                    continue;
                                const float dx = xy[2 * j] - xy[2 * i], dy = xy[2 * j + 1] - xy[2 * i + 1];
                                const Candidate candidate{dx * dx + dy * dy, j};
                                if (static_cast<int>(best.size()) < k)
                                    best.push(candidate);
                                else if (candidate < best.top()) {
                                    best.pop();
                                    best.push(candidate);
                                }
                            }
                        }
                        if (ring == 0)
                            break;
                    }
                }
                // Cells beyond this ring lie at least ring * cell away from the point.
                const double reach = ring * cell;
                if (static_cast<int>(best.size()) == k && best.top().first <= reach * reach)
                    break;
            }
            for (int r = k - 1; r >= 0; --r) {
                outIndex[i * k + r] = best.top().second;
                outDistance[i * k + r] = best.top().first;
                best.pop();
            }
        }
    });
    return {indices, distances};
}

/// For each row r of d [M, N] and each value v in thresholds [M, K]: how many entries of row r
/// are below v. One pass over the row against the sorted thresholds, instead of an [M, K, N]
/// comparison (which costs K times the memory traffic).
torch::Tensor countBelow(const torch::Tensor &d, const torch::Tensor &thresholds)
{
    const auto rows = d.to(torch::kFloat32).contiguous();
    const auto [sorted, order] = thresholds.to(torch::kFloat32).sort(1);
    const auto t = sorted.contiguous();
    const auto m = rows.size(0), n = rows.size(1), k = t.size(1);
    auto counts = torch::zeros({m, k + 1}, torch::kInt64);
    const float *dData = rows.data_ptr<float>(), *tData = t.data_ptr<float>();
    auto *cData = counts.data_ptr<std::int64_t>();
    at::parallel_for(0, m, 1, [&](std::int64_t begin, std::int64_t end) {
        for (auto r = begin; r < end; ++r) {
            const float *row = dData + r * n, *th = tData + r * k;
            auto *count = cData + r * (k + 1);
            for (std::int64_t l = 0; l < n; ++l)
                ++count[std::upper_bound(th, th + k, row[l]) - th]; // thresholds <= value: not below them
        }
    });
    // counts[b] = entries with exactly b thresholds <= them; entry < threshold j iff its b <= j.
    const auto below = counts.cumsum(1).slice(1, 0, k);
    return torch::empty_like(below).scatter_(1, order, below);
}

} // namespace

PcaModel fitPca(const torch::Tensor &x, int k)
{
    requireRows(x, 2, "PCA");
    // The covariance, summed in double over chunks of rows, and its eigenvectors: memory stays
    // at D x D plus one chunk, where an SVD of the centred rows would copy all of them (gigabytes
    // at a million rows) three times over.
    constexpr std::int64_t kRows = 65536;
    const auto n = x.size(0), d = x.size(1);
    PcaModel model;
    model.mean = torch::zeros({d}, torch::kFloat64);
    for (std::int64_t start = 0; start < n; start += kRows)
        model.mean += x.slice(0, start, std::min(n, start + kRows)).to(torch::kFloat64).sum(0);
    model.mean /= static_cast<double>(n);
    auto covariance = torch::zeros({d, d}, torch::kFloat64);
    for (std::int64_t start = 0; start < n; start += kRows) {
        const auto centred = x.slice(0, start, std::min(n, start + kRows)).to(torch::kFloat64) - model.mean;
        covariance += centred.t().matmul(centred);
    }
    covariance /= static_cast<double>(n - 1);
    const auto [eigenvalues, eigenvectors] = torch::linalg_eigh(covariance); // ascending
    k = std::min<int>(k, static_cast<int>(d));
    const auto order = torch::arange(d - 1, d - 1 - k, -1);
    auto components = eigenvectors.index_select(1, order).t().contiguous();
    const auto largest = components.abs().argmax(1, true);
    const auto signs = components.gather(1, largest).sign();
    components = components * torch::where(signs == 0, torch::ones_like(signs), signs);
    model.components = components.to(torch::kFloat32);
    model.variance = eigenvalues.index_select(0, order).clamp_min(0).to(torch::kFloat32);
    model.mean = model.mean.to(torch::kFloat32);
    return model;
}

torch::Tensor projectPca(const PcaModel &model, const torch::Tensor &x)
{
    return (x.to(torch::kFloat32) - model.mean).matmul(model.components.t());
}

torch::Tensor mapStart(const torch::Tensor &x, const torch::Tensor &init, const std::string &method)
{
    const auto n = x.size(0);
    if (!init.defined())
        return projectPca(fitPca(x, 2), x).to(torch::kFloat64);
    if (init.dim() != 2 || init.size(0) != n || init.size(1) != 2)
        throw InputError(method + " start positions must be [N, 2] for N = " + std::to_string(n));
    return init.to(torch::kFloat64);
}

std::pair<torch::Tensor, torch::Tensor> nearestNeighbours(const torch::Tensor &x, int k)
{
    requireRows(x, k + 1, "a neighbour search");
    if (x.size(1) == 2)
        return gridNeighbours2d(x, k);
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
        const auto rank = countBelow(d, dNeighbour);                              // [m, k]
        penalty += (rank - k).clamp_min(0).sum().item<double>();
    }
    return 1.0 - 2.0 / (static_cast<double>(n) * k * (2.0 * n - 3.0 * k - 1.0)) * penalty;
}

double sampledTrustworthiness(const torch::Tensor &features, const torch::Tensor &embedding, int k, std::int64_t rows,
                              std::uint64_t seed)
{
    const auto n = features.size(0);
    if (n <= rows)
        return trustworthiness(features, embedding, k);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto sample = std::get<0>(at::randperm(n, generator, torch::kInt64).slice(0, 0, rows).sort());
    return trustworthiness(features.index_select(0, sample), embedding.index_select(0, sample), k);
}

double knnLabelAgreement(const torch::Tensor &embedding, const torch::Tensor &labels, int k)
{
    const auto [neighbours, distances] = nearestNeighbours(embedding, k);
    const auto neighbourLabels = labels.index({neighbours});
    return (neighbourLabels == labels.unsqueeze(1)).to(torch::kFloat64).mean().item<double>();
}

} // namespace upstep::core
