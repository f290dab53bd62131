#include "upstep/eval/evalestimate.h"

#include "upstep/common/units.h"

#include <algorithm>

namespace upstep::core {

namespace {

// Measured with upstep-bench-eval on 2 threads (AMD EPYC, 2 cores), 10,000 queries of 192
// values against 10,000 to 1,000,000 rows (docs/TRAINING.md, "Evaluation at scale").
constexpr double kReferenceThreads = 2;
/// kNN, per query, memory row and feature value (the similarity block), and per query and
/// memory row (normalising, top-k).
constexpr double kKnnSecondsPerMac = 1.03e-11;
constexpr double kKnnSecondsPerPair = 6.7e-9;
/// The whole linear probe fit of 200 iterations, per training row and feature value: L-BFGS's
/// evaluations (up to 250; on separable data they stop sooner), each a pass over the rows.
constexpr double kLinearSecondsPerRowValue = 3.2e-7;
constexpr double kLinearReferenceIterations = 200;
/// What the program holds besides its models: LibTorch, OpenCV, the loaders' buffers
/// (`upstep scan --help` alone peaks at 165 MB).
constexpr double kRuntimeBytes = 200e6;
/// An image in the scans' and subsets' compact lists.
constexpr double kBytesPerImage = 100;
/// KnnConfig: at most 512 queries and 2^26 similarities a block, held with its exponentials.
constexpr double kKnnChunk = 512;
constexpr double kKnnBlockEntries = 1 << 26;

} // namespace

EvalCostEstimate estimateEvalCost(const EvalCostShape &s, int threads)
{
    EvalCostEstimate e;
    const double speed = kReferenceThreads / std::max(threads, 1);
    const double train = static_cast<double>(s.trainImages), test = static_cast<double>(s.testImages);
    const double source = static_cast<double>(s.sourceImages), dim = static_cast<double>(s.featureDim);
    const int models = s.withAdapter ? 2 : 1;
    e.featurePasses = (s.trainImages + s.testImages + s.sourceImages) * models;
    // Base; with an adapter also adapted and the ensemble, whose rows are twice as wide.
    const double probes = s.withAdapter ? 3 : 1, width = s.withAdapter ? 4 * dim : dim;
    const double half = source / 2;
    e.knnSeconds = (kKnnSecondsPerMac * (test * train * width + half * half * dim * models) +
                    kKnnSecondsPerPair * (test * train * probes + half * half * models)) *
                   speed;
    e.linearSeconds = s.linearProbe ? kLinearSecondsPerRowValue * train * width * speed *
                                          (s.linearIterations / kLinearReferenceIterations)
                                    : 0;

    const double rows = train + test;
    const double tables = rows * dim * 4 * models + source * dim * 4 * models;
    const double ensemble = s.withAdapter ? 2 * rows * 2 * dim * 4 : 0; // normalised halves, then joined
    const double knnBank = train * (s.withAdapter ? 2 * dim : dim) * 4; // the widest normalised bank
    const double knnBlock = 2 * std::min(kKnnBlockEntries, kKnnChunk * std::max(train, source / 2)) * 4;
    e.peakBytes = static_cast<std::int64_t>(kRuntimeBytes + static_cast<double>(s.modelBytes) * models +
                                            (rows + source) * kBytesPerImage + tables + ensemble + knnBank + knnBlock);
    return e;
}

std::string describeEvalCost(const EvalCostEstimate &e)
{
    const auto parts = e.linearSeconds > 0 ? " (kNN " + roughDuration(e.knnSeconds) + ", linear probe " +
                                                 roughDuration(e.linearSeconds) + ")"
                                           : std::string(" (kNN)");
    return std::to_string(e.featurePasses) + " feature passes (their time: the progress line's ETA), then about " +
           roughDuration(e.totalSeconds()) + parts + ", about " + gigabytes(static_cast<double>(e.peakBytes), 1) +
           " of memory";
}

} // namespace upstep::core
