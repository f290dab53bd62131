#pragma once
// The one table of a sweep (docs/TRAINING.md, "Sweeps"): a row per run with its validation and
// test scores, cost and frontier mark; mean and spread per variant over its seeds; and the
// health signal (which label-free monitor's final value ranks the runs as the labels do).
// Written after every run, so an interrupted sweep still has its table.
//
// Threading: pure functions; torch-free.

#include "upstep/run/evalreport.h"
#include "upstep/run/runrecord.h"
#include "upstep/train/sweepplan.h"

#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

struct SweepResult {
    SweepRun run;
    std::optional<RunRecord> record;      ///< read back from its folder; unset before it ran
    std::optional<EvalReport> validation; ///< validation.json; test scores are record->evaluation
};

std::string sweepMarkdown(const std::vector<SweepResult> &results);
/// One line per run, every figure in percent points (empty when not measured).
std::string sweepCsv(const std::vector<SweepResult> &results);

} // namespace upstep::core
