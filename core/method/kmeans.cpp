#include "method/kmeans.h"

#include "upstep/common/error.h"

#include <ATen/CPUGeneratorImpl.h>

namespace upstep::core {

namespace {

namespace F = torch::nn::functional;

torch::Tensor unitRows(const torch::Tensor &x) { return F::normalize(x, F::NormalizeFuncOptions().dim(1)); }

// k-means++: each next seed is drawn with probability proportional to its squared distance from
// the nearest seed so far; for unit vectors that is 2 (1 - cos), so 1 - cos serves as the weight.
torch::Tensor plusPlusSeeds(const torch::Tensor &x, int k, at::Generator &generator)
{
    const auto n = x.size(0);
    auto seeds = torch::empty({k, x.size(1)}, x.options());
    auto pick = at::randint(n, {1}, generator, torch::kLong).item<std::int64_t>();
    seeds[0] = x[pick];
    auto nearest = (1.0 - x.matmul(x[pick])).clamp_min(0);
    for (int j = 1; j < k; ++j) {
        if (nearest.sum().item<double>() > 0)
            pick = at::multinomial(nearest, 1, false, generator).item<std::int64_t>();
        else // every point sits on a seed already: any point will do
            pick = at::randint(n, {1}, generator, torch::kLong).item<std::int64_t>();
        seeds[j] = x[pick];
        nearest = torch::minimum(nearest, (1.0 - x.matmul(x[pick])).clamp_min(0));
    }
    return seeds;
}

} // namespace

KmeansResult sphericalKmeans(const torch::Tensor &points, int k, std::uint64_t seed, int maxIterations)
{
    torch::NoGradGuard noGrad;
    if (points.dim() != 2)
        throw InputError("k-means needs a matrix of points");
    const auto n = points.size(0);
    if (k < 1 || n < k)
        throw InputError("k-means of " + std::to_string(k) + " clusters needs at least that many points, got " +
                         std::to_string(n));
    const auto x = unitRows(points.detach().to(torch::kCPU, torch::kFloat32).contiguous());
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);

    KmeansResult result;
    result.centroids = plusPlusSeeds(x, k, generator);
    result.assignment = torch::full({n}, -1, torch::kLong);
    for (int iteration = 0; iteration < maxIterations; ++iteration) {
        const auto [similarity, assignment] = x.matmul(result.centroids.t()).max(1);
        const bool changed = !assignment.equal(result.assignment);
        result.assignment = assignment;
        result.iterations = iteration + 1;
        if (!changed)
            break;
        auto sums = torch::zeros_like(result.centroids).index_add_(0, assignment, x);
        const auto counts = torch::bincount(assignment, {}, k);
        // Empty clusters take the worst-served points, one each, farthest first.
        const auto empty = (counts == 0).nonzero().flatten();
        if (empty.numel() > 0) {
            const auto farthest = std::get<1>(similarity.topk(empty.numel(), 0, /*largest=*/false));
            sums.index_put_({empty}, x.index({farthest}));
        }
        result.centroids = unitRows(sums);
    }
    result.assignment = x.matmul(result.centroids.t()).argmax(1); // against the final centroids
    return result;
}

} // namespace upstep::core
