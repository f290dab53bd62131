#include "eval/tsnerepulsion.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace upstep::core {

namespace {

constexpr int kNodes = 3;         ///< interpolation nodes per box and axis
constexpr int kMinimumBoxes = 50; ///< boxes a side however small the map (as FIt-SNE)

/// The smallest n' >= n whose only prime factors are 2, 3 and 5: FFT sizes that transform fast.
int smoothSize(int n)
{
    for (;; ++n) {
        int rest = n;
        for (const int factor : {2, 3, 5})
            while (rest % factor == 0)
                rest /= factor;
        if (rest == 1)
            return n;
    }
}

/// Lagrange weights at t in [0, 1] of the nodes 1/6, 1/2 and 5/6 of a unit box.
void lagrangeWeights(double t, double *w)
{
    const double a = t - 1.0 / 6, b = t - 0.5, c = t - 5.0 / 6;
    w[0] = b * c * 4.5; // / ((1/6 - 1/2) (1/6 - 5/6)) = / (2/9)
    w[1] = -a * c * 9;  // / ((1/2 - 1/6) (1/2 - 5/6)) = / (-1/9)
    w[2] = a * b * 4.5; // / ((5/6 - 1/6) (5/6 - 1/2)) = / (2/9)
}

/// out = transform(in), cut along splitDim into one slab per intra-op thread: LibTorch's FFT
/// (pocketfft in these builds) runs each call on one thread, and the grids are large enough at a
/// million points that the transforms would otherwise dominate an iteration.
template <class Transform>
void acrossThreads(const torch::Tensor &out, const torch::Tensor &in, std::int64_t splitDim, Transform transform)
{
    const auto size = in.size(splitDim);
    const auto slab = std::max<std::int64_t>(1, (size + at::get_num_threads() - 1) / at::get_num_threads());
    at::parallel_for(0, size, slab, [&](std::int64_t begin, std::int64_t end) {
        auto slice = out.narrow(splitDim, begin, end - begin);
        transform(slice, in.narrow(splitDim, begin, end - begin));
    });
}

} // namespace

void InterpolatedRepulsion::resize(int side)
{
    if (side == m_gridSide)
        return;
    m_gridSide = side;
    const auto real = torch::kFloat32, complex = torch::kComplexFloat;
    const std::int64_t padded = 2 * side, half = side + 1;
    m_charges = torch::zeros({3, side, padded}, real);
    m_kernels = torch::zeros({2, padded, padded}, real);
    m_kernelRows = torch::empty({2, padded, half}, complex);
    m_kernelHats = torch::empty({2, padded, half}, complex);
    m_rowHats = torch::empty({3, side, half}, complex);
    m_columns = torch::zeros({3, padded, half}, complex);
    m_hats = torch::empty({3, padded, half}, complex);
    m_products = torch::empty({4, padded, half}, complex);
    m_inverse = torch::empty({4, padded, half}, complex);
    m_potentials = torch::empty({4, side, padded}, real);
}

void InterpolatedRepulsion::convolve(double spacing)
{
    const int side = m_gridSide, padded = 2 * side;
    // The kernels at every grid offset, laid out for a circular convolution of the zero-padded
    // grid: index a stands for offset a, or a - 2 side past side (offset +-side never occurs).
    float *kernel = m_kernels.data_ptr<float>();
    const std::int64_t plane = static_cast<std::int64_t>(padded) * padded;
    at::parallel_for(0, padded, 64, [&](std::int64_t begin, std::int64_t end) {
        for (auto a = begin; a < end; ++a) {
            const double dx = static_cast<double>(a < side ? a : a - padded) * spacing;
            for (int b = 0; b < padded; ++b) {
                const double dy = static_cast<double>(b < side ? b : b - padded) * spacing;
                const double w = 1 / (1 + dx * dx + dy * dy);
                kernel[a * padded + b] = static_cast<float>(w * w);
                kernel[plane + a * padded + b] = static_cast<float>(w);
            }
        }
    });
    // Each 2-D transform is two passes of 1-D ones, each pass cut across the threads along the
    // other axis.
    auto rows = [](at::Tensor &o, const at::Tensor &i) { at::fft_rfft_out(o, i); };
    auto columns = [](at::Tensor &o, const at::Tensor &i) { at::fft_fft_out(o, i, c10::nullopt, 1); };
    auto columnsBack = [](at::Tensor &o, const at::Tensor &i) { at::fft_ifft_out(o, i, c10::nullopt, 1); };
    acrossThreads(m_kernelRows, m_kernels, 1, rows);
    acrossThreads(m_kernelHats, m_kernelRows, 2, columns);
    // The charges' transform: rows (the right half is padding), then the columns that hold data
    // (the lower half of each is padding).
    acrossThreads(m_rowHats, m_charges, 1, rows);
    m_columns.narrow(1, 0, side).copy_(m_rowHats);
    acrossThreads(m_hats, m_columns, 2, columns);
    auto forces = m_products.narrow(0, 0, 3), normaliser = m_products[3];
    at::mul_out(forces, m_hats, m_kernelHats[0]);
    at::mul_out(normaliser, m_hats[0], m_kernelHats[1]);
    // Back again, keeping the quadrant where both operands were: the node potentials.
    acrossThreads(m_inverse, m_products, 2, columnsBack);
    acrossThreads(m_potentials, m_inverse.narrow(1, 0, side), 1,
                  [padded](at::Tensor &o, const at::Tensor &i) { at::fft_irfft_out(o, i, padded, 2); });
}

