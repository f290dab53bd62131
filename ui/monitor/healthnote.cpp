#include "monitor/healthnote.h"

#include "upstep/run/healthsignal.h"

#include <QObject>

#include <algorithm>
#include <cmath>

namespace upstep::ui {

namespace {

double monitorValue(const core::RunRecord &run, const std::string &name)
{
    for (const auto &m : core::finalMonitors(run))
        if (m.name == name)
            return m.value;
    return std::nan("");
}

QString direction(double rho, const QString &what)
{
    return rho > 0 ? QObject::tr("more %1 (Spearman %2)").arg(what).arg(rho, 0, 'f', 2)
                   : QObject::tr("less %1 (Spearman %2)").arg(what).arg(rho, 0, 'f', 2);
}

/// What a run's place among the evaluated runs suggests for one side (gain or forgetting):
/// "more forgetting", "less target gain"; empty in the middle third, where a rank says little.
QString likely(double rho, double place, const QString &what)
{
    if (place > 1.0 / 3 && place < 2.0 / 3)
        return {};
    const bool high = place >= 2.0 / 3;
    return (high == (rho > 0)) ? QObject::tr("more %1").arg(what) : QObject::tr("less %1").arg(what);
}

} // namespace

QString healthNote(const core::RunRecord &run, const std::vector<core::RunRecord> &sessionRuns)
{
    std::vector<core::RunRecord> evaluated;
    for (const auto &r : sessionRuns)
        if (r.evaluation && r.dir != run.dir)
            evaluated.push_back(r);
    const auto count = static_cast<int>(evaluated.size()); // the per-monitor counts are checked below
    if (count < core::kMinimumHealthRuns)
        return QObject::tr("Which monitor predicts gain or forgetting is learned from %1 or more evaluated runs of "
                           "this session (%n so far); a sweep with a labeled folder makes them.",
                           nullptr, count)
            .arg(core::kMinimumHealthRuns);
    const auto correlations = core::healthCorrelations(evaluated);
    const auto best = core::bestPredictor(correlations);
    if (!best) {
        const auto strongest = std::max_element(correlations.begin(), correlations.end(),
                                                [](const auto &a, const auto &b) {
                                                    return core::predictiveStrength(a) < core::predictiveStrength(b);
                                                });
        return QObject::tr("No monitor ranks this session's %1 evaluated runs by gain or forgetting (closest: %2, "
                           "|Spearman| %3 of %4). The curves show whether training was healthy, not whether it "
                           "helped.")
            .arg(count)
            .arg(QString::fromStdString(strongest->monitor))
            .arg(core::predictiveStrength(*strongest), 0, 'f', 2)
            .arg(core::kUsefulCorrelation, 0, 'f', 1);
    }
    const double value = monitorValue(run, best->monitor);
    QStringList relations;
    if (core::predictsGain(*best))
        relations << direction(best->withGain, QObject::tr("target gain"));
    if (core::predictsForgetting(*best))
        relations << direction(best->withForgetting, QObject::tr("forgetting"));
    if (!std::isfinite(value))
        return QObject::tr("Across this session's %1 evaluated runs, a higher %2 went with %3. This run did not "
                           "record it.")
            .arg(count)
            .arg(QString::fromStdString(best->monitor), relations.join(QObject::tr(" and ")));
    const auto runsBelow = [&](const std::string &monitor, double v) {
        int n = 0;
        for (const auto &r : evaluated)
            n += monitorValue(r, monitor) < v ? 1 : 0;
        return n;
    };
    const int below = runsBelow(best->monitor, value);
    // The conclusion first (a note cut at its lines keeps it), then the evidence.
    const double place = static_cast<double>(below) / count;
    QStringList expected;
    if (core::predictsGain(*best))
        expected << likely(best->withGain, place, QObject::tr("target gain"));
    // The strongest monitor may rank only the forgetting while another ranks the gain, which is
    // what a user asks first: that one speaks for the gain.
    QString gainEvidence;
    const auto gainPredictor = core::bestGainPredictor(correlations);
    if (!core::predictsGain(*best) && gainPredictor) {
        const double gainValue = monitorValue(run, gainPredictor->monitor);
        if (std::isfinite(gainValue)) {
            const int gainBelow = runsBelow(gainPredictor->monitor, gainValue);
            expected << likely(gainPredictor->withGain, static_cast<double>(gainBelow) / count,
                               QObject::tr("target gain"));
            gainEvidence = QObject::tr(" For the gain: its %1 (%2) is higher than in %3 of them, and a higher %1 "
                                       "went with %4.")
                               .arg(QString::fromStdString(gainPredictor->monitor))
                               .arg(gainValue, 0, 'g', 3)
                               .arg(gainBelow)
                               .arg(direction(gainPredictor->withGain, QObject::tr("target gain")));
        }
    }
    if (core::predictsForgetting(*best))
        expected << likely(best->withForgetting, place, QObject::tr("forgetting"));
    expected.removeAll(QString());
    const auto conclusion =
        expected.isEmpty()
            ? QObject::tr("Probably in the middle of this session's runs")
            : QObject::tr("Probably %1 than most of this session's runs").arg(expected.join(QObject::tr(" and ")));
    const bool anyGain = std::any_of(correlations.begin(), correlations.end(), core::predictsGain);
    return QObject::tr("%1: its %2 (%3) is higher than in %4 of the %5 evaluated runs, and across them a higher %2 "
                       "went with %6.%7")
        .arg(conclusion, QString::fromStdString(best->monitor))
        .arg(value, 0, 'g', 3)
        .arg(below)
        .arg(count)
        .arg(relations.join(QObject::tr(" and ")))
        .arg(anyGain ? gainEvidence : QObject::tr(" No monitor predicts the target gain."));
}

} // namespace upstep::ui
