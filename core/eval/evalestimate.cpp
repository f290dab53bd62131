#include "upstep/eval/evalestimate.h"

#include "upstep/common/units.h"

#include <algorithm>

namespace upstep::core {

namespace {

// Fitted to upstep-bench-eval runs on 2 threads (AMD EPYC, 2 cores): 10,000 queries against
// 60,000 rows of 192 and 768 values (which separates the similarity product from the top-k),
// and 10 and 100 classes (docs/TRAINING.md, "Evaluation at scale", compares the model with runs
// of 10,000 to 1,000,000 rows).
constexpr double kReferenceThreads = 2;
constexpr double kScalingThreads = 8; ///< more threads are not counted on: top-k waits on memory
/// kNN, per query, memory row and feature value (the similarity product), and per query and
/// memory row (the top-k over the block).
constexpr double kKnnSecondsPerMac = 1.03e-11;
constexpr double kKnnSecondsPerPair = 6.7e-9;
/// The whole linear probe fit of 200 iterations (L-BFGS's evaluations, up to 250, each a pass
/// over the rows): per training row and feature value, and per row, value and class.
constexpr double kLinearSecondsPerRowValue = 3.18e-7;
constexpr double kLinearSecondsPerRowValueClass = 1.36e-9;
constexpr double kLinearReferenceIterations = 200;
/// What the program holds besides its models: LibTorch, OpenCV, the loaders' buffers
/// (as MemoryEstimate::runtime).
constexpr double kRuntimeBytes = 350e6;
/// An image in the scans' and subsets' compact lists.
constexpr double kBytesPerImage = 100;
/// KnnConfig: at most 512 queries and 2^26 similarities a block.
constexpr double kKnnChunk = 512;
constexpr double kKnnBlockEntries = 1 << 26;

double knnBlockBytes(double bankRows) { return std::min(kKnnBlockEntries, kKnnChunk * bankRows) * 4; }

} // namespace

EvalCostEstimate estimateEvalCost(const EvalCostShape &s, int threads)
{
    EvalCostEstimate e;
    const double slowdown = kReferenceThreads / std::clamp<double>(threads, 1, kScalingThreads);
    const double train = static_cast<double>(s.trainImages), test = static_cast<double>(s.testImages);
    const double source = static_cast<double>(s.sourceImages), dim = static_cast<double>(s.featureDim);
    const double classes = static_cast<double>(std::max<std::int64_t>(s.classes, 2));
    const int models = s.withAdapter ? 2 : 1;
    e.featurePasses = (s.trainImages + s.testImages + s.sourceImages) * models;
    // Base; with an adapter also adapted and the ensemble, whose rows are twice as wide.
    const double probes = s.withAdapter ? 3 : 1, width = s.withAdapter ? 4 * dim : dim;
    const double half = source / 2;
    e.knnSeconds = (kKnnSecondsPerMac * (test * train * width + half * half * dim * models) +
                    kKnnSecondsPerPair * (test * train * probes + half * half * models)) *
                   slowdown;
    e.linearSeconds = s.linearProbe ? (kLinearSecondsPerRowValue + kLinearSecondsPerRowValueClass * classes) * train *
                                          width * slowdown * (s.linearIterations / kLinearReferenceIterations)
                                    : 0;

    // Scoring holds the base tables throughout. The target phase adds the adapted tables, the
    // ensemble's (twice as wide, with one part's normalised halves while it is joined) and the
    // widest bank; the source phase, after them, the source tables and their half as the bank.
    const double rows = train + test;
    const double baseTables = rows * dim * 4;
    const double target = s.withAdapter ? rows * dim * 4 + rows * 2 * dim * 4 + train * 2 * dim * 4 +
                                              train * 2 * dim * 4 + knnBlockBytes(train)
                                        : train * dim * 4 + knnBlockBytes(train);
    const double sourcePhase = source > 0 ? source * dim * 4 * models + half * dim * 4 + knnBlockBytes(half) : 0;
    e.peakBytes = static_cast<std::int64_t>(kRuntimeBytes + static_cast<double>(s.modelBytes) * models +
                                            (rows + source) * kBytesPerImage + baseTables +
                                            std::max(target, sourcePhase));
    return e;
}

std::string describeEvalCost(const EvalCostEstimate &e)
{
    const auto parts = e.linearSeconds > 0 ? " (kNN " + roughDuration(e.knnSeconds) + ", linear probe " +
                                                 roughDuration(e.linearSeconds) + ")"
                                           : std::string(" (kNN)");
    return std::to_string(e.featurePasses) + " feature passes, then scoring in about " +
           roughDuration(e.totalSeconds()) + parts + " and about " + gigabytes(static_cast<double>(e.peakBytes), 1) +
           " of memory";
}

} // namespace upstep::core
