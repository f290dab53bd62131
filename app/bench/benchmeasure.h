#pragma once
// What the developer benchmarks measure the same way: wall time since a start, and the process's
// peak resident memory.
//
// Threading: pure functions; call from any thread.

#include <sys/resource.h>

#include <chrono>

namespace upstep::bench {

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The process's peak resident memory so far, in bytes (ru_maxrss is in KiB on Linux).
inline double peakResidentBytes()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

} // namespace upstep::bench
