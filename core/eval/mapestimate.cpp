#include "upstep/eval/mapestimate.h"

#include "upstep/common/choices.h"
#include "upstep/common/units.h"

#include <algorithm>
#include <cmath>

namespace upstep::core {

namespace {

// Rates measured with upstep-bench-tsne on 2 threads (AMD EPYC, 2 cores), 192-dimensional
// features: the 60,000 Fashion-MNIST training images, and a million rows made of them
// (docs/benchmarks/embedding.md; docs/EMBEDDINGS.md, "Estimates", compares model and runs).
constexpr double kReferenceThreads = 2;
constexpr double kReferenceDim = 192;
constexpr double kReferencePoints = 60000;
/// HNSW build and query plus the graph at 60,000 points: a part per point (the build) and a part
/// per point and neighbour asked for (the query and the graph), from UMAP's 14 neighbours (7.5 s)
/// and t-SNE's 90 (13.2 s). Both grow a little faster than the log of the points: 302 s for 90
/// neighbours of a million points.
constexpr double kNeighbourSecondsPerPoint = 1.075e-4;
constexpr double kNeighbourSecondsPerPointNeighbour = 1.25e-6;
constexpr double kNeighbourGrowthPower = 1.5;
/// One t-SNE iteration: a fixed part (the FFT grid, at least 150 nodes a side, larger as the
/// map spreads) and a part per point (attraction, spreading and interpolation): 24.5 ms at
/// 60,000 points, 164 ms at a million.
constexpr double kTsneSecondsPerIteration = 0.010;
constexpr double kTsneSecondsPerPointIteration = 1.5e-7;
/// Exact neighbour search (up to 10,000 points): per pair of points and dimension.
constexpr double kExactSecondsPerPairDim = 1e-10;
constexpr double kExactUpTo = 10000; ///< NeighbourSearchConfig::exactUpTo
/// One UMAP epoch, per point, at 15 neighbours: 9.3 s for 200 epochs of 60,000 points. The
/// negative samples land anywhere in the map, so the rate falls as the map outgrows the caches:
/// 233 s for 200 epochs of a million, 1.5 times the rate per point, as (points / 60,000)^0.15.
constexpr double kUmapSecondsPerPointEpoch = 9.3 / 60000 / 200;
constexpr double kUmapCacheGrowthPower = 0.15;
/// A scanned image: its entry in the scan's and the map's image lists (about 40 bytes each,
/// tst_imagelist) and the map's label.
constexpr double kBytesPerImage = 100;
/// LibTorch, OpenCV and the program's own buffers (as MemoryEstimate::runtime).
constexpr double kRuntimeBytes = 350e6;

} // namespace

MapCostEstimate estimateMapCost(const EmbedJob &job, std::int64_t images, std::int64_t featureDim, bool withAdapter,
                                double secondsPerImage, int threads)
{
    MapCostEstimate e;
    e.images = job.maxImages > 0 ? std::min(images, job.maxImages) : images;
    const bool layout = job.method != EmbedMethod::Pca;
    // Images the adapter leaves unchanged enter once; the estimate takes the worst case.
    e.mapPoints = layout && withAdapter ? 2 * e.images : e.images;
    const double n = static_cast<double>(e.images), points = static_cast<double>(e.mapPoints);
    const double dim = static_cast<double>(std::max<std::int64_t>(featureDim, 1));
    const double speed = kReferenceThreads / std::max(threads, 1);
    if (secondsPerImage > 0)
        e.featureSeconds = secondsPerImage * n;

    const int neighbours = job.method == EmbedMethod::Tsne ? static_cast<int>(3 * job.perplexity)
                                                           : std::max(job.umapNeighbours - 1, 1);
    const double bytesPerFeatureTable = n * dim * 4;
    double peak = kRuntimeBytes + n * kBytesPerImage + bytesPerFeatureTable * (withAdapter ? 2 : 1);
    if (layout) {
        // HNSW's work grows with the log of the points and the width of each distance.
        const double searchGrowth = std::pow(std::log(std::max(points, 2.0)) / std::log(kReferencePoints),
                                             kNeighbourGrowthPower);
        e.neighbourSeconds = (points <= kExactUpTo
                                  ? kExactSecondsPerPairDim * points * points * dim
                                  : (kNeighbourSecondsPerPoint + kNeighbourSecondsPerPointNeighbour * neighbours) *
                                        points * (dim / kReferenceDim) * searchGrowth) *
                             speed;
        e.layoutSeconds = (job.method == EmbedMethod::Tsne
                               ? (kTsneSecondsPerPointIteration * points + kTsneSecondsPerIteration) * job.iterations
                               : kUmapSecondsPerPointEpoch * points * (e.mapPoints <= 10000 ? 500 : 200) *
                                     std::pow(std::max(points / kReferencePoints, 1.0), kUmapCacheGrowthPower)) *
                          speed;
        const double joined = points * dim * 4;                           // the table the map is built on
        const double index = points * (dim * 4 + 2 * 16 * 4 + 64);        // HNSW: vectors and links
        const double graph = points * neighbours * (12.0 + 2 * 12.0 + 8); // table, both halves, kept edges
        peak += joined + std::max(index, graph);
    }
    e.peakBytes = static_cast<std::int64_t>(peak);
    return e;
}

std::string describeMapCost(const EmbedJob &job, const MapCostEstimate &e)
{
    const std::string method = job.method == EmbedMethod::Tsne   ? "t-SNE"
                               : job.method == EmbedMethod::Umap ? "UMAP"
                                                                 : "PCA";
    std::string parts;
    if (e.featureSeconds >= 0)
        parts = "features " + roughDuration(e.featureSeconds) + ", ";
    if (job.method != EmbedMethod::Pca)
        parts += "neighbours " + roughDuration(e.neighbourSeconds) + ", " + method + " " +
                 roughDuration(e.layoutSeconds);
    else
        parts += "PCA in seconds";
    const std::string memory = "about " + gigabytes(static_cast<double>(e.peakBytes), 1) + " of memory";
    if (e.featureSeconds < 0)
        return "the map after the features: about " + roughDuration(e.neighbourSeconds + e.layoutSeconds) + " (" +
               parts + "), " + memory;
    return "about " + roughDuration(e.totalSeconds()) + " (" + parts + "), " + memory;
}

} // namespace upstep::core
