#include "eval/tsne.h"

#include "upstep/common/error.h"
#include "eval/knngraph.h"
#include "eval/projection.h"
#include "eval/tsnerepulsion.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace upstep::core {

namespace {

/// Conditional p(j|i) over one row's squared distances (ascending), with the Gaussian precision
/// found by bisection so that the row's entropy is log(perplexity).
void calibrateRow(const float *distances, int k, double perplexity, double *out)
{
    const double target = std::log(perplexity);
    double beta = 1, low = 0, high = std::numeric_limits<double>::infinity();
    const double shift = distances[0]; // exp(-beta (d - d0)) cannot underflow to all zeros
    for (int attempt = 0; attempt < 200; ++attempt) {
        double sum = 0, weighted = 0;
        for (int j = 0; j < k; ++j) {
            out[j] = std::exp(-beta * (distances[j] - shift));
            sum += out[j];
            weighted += (distances[j] - shift) * out[j];
        }
        const double entropy = std::log(sum) + beta * weighted / sum;
        for (int j = 0; j < k; ++j)
            out[j] /= sum;
        if (std::abs(entropy - target) < 1e-5)
            return;
        if (entropy > target) {
            low = beta;
            beta = std::isinf(high) ? beta * 2 : (beta + high) / 2;
        } else {
            high = beta;
            beta = (beta + low) / 2;
        }
    }
}

/// Joint probabilities P = (P(j|i) + P(i|j)) / 2N on the symmetric kNN graph.
SparseGraph affinities(const NeighbourTable &table, double perplexity)
{
    const auto n = table.indices.size(0);
    const int k = static_cast<int>(table.indices.size(1));
    const auto *distance = table.distances.data_ptr<float>();
    std::vector<float> conditional(static_cast<std::size_t>(n) * k);
    at::parallel_for(0, n, 64, [&](std::int64_t begin, std::int64_t end) {
        std::vector<double> row(static_cast<std::size_t>(k));
        for (auto i = begin; i < end; ++i) {
            calibrateRow(distance + i * k, k, perplexity, row.data());
            std::copy(row.begin(), row.end(), conditional.begin() + i * k);
        }
    });
    const auto scale = static_cast<float>(1.0 / (2.0 * static_cast<double>(n)));
    return symmetricGraph(table.indices, conditional, [scale](float a, float b) { return (a + b) * scale; });
}

std::vector<double> initialMap(const torch::Tensor &x, const TsneConfig &config, const torch::Tensor &init)
{
    const auto n = x.size(0);
    torch::Tensor start;
    if (config.randomInit && !init.defined()) {
        auto generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
        start = at::normal(0, 1, {n, 2}, generator, torch::kFloat64);
    } else {
        start = mapStart(x, init, "t-SNE");
    }
    // Every start is scaled to a first-coordinate std of 1e-4 (its layout kept), as scikit-learn does.
    start = start - start.mean(0);
    start = start / std::max(start.select(1, 0).std().item<double>(), 1e-12) * 1e-4;
    start = start.contiguous();
    return {start.data_ptr<double>(), start.data_ptr<double>() + 2 * n};
}

} // namespace

