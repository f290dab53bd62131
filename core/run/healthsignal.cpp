#include "upstep/run/healthsignal.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace upstep::core {

namespace {

std::vector<double> ranks(const std::vector<double> &values)
{
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    std::vector<double> rank(values.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]])
            ++j;
        const double mean = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
        for (std::size_t k = i; k <= j; ++k)
            rank[order[k]] = mean;
        i = j + 1;
    }
    return rank;
}

double pearson(const std::vector<double> &x, const std::vector<double> &y)
{
    const double n = static_cast<double>(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : std::nan("");
}

// The last finite value of one monitor in a run's metrics.
template <typename Read>
double lastFinite(const std::vector<MetricsRecord> &metrics, Read read)
{
    for (auto it = metrics.rbegin(); it != metrics.rend(); ++it)
        if (const double v = read(*it); std::isfinite(v))
            return v;
    return std::nan("");
}

} // namespace

double spearman(const std::vector<double> &x, const std::vector<double> &y)
{
    std::vector<double> a, b;
    for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i)
        if (std::isfinite(x[i]) && std::isfinite(y[i])) {
            a.push_back(x[i]);
            b.push_back(y[i]);
        }
    if (a.size() < 3)
        return std::nan("");
    return pearson(ranks(a), ranks(b));
}

std::vector<MonitorValue> finalMonitors(const RunRecord &run)
{
    const auto &m = run.metrics;
    return {
        {"loss", "loss", lastFinite(m, [](const MetricsRecord &r) { return r.loss; })},
        {"cluster loss", "cluster_loss", lastFinite(m, [](const MetricsRecord &r) { return r.clusterLoss; })},
        {"center norm", "center_norm", lastFinite(m, [](const MetricsRecord &r) { return r.muNorm; })},
        {"center drift", "center_drift", lastFinite(m, [](const MetricsRecord &r) { return r.centerDrift; })},
        {"feature drift", "feature_drift", lastFinite(m, [](const MetricsRecord &r) { return r.featureDrift; })},
        {"cluster usage (entropy / log K)", "cluster_usage",
         lastFinite(m, [](const MetricsRecord &r) { return r.clusterEntropy / r.maxEntropy; })},
    };
}

std::vector<HealthCorrelation> healthCorrelations(const std::vector<RunRecord> &runs)
{
    std::vector<double> gain, forgot;
    std::vector<std::vector<MonitorValue>> monitors;
    for (const auto &run : runs) {
        if (!run.evaluation)
            continue;
        gain.push_back(targetGain(*run.evaluation));
        forgot.push_back(forgetting(*run.evaluation));
        monitors.push_back(finalMonitors(run));
    }
    std::vector<HealthCorrelation> out;
    const auto names = finalMonitors(RunRecord{});
    for (std::size_t m = 0; m < names.size(); ++m) {
        std::vector<double> values;
        int withGain = 0, withForgetting = 0;
        for (std::size_t r = 0; r < monitors.size(); ++r) {
            values.push_back(monitors[r][m].value);
            withGain += std::isfinite(values.back()) && std::isfinite(gain[r]) ? 1 : 0;
            withForgetting += std::isfinite(values.back()) && std::isfinite(forgot[r]) ? 1 : 0;
        }
        out.push_back({names[m].name, spearman(values, gain), spearman(values, forgot), withGain, withForgetting});
    }
    return out;
}

namespace {

double side(double rho, int runs) { return runs >= kMinimumHealthRuns && std::isfinite(rho) ? std::abs(rho) : 0.0; }

} // namespace

double predictiveStrength(const HealthCorrelation &c)
{
    return std::max(side(c.withGain, c.gainRuns), side(c.withForgetting, c.forgettingRuns));
}

bool predictsGain(const HealthCorrelation &c) { return side(c.withGain, c.gainRuns) >= kUsefulCorrelation; }

bool predictsForgetting(const HealthCorrelation &c)
{
    return side(c.withForgetting, c.forgettingRuns) >= kUsefulCorrelation;
}

std::optional<HealthCorrelation> bestPredictor(const std::vector<HealthCorrelation> &correlations)
{
    std::optional<HealthCorrelation> best;
    for (const auto &c : correlations)
        if (predictiveStrength(c) >= kUsefulCorrelation && (!best || predictiveStrength(c) > predictiveStrength(*best)))
            best = c;
    return best;
}

namespace {

/// Of the correlations that `counts`, the one with the largest |rho| on the side `rho`.
std::optional<HealthCorrelation> strongestOn(const std::vector<HealthCorrelation> &correlations,
                                             bool (*counts)(const HealthCorrelation &), double HealthCorrelation::*rho)
{
    std::optional<HealthCorrelation> best;
    for (const auto &c : correlations)
        if (counts(c) && (!best || std::abs(c.*rho) > std::abs((*best).*rho)))
            best = c;
    return best;
}

} // namespace

std::optional<HealthCorrelation> bestGainPredictor(const std::vector<HealthCorrelation> &correlations)
{
    return strongestOn(correlations, predictsGain, &HealthCorrelation::withGain);
}

std::optional<HealthCorrelation> bestForgettingPredictor(const std::vector<HealthCorrelation> &correlations)
{
    return strongestOn(correlations, predictsForgetting, &HealthCorrelation::withForgetting);
}

} // namespace upstep::core
