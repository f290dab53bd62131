#pragma once
// The result card's label-free health line for a run without an evaluation: which monitor, over
// this session's evaluated runs, ranks them as the labels do (core/run/healthsignal), where
// this run's value of it falls among theirs, or plainly that no monitor predicts the result.
//
// Threading: a pure function; GUI thread in practice.

#include "upstep/run/runrecord.h"

#include <QString>

#include <vector>

namespace upstep::ui {

/// sessionRuns: the runs of the session (the run itself may be among them).
QString healthNote(const core::RunRecord &run, const std::vector<core::RunRecord> &sessionRuns);

} // namespace upstep::ui
