#pragma once
// Sizes as users read them in messages and logs: decimal gigabytes, as disks and free space are
// quoted. One formatter, so every message rounds the same way.
//
// Threading: pure functions.

#include <string>

namespace upstep::core {

/// bytes / 1e9 with `decimals` digits after the point, e.g. "1.01".
std::string gigabytesNumber(double bytes, int decimals = 2);

/// The same with its unit, e.g. "1.01 GB".
std::string gigabytes(double bytes, int decimals = 2);

} // namespace upstep::core
