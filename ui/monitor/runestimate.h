#pragma once
// A time and memory estimate for the next run, shown before Start. It is measured, not modelled:
// the newest earlier run of the session with the same cost-relevant settings (backbone, batch,
// adapters, prototypes, crops, probes, device, precision, threads) gives its seconds per step,
// its evaluation time and its peak memory, and the form's budget scales the time. Without such
// a run there is no estimate, and the text says the first run measures it.
//
// Threading: pure functions; GUI thread in practice.

#include "upstep/run/runrecord.h"
#include "upstep/train/memoryestimate.h"

#include <QString>

#include <optional>
#include <vector>

namespace upstep::ui {

struct RunEstimate {
    QString basedOn;               ///< the earlier run's folder name
    double trainingSeconds = 0;    ///< the form's steps at that run's seconds per step
    double evaluationSeconds = -1; ///< that run's evaluation; -1 when the next run has no test folder or it had none
    std::int64_t peakResidentBytes = 0; ///< that run's peak memory; 0 when it did not record one
};

/// True when a run of a costs about what a run of b costs per step (the budget, seed and
/// optimisation constants do not matter).
bool sameCostPerStep(const core::TrainConfig &a, const core::TrainConfig &b);

/// The estimate for form (targetImages: the target folder's count, for a budget in epochs) from
/// the newest comparable run in runs that trained at least one step; none without one.
std::optional<RunEstimate> estimateRun(const core::TrainConfig &form, std::int64_t targetImages,
                                       const std::vector<core::RunRecord> &runs);

/// One line for the hint beside Start, e.g. "about 4:10 training + 0:45 evaluation, 1.2 GiB
/// peak memory (measured on run-3)".
QString estimateText(const RunEstimate &estimate);

/// What the bar beside Start says when a run can start: Start, or Resume resumableRun when not
/// empty, with the estimate's total and memory (text), and the whole estimate or why there is
/// none (detail, its tooltip). hasRuns: the session has earlier runs (none comparable).
struct StartHint {
    QString text, detail;
};
/// modelledMemory: the memory the run is expected to take from the model alone
/// (core::estimateTrainingMemory), shown when no earlier run measured it; empty when the
/// backbone is not known. machineMemory: this machine's memory (0: unknown); a run on the CPU
/// estimated above it is told to lower the batch size.
StartHint startHint(const QString &resumableRun, const std::optional<RunEstimate> &estimate, bool hasRuns,
                    const std::optional<core::MemoryEstimate> &modelledMemory = std::nullopt,
                    std::int64_t machineMemory = 0);

} // namespace upstep::ui
