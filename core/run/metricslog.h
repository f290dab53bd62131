#pragma once
// metrics.jsonl of a run folder: one MetricsRecord per line (metricsToJson), appended by the
// trainer at every logging step and read, possibly at the same time, by the workbench and by
// `upstep` commands. A reader never fails on the line being written: a torn or unparsable line is
// skipped.
//
// Threading: a MetricsLog belongs to the training thread; the free functions may run on any
// thread (they open the file themselves).

#include "upstep/run/metricsrecord.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

namespace upstep::core {

class MetricsLog {
public:
    /// A fresh run truncates the log; a resumed one appends to it. Throws IoError.
    MetricsLog(std::filesystem::path file, bool append);

    /// Appends one record and flushes it. Throws IoError when the write fails (disk full).
    void append(const MetricsRecord &record);

private:
    std::filesystem::path m_file;
    std::ofstream m_out;
};

/// Every complete record in file, in order; none when the file is missing.
std::vector<MetricsRecord> readMetricsLog(const std::filesystem::path &file);

/// Keeps the lines of records up to and including `step` (a resumed run logs the later ones
/// again), rewriting the file atomically.
void truncateMetricsLog(const std::filesystem::path &file, std::int64_t step);

} // namespace upstep::core
