#pragma once
// A label-free health signal (docs/TRAINING.md, "Which monitor predicts the result"): the user
// of a run without a labeled folder sees only the monitors the run logs. Across the runs of a
// sweep, evaluated with labels, the rank correlation of each monitor's final value with the
// target gain and with the forgetting says which monitor, if any, tells a good run from a bad one.
//
// Threading: pure functions; torch-free.

#include "upstep/run/runrecord.h"

#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

/// Spearman's rank correlation (ties get their mean rank). Pairs with a NaN are left out; NaN
/// when fewer than three pairs remain or either side is constant.
double spearman(const std::vector<double> &x, const std::vector<double> &y);

/// The label-free monitors of a run, by name, at the end of its training: the last finite value
/// in its metrics.
struct MonitorValue {
    std::string name; ///< for people: "feature drift"
    std::string key;  ///< for tables and scripts: "feature_drift"
    double value;
};
std::vector<MonitorValue> finalMonitors(const RunRecord &run);

struct HealthCorrelation {
    std::string monitor;
    double withGain = 0;       ///< Spearman rho with the target kNN gain
    double withForgetting = 0; ///< Spearman rho with the forgetting (source head drop, else kNN drop)
    int gainRuns = 0;          ///< runs with both the monitor and a gain: what withGain rests on
    int forgettingRuns = 0;    ///< runs with both the monitor and a forgetting figure
};

/// One entry per monitor over the evaluated runs, in finalMonitors' order.
std::vector<HealthCorrelation> healthCorrelations(const std::vector<RunRecord> &runs);

/// |rho| at or above which a monitor is called a useful predictor in reports: with a dozen runs,
/// a weaker rank correlation is within what chance gives.
constexpr double kUsefulCorrelation = 0.6;
/// Fewer evaluated runs than this name no predictor: |rho| >= 0.6 happens by chance for 35 % of
/// random orders of 5 runs, 7 % of 10 runs (and a report tries six monitors).
constexpr int kMinimumHealthRuns = 10;

/// The strongest correlation, by predictiveStrength, when it reaches kUsefulCorrelation;
/// nullopt otherwise.
std::optional<HealthCorrelation> bestPredictor(const std::vector<HealthCorrelation> &correlations);
/// The monitor that ranks the runs by target gain best (largest |rho| among those that
/// predictsGain), and likewise by forgetting; nullopt when none does. The two may differ from
/// each other and from bestPredictor: a monitor that tracks the forgetting closely can be the
/// strongest overall and say nothing of the gain.
std::optional<HealthCorrelation> bestGainPredictor(const std::vector<HealthCorrelation> &correlations);
std::optional<HealthCorrelation> bestForgettingPredictor(const std::vector<HealthCorrelation> &correlations);
/// max(|with gain|, |with forgetting|), each side counted only when it rests on at least
/// kMinimumHealthRuns runs; NaN counts as 0.
double predictiveStrength(const HealthCorrelation &correlation);
/// The sides of a correlation that count: |rho| >= kUsefulCorrelation over enough runs.
bool predictsGain(const HealthCorrelation &correlation);
bool predictsForgetting(const HealthCorrelation &correlation);

} // namespace upstep::core
