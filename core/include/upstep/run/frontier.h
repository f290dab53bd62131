#pragma once
// The gain-versus-forgetting frontier of a set of runs: a run is Pareto-optimal when no other
// run gains at least as much while forgetting at most as much, and is better in one of the two.
// The sweep table and the workbench's run comparison mark these runs.
//
// Threading: a pure function.

#include <vector>

namespace upstep::core {

/// One flag per run. A run with a NaN gain or forgetting is never on the front and dominates
/// nothing; runs with identical figures are all on it when one of them is.
std::vector<bool> paretoFront(const std::vector<double> &gain, const std::vector<double> &forgetting);

} // namespace upstep::core
