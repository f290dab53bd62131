#include "eval/umap.h"

#include "upstep/common/error.h"
#include "eval/knngraph.h"
#include "eval/projection.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>

namespace upstep::core {

namespace {

/// Membership strengths of one row's neighbours (Euclidean distances, ascending): exp(-(d - rho)
/// / sigma), with rho the nearest distance above zero and sigma found by bisection so that the
/// strengths sum to log2(k + 1), as umap-learn's smooth_knn_dist with its row itself among k + 1.
void membershipRow(const float *distance, int k, double meanDistance, float *out)
{
    double rho = 0;
    for (int j = 0; j < k; ++j)
        if (distance[j] > 0) {
            rho = distance[j];
            break;
        }
    const double target = std::log2(static_cast<double>(k + 1));
    double low = 0, high = std::numeric_limits<double>::infinity(), sigma = 1;
    for (int attempt = 0; attempt < 64; ++attempt) {
        double sum = 0;
        for (int j = 0; j < k; ++j) {
            const double d = distance[j] - rho;
            sum += d > 0 ? std::exp(-d / sigma) : 1.0;
        }
        if (std::abs(sum - target) < 1e-5)
            break;
        if (sum > target) {
            high = sigma;
            sigma = (low + high) / 2;
        } else {
            low = sigma;
            sigma = std::isinf(high) ? sigma * 2 : (low + high) / 2;
        }
    }
    // A floor on sigma, as umap-learn: rows of (near) duplicates would otherwise divide by ~0.
    double rowMean = 0;
    for (int j = 0; j < k; ++j)
        rowMean += distance[j];
    rowMean /= k;
    sigma = std::max(sigma, 1e-3 * (rho > 0 ? rowMean : meanDistance));
    for (int j = 0; j < k; ++j) {
        const double d = distance[j] - rho;
        out[j] = static_cast<float>(d <= 0 ? 1.0 : std::exp(-d / sigma));
    }
}

/// splitmix64: a small, well-mixed generator, seeded per (seed, epoch, row) so that every row's
/// negative samples are the same whichever thread draws them.
struct RowRandom {
    std::uint64_t state;
    std::uint64_t next()
    {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
};

float clipGradient(float g) { return std::clamp(g, -4.0f, 4.0f); }

/// Start positions: init, or the features' PCA, each column scaled to [0, 10] as umap-learn scales its start.
std::vector<float> startPositions(const torch::Tensor &x, const torch::Tensor &init)
{
    const auto n = x.size(0);
    auto start = mapStart(x, init, "UMAP").to(torch::kFloat32);
    const auto low = std::get<0>(start.min(0)), high = std::get<0>(start.max(0));
    start = (10 * (start - low) / (high - low).clamp_min(1e-12)).contiguous();
    return {start.data_ptr<float>(), start.data_ptr<float>() + 2 * n};
}

} // namespace

std::pair<double, double> fitUmapCurve(double minDistance, double spread)
{
    // Levenberg-Marquardt on two parameters, from a = b = 1.
    constexpr int kSamples = 300;
    std::vector<double> xs(kSamples), target(kSamples);
    for (int s = 0; s < kSamples; ++s) {
        xs[static_cast<std::size_t>(s)] = 3 * spread * s / (kSamples - 1);
        const double x = xs[static_cast<std::size_t>(s)];
        target[static_cast<std::size_t>(s)] = x < minDistance ? 1.0 : std::exp(-(x - minDistance) / spread);
    }
    const auto residual = [&](double a, double b) {
        double sum = 0;
        for (int s = 0; s < kSamples; ++s) {
            const double r = 1 / (1 + a * std::pow(xs[static_cast<std::size_t>(s)], 2 * b)) -
                             target[static_cast<std::size_t>(s)];
            sum += r * r;
        }
        return sum;
    };
    double a = 1, b = 1, lambda = 1e-3, cost = residual(a, b);
    for (int iteration = 0; iteration < 500; ++iteration) {
        double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
        for (int s = 0; s < kSamples; ++s) {
            const double x = xs[static_cast<std::size_t>(s)];
            const double power = x > 0 ? std::pow(x, 2 * b) : 0;
            const double g = 1 / (1 + a * power);
            const double r = g - target[static_cast<std::size_t>(s)];
            const double da = -power * g * g;
            const double db = x > 0 ? -a * power * 2 * std::log(x) * g * g : 0;
            jaa += da * da, jab += da * db, jbb += db * db, ga += da * r, gb += db * r;
        }
        const double maa = jaa * (1 + lambda), mbb = jbb * (1 + lambda), det = maa * mbb - jab * jab;
        if (std::abs(det) < 1e-300)
            break;
        const double stepA = -(mbb * ga - jab * gb) / det, stepB = -(maa * gb - jab * ga) / det;
        const double next = residual(a + stepA, b + stepB);
        if (next < cost) {
            a += stepA, b += stepB;
            const bool converged = cost - next < 1e-15;
            cost = next;
            lambda /= 10;
            if (converged)
                break;
        } else {
            lambda *= 10;
        }
    }
    return {a, b};
}

UmapResult runUmap(const torch::Tensor &x, const UmapConfig &config, const torch::Tensor &init,
                   const ProgressSink &progress, StopFlag stop)
{
    const auto n = x.size(0);
    if (config.neighbours < 2 || config.neighbours > 1000)
        throw InputError("UMAP neighbours must lie in [2, 1000], got " + std::to_string(config.neighbours));
    if (!(config.minDistance >= 0 && config.spread > 0 && config.minDistance <= config.spread))
        throw InputError("UMAP needs 0 <= min distance <= spread");
    if (x.dim() != 2 || n <= config.neighbours)
        throw InputError("UMAP with " + std::to_string(config.neighbours) + " neighbours needs more than " +
                         std::to_string(config.neighbours) + " points, got " + std::to_string(x.dim() == 2 ? n : 0));
    const auto data = x.to(torch::kFloat32).contiguous();
    UmapResult result;
    result.epochs = config.epochs > 0 ? config.epochs : (n <= 10000 ? 500 : 200);
    std::tie(result.a, result.b) = fitUmapCurve(config.minDistance, config.spread);

    SparseGraph graph;
    const auto searchStart = std::chrono::steady_clock::now();
    {
        const int k = config.neighbours - 1; // umap-learn counts the row itself among its neighbours
        const auto table = allNearestNeighbours(data, k, config.neighbourSearch, progress, stop);
        result.approximateNeighbours = table.approximate;
        result.neighbourRecall = estimateRecall(data, table, 500, config.seed);
        const auto distances = table.distances.sqrt().contiguous();
        const double meanDistance = distances.mean().item<double>();
        const float *d = distances.data_ptr<float>();
        std::vector<float> strength(static_cast<std::size_t>(n * k));
        at::parallel_for(0, n, 256, [&](std::int64_t begin, std::int64_t end) {
            for (auto i = begin; i < end; ++i)
                membershipRow(d + i * k, k, meanDistance, strength.data() + i * k);
        });
        graph = symmetricGraph(table.indices, strength, [](float a, float b) { return a + b - a * b; });
    }
    result.neighbourSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - searchStart).count();

