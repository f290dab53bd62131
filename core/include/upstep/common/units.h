#pragma once
// Sizes and durations as users read them in messages and logs: decimal gigabytes, as disks and free space are
// quoted. One formatter, so every message rounds the same way.
//
// Threading: pure functions.

#include <string>

namespace upstep::core {

/// bytes / 1e9 with `decimals` digits after the point, e.g. "1.01".
std::string gigabytesNumber(double bytes, int decimals = 2);

/// The same with its unit, e.g. "1.01 GB".
std::string gigabytes(double bytes, int decimals = 2);

/// A duration as an estimate reads: "40 s", "12 min", "3 h 20 min", "2 days 4 h".
std::string roughDuration(double seconds);

} // namespace upstep::core