double InterpolatedRepulsion::compute(const std::vector<double> &y, std::vector<double> &force)
{
    const auto n = static_cast<std::int64_t>(y.size() / 2);
    force.assign(y.size(), 0);
    const auto [lowest, highest] = std::minmax_element(y.begin(), y.end());
    const double low = *lowest, span = std::max(*highest - *lowest, 1e-12);
    const int boxes = smoothSize(std::max(kMinimumBoxes, static_cast<int>(std::ceil(span))));
    const double boxWidth = span / boxes;
    const int side = boxes * kNodes, padded = 2 * side;
    resize(side);

    m_stencils.resize(static_cast<std::size_t>(n));
    at::parallel_for(0, n, 4096, [&](std::int64_t begin, std::int64_t end) {
        for (auto i = begin; i < end; ++i) {
            auto &s = m_stencils[static_cast<std::size_t>(i)];
            const double gx = (y[static_cast<std::size_t>(2 * i)] - low) / boxWidth;
            const double gy = (y[static_cast<std::size_t>(2 * i + 1)] - low) / boxWidth;
            s.boxX = std::clamp(static_cast<int>(gx), 0, boxes - 1);
            s.boxY = std::clamp(static_cast<int>(gy), 0, boxes - 1);
            lagrangeWeights(gx - s.boxX, s.weightX);
            lagrangeWeights(gy - s.boxY, s.weightY);
        }
    });

    // Spread the three charges to the nodes, one charge per task: no two tasks write one grid.
    m_charges.zero_();
    float *grid = m_charges.data_ptr<float>();
    const std::int64_t chargePlane = static_cast<std::int64_t>(side) * padded;
    at::parallel_for(0, 3, 1, [&](std::int64_t begin, std::int64_t end) {
        for (auto c = begin; c < end; ++c) {
            float *g = grid + c * chargePlane;
            for (std::int64_t i = 0; i < n; ++i) {
                const double charge = c == 0 ? 1.0 : y[static_cast<std::size_t>(2 * i + (c - 1))];
                const auto &s = m_stencils[static_cast<std::size_t>(i)];
                for (int u = 0; u < kNodes; ++u) {
                    float *row = g + static_cast<std::int64_t>(s.boxX * kNodes + u) * padded + s.boxY * kNodes;
                    const double wu = s.weightX[u] * charge;
                    for (int v = 0; v < kNodes; ++v)
                        row[v] += static_cast<float>(wu * s.weightY[v]);
                }
            }
        }
    });

    convolve(boxWidth / kNodes);
    const float *pot = m_potentials.data_ptr<float>();
    std::vector<double> zPart(static_cast<std::size_t>(n));
    at::parallel_for(0, n, 4096, [&](std::int64_t begin, std::int64_t end) {
        for (auto i = begin; i < end; ++i) {
            const auto &s = m_stencils[static_cast<std::size_t>(i)];
            double phi[4] = {0, 0, 0, 0};
            for (int u = 0; u < kNodes; ++u)
                for (int v = 0; v < kNodes; ++v) {
                    const double w = s.weightX[u] * s.weightY[v];
                    const auto at = static_cast<std::int64_t>(s.boxX * kNodes + u) * padded + s.boxY * kNodes + v;
                    for (int c = 0; c < 4; ++c)
                        phi[c] += w * pot[c * chargePlane + at];
                }
            const double px = y[static_cast<std::size_t>(2 * i)], py = y[static_cast<std::size_t>(2 * i + 1)];
            // sum_j K^2 (y_i - y_j): the point's own term (K = 1) cancels between the two parts.
            force[static_cast<std::size_t>(2 * i)] = px * phi[0] - phi[1];
            force[static_cast<std::size_t>(2 * i + 1)] = py * phi[0] - phi[2];
            zPart[static_cast<std::size_t>(i)] = phi[3] - 1; // less the point's own K = 1
        }
    });
    double z = 0;
    for (const double part : zPart) // index order: the same sum for any thread count
        z += part;
    return z;
}

double exactRepulsion(const std::vector<double> &y, std::vector<double> &force)
{
    const auto n = static_cast<std::int64_t>(y.size() / 2);
    force.assign(y.size(), 0);
    std::vector<double> zPart(static_cast<std::size_t>(n));
    at::parallel_for(0, n, 64, [&](std::int64_t begin, std::int64_t end) {
        for (auto i = begin; i < end; ++i) {
            const double px = y[static_cast<std::size_t>(2 * i)], py = y[static_cast<std::size_t>(2 * i + 1)];
            double fx = 0, fy = 0, z = 0;
            for (std::int64_t j = 0; j < n; ++j) {
                if (j == i)
                    continue;
                const double dx = px - y[static_cast<std::size_t>(2 * j)],
                             dy = py - y[static_cast<std::size_t>(2 * j + 1)];
                const double w = 1 / (1 + dx * dx + dy * dy);
                z += w;
                fx += w * w * dx;
                fy += w * w * dy;
            }
            force[static_cast<std::size_t>(2 * i)] = fx;
            force[static_cast<std::size_t>(2 * i + 1)] = fy;
            zPart[static_cast<std::size_t>(i)] = z;
        }
    });
    double z = 0;
    for (const double part : zPart)
        z += part;
    return z;
}

} // namespace upstep::core