    // Each edge is sampled in proportion to its weight: every epochsPerSample epochs. Edges too
    // weak to be sampled once in the whole run are dropped, as umap-learn drops them.
    const float strongest = graph.value.empty() ? 1 : *std::max_element(graph.value.begin(), graph.value.end());
    const auto edges = graph.value.size();
    std::vector<float> perSample(edges), nextSample(edges), perNegative(edges), nextNegative(edges);
    for (std::size_t e = 0; e < edges; ++e) {
        const bool kept = graph.value[e] >= strongest / static_cast<float>(result.epochs);
        perSample[e] = kept ? strongest / graph.value[e] : std::numeric_limits<float>::infinity();
        nextSample[e] = perSample[e];
        perNegative[e] = perSample[e] / static_cast<float>(config.negativeSamples);
        nextNegative[e] = perNegative[e];
    }

    auto y = startPositions(data, init);
    const float a = static_cast<float>(result.a), b = static_cast<float>(result.b);
    const auto position = [&](std::int64_t i, int axis) {
        return std::atomic_ref<float>(y[static_cast<std::size_t>(2 * i + axis)]).load(std::memory_order_relaxed);
    };
    for (int epoch = 0; epoch < result.epochs; ++epoch) {
        if (stopRequested(stop))
            throw Cancelled();
        const float alpha = static_cast<float>(config.learningRate *
                                               (1.0 - static_cast<double>(epoch) / result.epochs));
        const auto now = static_cast<float>(epoch);
        // Rows run in parallel; a row moves only its own point and reads the others as they are
        // (relaxed atomic loads: the lock-free updates umap-learn makes, without a data race).
        at::parallel_for(0, n, 256, [&](std::int64_t begin, std::int64_t end) {
            for (auto i = begin; i < end; ++i) {
                RowRandom random{config.seed * 0x100000001b3ULL ^ (static_cast<std::uint64_t>(epoch) << 40) ^
                                 static_cast<std::uint64_t>(i)};
                float px = position(i, 0), py = position(i, 1);
                for (auto e = static_cast<std::size_t>(graph.rowStart[static_cast<std::size_t>(i)]);
                     e < static_cast<std::size_t>(graph.rowStart[static_cast<std::size_t>(i + 1)]); ++e) {
                    if (nextSample[e] > now)
                        continue;
                    const auto j = graph.column[e];
                    float dx = px - position(j, 0), dy = py - position(j, 1), d2 = dx * dx + dy * dy;
                    if (d2 > 0) {
                        // umap-learn moves both ends of each directed edge; the graph holds both
                        // directions, so a row moving only its own point does so twice as far.
                        const float pull = -2 * a * b * std::pow(d2, b - 1) / (1 + a * std::pow(d2, b));
                        px += 2 * clipGradient(pull * dx) * alpha;
                        py += 2 * clipGradient(pull * dy) * alpha;
                    }
                    nextSample[e] += perSample[e];
                    const auto negatives = static_cast<int>((now - nextNegative[e]) / perNegative[e]);
                    for (int s = 0; s < negatives; ++s) {
                        const auto other = static_cast<std::int64_t>(random.next() % static_cast<std::uint64_t>(n));
                        if (other == i)
                            continue;
                        dx = px - position(other, 0), dy = py - position(other, 1), d2 = dx * dx + dy * dy;
                        if (d2 > 0) {
                            const float push = 2 * b / ((0.001f + d2) * (1 + a * std::pow(d2, b)));
                            px += clipGradient(push * dx) * alpha;
                            py += clipGradient(push * dy) * alpha;
                        } else {
                            px += 4 * alpha, py += 4 * alpha;
                        }
                    }
                    nextNegative[e] += static_cast<float>(negatives) * perNegative[e];
                }
                std::atomic_ref<float>(y[static_cast<std::size_t>(2 * i)]).store(px, std::memory_order_relaxed);
                std::atomic_ref<float>(y[static_cast<std::size_t>(2 * i + 1)]).store(py, std::memory_order_relaxed);
            }
        });
        if (progress && ((epoch + 1) % 10 == 0 || epoch + 1 == result.epochs))
            progress({"UMAP", epoch + 1, result.epochs, "epochs"});
    }
    result.embedding = torch::from_blob(y.data(), {n, 2}, torch::kFloat32).clone();
    return result;
}

} // namespace upstep::core
