#pragma once
// Progress reporting for long work, in the style of llama.cpp's progress callbacks: core calls a
// plain function with a small value struct. The callback runs on the worker's thread; a UI
// forwards it to its own thread, a CLI draws a bar.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace upstep::core {

struct Progress {
    std::string stage;      ///< what is being done, e.g. "decoding"
    std::int64_t done = 0;  ///< units finished
    std::int64_t total = 0; ///< units in all; 0 when unknown
    std::string unit = "items";
};

using ProgressSink = std::function<void(const Progress &)>;

/// Borrowed stop flag: long work polls it and throws Cancelled when set. May be null.
using StopFlag = const std::atomic<bool> *;

inline bool stopRequested(StopFlag stop) { return stop && stop->load(std::memory_order_relaxed); }

} // namespace upstep::core
