#pragma once
// An earlier run, read back from its folder for comparison and resumption: its config, metrics
// curves, summary and evaluation. A run still in progress, or one that stopped, simply lacks the
// later files. Torch-free for the workbench.
//
// Threading: pure functions over files; call them off the GUI thread for long runs.

#include "upstep/run/evalreport.h"
#include "upstep/run/metricsrecord.h"
#include "upstep/run/trainconfig.h"
#include "upstep/run/trainsummary.h"

#include <filesystem>
#include <optional>
#include <vector>

namespace upstep::core {

struct RunRecord {
    std::filesystem::path dir;
    TrainConfig config;
    std::vector<MetricsRecord> metrics;  ///< metrics.jsonl; a torn last line is ignored
    std::optional<TrainSummary> summary; ///< summary.json
    std::optional<EvalReport> evaluation; ///< eval.json
    bool hasCheckpoint = false;           ///< a stopped run with one can be resumed

    RunStatus status() const { return summary ? summary->status : RunStatus::Incomplete; }
    bool resumable() const { return hasCheckpoint && status() != RunStatus::Finished; }
};

/// Reads runDir. Throws FormatError/InputError when config.json is missing or malformed.
RunRecord loadRunRecord(const std::filesystem::path &runDir);

/// The copy of its plan that a sweep keeps in its folder (`upstep sweep`).
inline constexpr const char *kSweepPlanFile = "sweep.json";

/// Sub-folders of root that hold a config.json, and those of sweep folders in root (folders
/// holding kSweepPlanFile), newest first. Missing root: none.
std::vector<std::filesystem::path> findRunFolders(const std::filesystem::path &root);

/// Target accuracy gain (adapted - base, kNN) and forgetting (source head drop, else source kNN
/// drop), in fractions; NaN when the run was not evaluated with those folders.
double targetGain(const EvalReport &report);
double forgetting(const EvalReport &report);

} // namespace upstep::core
