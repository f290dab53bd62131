#include "eval/tsne.h"

#include "upstep/common/error.h"
#include "eval/projection.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace upstep::core {

namespace {

/// Symmetric joint probabilities P on the kNN graph, rows in CSR form.
struct SparseAffinities {
    std::vector<std::int64_t> rowStart; ///< n + 1 offsets
    std::vector<std::int32_t> column;
    std::vector<double> value;
};

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

SparseAffinities affinities(const torch::Tensor &x, double perplexity)
{
    const auto n = x.size(0);
    const int k = static_cast<int>(std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(3 * perplexity)));
    const auto [neighbours, distances] = nearestNeighbours(x, k);
    const auto *index = neighbours.data_ptr<std::int64_t>();
    const auto *distance = distances.data_ptr<float>();
    std::vector<double> conditional(static_cast<std::size_t>(n) * k);
    at::parallel_for(0, n, 64, [&](std::int64_t begin, std::int64_t end) {
        for (auto i = begin; i < end; ++i)
            calibrateRow(distance + i * k, k, perplexity, conditional.data() + i * k);
    });
    // P = (P(j|i) + P(i|j)) / 2N, summed over both directions of every kNN edge.
    struct Edge {
        std::int32_t from, to;
        double p;
    };
    std::vector<Edge> edges;
    edges.reserve(static_cast<std::size_t>(2 * n * k));
    for (std::int64_t i = 0; i < n; ++i)
        for (int j = 0; j < k; ++j) {
            const auto other = static_cast<std::int32_t>(index[i * k + j]);
            const double p = conditional[static_cast<std::size_t>(i * k + j)];
            edges.push_back({static_cast<std::int32_t>(i), other, p});
            edges.push_back({other, static_cast<std::int32_t>(i), p});
        }
    std::sort(edges.begin(), edges.end(), [](const Edge &a, const Edge &b) {
        return a.from != b.from ? a.from < b.from : a.to < b.to;
    });
    SparseAffinities result;
    result.rowStart.assign(static_cast<std::size_t>(n + 1), 0);
    for (std::size_t e = 0; e < edges.size();) {
        auto f = e;
        double p = 0;
        while (f < edges.size() && edges[f].from == edges[e].from && edges[f].to == edges[e].to)
            p += edges[f++].p;
        result.column.push_back(edges[e].to);
        result.value.push_back(p / (2.0 * static_cast<double>(n)));
        ++result.rowStart[static_cast<std::size_t>(edges[e].from) + 1];
        e = f;
    }
    for (std::size_t i = 1; i < result.rowStart.size(); ++i)
        result.rowStart[i] += result.rowStart[i - 1];
    return result;
}

/// Quadtree over the map points with each cell's point count and centre of mass.
class QuadTree {
public:
    void build(const std::vector<double> &y)
    {
        m_y = &y;
        const auto n = static_cast<std::int32_t>(y.size() / 2);
        double minX = y[0], maxX = y[0], minY = y[1], maxY = y[1];
        for (std::int32_t i = 1; i < n; ++i) {
            minX = std::min(minX, y[2 * i]);
            maxX = std::max(maxX, y[2 * i]);
            minY = std::min(minY, y[2 * i + 1]);
            maxY = std::max(maxY, y[2 * i + 1]);
        }
        m_nodes.clear();
        m_nodes.reserve(static_cast<std::size_t>(4 * n));
        const double half = std::max(maxX - minX, maxY - minY) / 2 * (1 + 1e-6) + 1e-12;
        m_nodes.push_back({(minX + maxX) / 2, (minY + maxY) / 2, half});
        for (std::int32_t i = 0; i < n; ++i)
            insert(y[2 * i], y[2 * i + 1], i);
    }

    /// Repulsion on point (px, py): adds sum w^2 (p - c) n_c to f and sum w n_c to z.
    void repulsion(double px, double py, double theta2, double &fx, double &fy, double &z) const
    {
        std::int32_t stack[256];
        int top = 0;
        stack[top++] = 0;
        while (top > 0) {
            const auto &node = m_nodes[static_cast<std::size_t>(stack[--top])];
            if (node.count == 0)
                continue;
            const double dx = px - node.comX, dy = py - node.comY, d2 = dx * dx + dy * dy;
            const double width = 2 * node.half;
            if (node.child < 0 || width * width < theta2 * d2) {
                double count = node.count;
                if (d2 == 0)
                    count -= 1; // the point itself (and exact duplicates, which add no force)
                if (count <= 0)
                    continue;
                const double w = 1 / (1 + d2);
                z += count * w;
                fx += count * w * w * dx;
                fy += count * w * w * dy;
            } else {
                for (int c = 0; c < 4; ++c)
                    stack[top++] = node.child + c;
            }
        }
    }

private:
    struct Node {
        double cx, cy, half;
        double comX = 0, comY = 0;
        std::int32_t count = 0;
        std::int32_t child = -1; ///< first of four children, or -1 for a leaf
        std::int32_t point = -1; ///< the point of a one-point leaf
    };

