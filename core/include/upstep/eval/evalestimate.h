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
//   - the linear probe: L-BFGS evaluations over the training rows, each a pass over the rows;
//   - memory: the feature tables, the ensemble's joined tables, the kNN's normalised bank and
//     its similarity block, the image lists, and the program.
// Rates are measured with upstep-bench-eval on a 2-core machine (docs/TRAINING.md, "Evaluation
// at scale") and scale with the threads.
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
    bool withAdapter = false;    ///< adapted and ensemble rows too
    bool linearProbe = true;     ///< false: kNN alone
    int linearIterations = 200;  ///< the probe's L-BFGS iterations
    std::int64_t modelBytes = 0; ///< one backbone's weights in memory
};

struct EvalCostEstimate {
    std::int64_t featurePasses = 0; ///< images times models
    double knnSeconds = 0;
    double linearSeconds = 0;
    std::int64_t peakBytes = 0;
    double totalSeconds() const { return knnSeconds + linearSeconds; }
};

EvalCostEstimate estimateEvalCost(const EvalCostShape &shape, int threads);

/// "140,000 feature passes (their time: the progress line's ETA), then about 3 min (kNN 1 min,
/// linear probe 2 min), about 1.2 GB of memory".
std::string describeEvalCost(const EvalCostEstimate &estimate);

} // namespace upstep::core
