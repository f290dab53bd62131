#pragma once
// What an evaluation will cost after its feature passes, said before they start: `upstep eval`
// prints it once the folders are scanned and the backbone is known. Like the map's estimate
// (mapestimate.h), the feature passes are left to the progress line's ETA: their rate depends
// on the backbone, the device and the decoder, and the command has measured none of it yet.
//
// Modelled:
//   - kNN: a similarity block of every query against the memory bank and a top-k per query, for
//     the base, the adapted and the ensemble (twice as wide) features, and the source folder's
//     half-against-half split;
//   - the linear probe: L-BFGS evaluations over the training rows, each a pass over the rows
//     whose cost grows with the classes;
//   - memory while scoring, the larger of its two phases (the target's base, adapted and
//     ensemble tables; then the base tables and the source's), with the kNN's normalised bank
//     and similarity block, the image lists, the models and the program. The feature passes'
//     own peak (the loader's batches, the backbone's activations) is not in it.
// Both classifiers run on the CPU (the features come back as CPU tables whatever the device),
// at rates measured with upstep-bench-eval on a 2-core machine (docs/TRAINING.md, "Evaluation
// at scale"), taken to scale with the threads up to 8 (unmeasured past 2).
//
// Threading: pure functions. Torch-free.

#include <cstdint>
#include <string>

namespace upstep::core {

struct EvalCostShape {
    std::int64_t trainImages = 0;  ///< kNN memory and probe training rows
    std::int64_t testImages = 0;   ///< queries
    std::int64_t sourceImages = 0; ///< the source folder's images (split in halves), 0 without one
    std::int64_t featureDim = 0;
    std::int64_t classes = 10;
    bool withAdapter = false;    ///< adapted and ensemble rows too
    bool linearProbe = true;     ///< false: kNN alone
    int linearIterations = 200;  ///< the probe's L-BFGS iterations
    std::int64_t modelBytes = 0; ///< one backbone's weights in memory
};

struct EvalCostEstimate {
    std::int64_t featurePasses = 0; ///< images times models
    double knnSeconds = 0;
    double linearSeconds = 0;
    std::int64_t peakBytes = 0; ///< while scoring, after the feature passes
    double totalSeconds() const { return knnSeconds + linearSeconds; }
};

EvalCostEstimate estimateEvalCost(const EvalCostShape &shape, int threads);

/// "140000 feature passes, then scoring in about 3 min (kNN 1 min, linear probe 2 min) and about
/// 1.2 GB of memory". The feature passes' time is not in it: say where it shows (the progress
/// ETA).
std::string describeEvalCost(const EvalCostEstimate &estimate);

} // namespace upstep::core