TsneResult runTsne(const torch::Tensor &x, const TsneConfig &config, const torch::Tensor &init,
                   const ProgressSink &progress, StopFlag stop)
{
    const auto n = x.size(0);
    if (!(config.perplexity >= 1 && config.perplexity <= 1000)) // NaN, 0 and inf would index out of bounds
        throw InputError("t-SNE perplexity must lie in [1, 1000], got " + std::to_string(config.perplexity));
    if (x.dim() != 2 || n < static_cast<std::int64_t>(3 * config.perplexity) + 2)
        throw InputError("t-SNE with perplexity " + std::to_string(config.perplexity) + " needs at least " +
                         std::to_string(static_cast<std::int64_t>(3 * config.perplexity) + 2) + " points, got " +
                         std::to_string(n));
    const auto data = x.to(torch::kFloat32).contiguous();
    const int k = static_cast<int>(std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(3 * config.perplexity)));
    TsneResult result;
    SparseGraph p;
    const auto searchStart = std::chrono::steady_clock::now();
    {
        const auto neighbours = allNearestNeighbours(data, k, config.neighbours, progress, stop);
        result.approximateNeighbours = neighbours.approximate;
        result.neighbourRecall = estimateRecall(data, neighbours, 500, config.seed);
        p = affinities(neighbours, config.perplexity);
    }
    result.neighbourSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - searchStart).count();
    // Renumbered so that neighbours sit close in memory (knngraph.h: localityOrder); the map is
    // put back in the caller's order at the end.
    const auto order = localityOrder(p);
    p = renumbered(p, order);
    std::vector<double> y(static_cast<std::size_t>(2 * n));
    {
        const auto start = initialMap(data, config, init);
        for (std::int64_t r = 0; r < n; ++r)
            for (int c = 0; c < 2; ++c)
                y[static_cast<std::size_t>(2 * r + c)] =
                    start[2 * static_cast<std::size_t>(order[static_cast<std::size_t>(r)]) + c];
    }
    std::vector<double> update(y.size(), 0), gains(y.size(), 1), gradient(y.size());
    std::vector<double> attraction(y.size()), repulsion;
    // The attraction loop reads the other end of every edge: a float copy halves what it reads.
    std::vector<float> yNear(y.size());
    const double learningRate =
        config.learningRate > 0 ? config.learningRate : std::max(static_cast<double>(n) / config.exaggeration / 4, 50.0);
    InterpolatedRepulsion repulsionField;
    double z = 1;
    using Clock = std::chrono::steady_clock;

    for (int it = 0; it < config.iterations; ++it) {
        if (stopRequested(stop))
            throw Cancelled();
        const bool early = it < config.exaggerationIterations;
        const double exaggeration = early ? config.exaggeration : 1.0;
        const double momentum = early ? 0.5 : 0.8;
        auto phase = Clock::now();
        z = std::max(repulsionField.compute(y, repulsion), 1e-12);
        result.repulsionSeconds += std::chrono::duration<double>(Clock::now() - phase).count();
        phase = Clock::now();
        std::copy(y.begin(), y.end(), yNear.begin());
        at::parallel_for(0, n, 256, [&](std::int64_t begin, std::int64_t end) {
            for (auto i = begin; i < end; ++i) {
                const float yi = yNear[static_cast<std::size_t>(2 * i)],
                            yj = yNear[static_cast<std::size_t>(2 * i + 1)];
                float ax = 0, ay = 0;
                for (auto e = p.rowStart[static_cast<std::size_t>(i)]; e < p.rowStart[static_cast<std::size_t>(i + 1)]; ++e) {
                    const auto j = static_cast<std::size_t>(p.column[static_cast<std::size_t>(e)]);
                    const float dx = yi - yNear[2 * j], dy = yj - yNear[2 * j + 1];
                    const float w = p.value[static_cast<std::size_t>(e)] / (1 + dx * dx + dy * dy);
                    ax += w * dx;
                    ay += w * dy;
                }
                attraction[static_cast<std::size_t>(2 * i)] = ax;
                attraction[static_cast<std::size_t>(2 * i + 1)] = ay;
            }
        });
        result.attractionSeconds += std::chrono::duration<double>(Clock::now() - phase).count();
        for (std::size_t c = 0; c < y.size(); ++c) {
            gradient[c] = 4 * (exaggeration * attraction[c] - repulsion[c] / z);
            const bool sameSign = (gradient[c] > 0) == (update[c] > 0);
            gains[c] = std::max(sameSign ? gains[c] * 0.8 : gains[c] + 0.2, 0.01);
            update[c] = momentum * update[c] - learningRate * gains[c] * gradient[c];
            y[c] += update[c];
        }
        double meanX = 0, meanY = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            meanX += y[static_cast<std::size_t>(2 * i)];
            meanY += y[static_cast<std::size_t>(2 * i + 1)];
        }
        meanX /= static_cast<double>(n);
        meanY /= static_cast<double>(n);
        for (std::int64_t i = 0; i < n; ++i) {
            y[static_cast<std::size_t>(2 * i)] -= meanX;
            y[static_cast<std::size_t>(2 * i + 1)] -= meanY;
        }
        if (progress && ((it + 1) % 50 == 0 || it + 1 == config.iterations))
            progress({"t-SNE", it + 1, config.iterations, "iterations"});
    }

    result.iterations = config.iterations;
    double kl = 0;
    for (std::int64_t i = 0; i < n; ++i)
        for (auto e = p.rowStart[static_cast<std::size_t>(i)]; e < p.rowStart[static_cast<std::size_t>(i + 1)]; ++e) {
            const auto j = static_cast<std::size_t>(p.column[static_cast<std::size_t>(e)]);
            const double dx = y[static_cast<std::size_t>(2 * i)] - y[2 * j], dy = y[static_cast<std::size_t>(2 * i + 1)] - y[2 * j + 1];
            const double q = 1 / (1 + dx * dx + dy * dy) / z;
            const double pij = p.value[static_cast<std::size_t>(e)];
            kl += pij * std::log(std::max(pij, 1e-12) / std::max(q, 1e-12));
        }
    result.klDivergence = kl;
    result.embedding = torch::empty({n, 2}, torch::kFloat32);
    auto *out = result.embedding.data_ptr<float>();
    for (std::int64_t r = 0; r < n; ++r)
        for (int c = 0; c < 2; ++c)
            out[2 * static_cast<std::int64_t>(order[static_cast<std::size_t>(r)]) + c] = static_cast<float>(
                y[static_cast<std::size_t>(2 * r + c)]);
    return result;
}

} // namespace upstep::core