    int quadrant(const Node &node, double x, double y) const { return (x >= node.cx ? 1 : 0) + (y >= node.cy ? 2 : 0); }

    void split(std::size_t at)
    {
        const auto first = static_cast<std::int32_t>(m_nodes.size());
        const Node parent = m_nodes[at];
        const double h = parent.half / 2;
        for (int c = 0; c < 4; ++c)
            m_nodes.push_back({parent.cx + ((c & 1) ? h : -h), parent.cy + ((c & 2) ? h : -h), h});
        m_nodes[at].child = first;
    }

    void insert(double x, double y, std::int32_t point)
    {
        std::size_t at = 0;
        for (int depth = 0;; ++depth) {
            auto &node = m_nodes[at];
            const auto previous = node.count;
            node.comX = (node.comX * previous + x) / (previous + 1);
            node.comY = (node.comY * previous + y) / (previous + 1);
            ++node.count;
            if (node.child < 0) {
                if (previous == 0) {
                    node.point = point;
                    return;
                }
                const auto resident = node.point;
                const double rx = (*m_y)[2 * static_cast<std::size_t>(resident)];
                const double ry = (*m_y)[2 * static_cast<std::size_t>(resident) + 1];
                if ((rx == x && ry == y) || depth > 48)
                    return; // duplicates (or points no float can separate) share one leaf
                split(at);
                auto &parent = m_nodes[at];
                parent.point = -1;
                auto &child = m_nodes[static_cast<std::size_t>(parent.child + quadrant(parent, rx, ry))];
                child.comX = rx;
                child.comY = ry;
                child.count = previous; // the resident and its duplicates
                child.point = resident;
            }
            const auto &current = m_nodes[at];
            at = static_cast<std::size_t>(current.child + quadrant(current, x, y));
        }
    }

    std::vector<Node> m_nodes;
    const std::vector<double> *m_y = nullptr; ///< the map being indexed, set by build()
};

std::vector<double> initialMap(const torch::Tensor &x, const TsneConfig &config, const torch::Tensor &init)
{
    const auto n = x.size(0);
    torch::Tensor start;
    if (init.defined()) {
        if (init.dim() != 2 || init.size(0) != n || init.size(1) != 2)
            throw InputError("t-SNE start positions must be [N, 2] for N = " + std::to_string(n));
        start = init.to(torch::kFloat64);
    } else if (config.randomInit) {
        auto generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
        start = at::normal(0, 1, {n, 2}, generator, torch::kFloat64);
    } else {
        start = projectPca(fitPca(x, 2), x).to(torch::kFloat64);
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
    const auto p = affinities(data, config.perplexity);
    auto y = initialMap(data, config, init);
    std::vector<double> update(y.size(), 0), gains(y.size(), 1), gradient(y.size());
    std::vector<double> attraction(y.size()), repulsion(y.size()), zPart(static_cast<std::size_t>(n));
    const double learningRate =
        config.learningRate > 0 ? config.learningRate : std::max(static_cast<double>(n) / config.exaggeration / 4, 50.0);
    const double theta2 = config.theta * config.theta;
    QuadTree tree;
    double z = 1;

    for (int it = 0; it < config.iterations; ++it) {
        if (stopRequested(stop))
            throw Cancelled();
        const bool early = it < config.exaggerationIterations;
        const double exaggeration = early ? config.exaggeration : 1.0;
        const double momentum = early ? 0.5 : 0.8;
        tree.build(y);
        at::parallel_for(0, n, 256, [&](std::int64_t begin, std::int64_t end) {
            for (auto i = begin; i < end; ++i) {
                const double yi = y[static_cast<std::size_t>(2 * i)], yj = y[static_cast<std::size_t>(2 * i + 1)];
                double ax = 0, ay = 0;
                for (auto e = p.rowStart[static_cast<std::size_t>(i)]; e < p.rowStart[static_cast<std::size_t>(i + 1)]; ++e) {
                    const auto j = static_cast<std::size_t>(p.column[static_cast<std::size_t>(e)]);
                    const double dx = yi - y[2 * j], dy = yj - y[2 * j + 1];
                    const double w = p.value[static_cast<std::size_t>(e)] / (1 + dx * dx + dy * dy);
                    ax += w * dx;
                    ay += w * dy;
                }
                attraction[static_cast<std::size_t>(2 * i)] = ax;
                attraction[static_cast<std::size_t>(2 * i + 1)] = ay;
                double rx = 0, ry = 0, zi = 0;
                tree.repulsion(yi, yj, theta2, rx, ry, zi);
                repulsion[static_cast<std::size_t>(2 * i)] = rx;
                repulsion[static_cast<std::size_t>(2 * i + 1)] = ry;
                zPart[static_cast<std::size_t>(i)] = zi;
            }
        });
        z = 0;
        for (const double part : zPart) // summed in index order: the same result for any thread count
            z += part;
        z = std::max(z, 1e-12);
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

    TsneResult result;
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
    result.embedding = torch::from_blob(y.data(), {n, 2}, torch::kFloat64).to(torch::kFloat32).clone();
    return result;
}

} // namespace upstep::core
