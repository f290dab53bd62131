#pragma once
// Upper bounds on the sizes a user sets, shared by every module that checks one, so that an absurd
// value (a typo, a wrapped number) is refused with its cost before anything is allocated or any
// thread is started. They are generous for real work; docs/ROBUSTNESS.md lists them.
//
// Threading: constants.

#include <cstdint>

namespace upstep::core {

inline constexpr std::int64_t kMaxSteps = 100'000'000;
inline constexpr double kMaxEpochs = 1'000'000;
inline constexpr int kMaxBatch = 16384;    ///< images per batch, anywhere
inline constexpr int kMaxWorkers = 256;    ///< decoding threads
inline constexpr int kMaxInputSize = 4096; ///< pixels on a side of a model input
inline constexpr int kMaxPrototypes = 1 << 20;
inline constexpr int kMaxSinkhornIterations = 1000;
inline constexpr int kMaxProbeImages = 100'000;
inline constexpr int kMaxKeptCheckpoints = 1000;

} // namespace upstep::core
