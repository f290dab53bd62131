#include "monitor/runestimate.h"

#include "upstep/common/units.h"

#include "monitor/runfigures.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace upstep::ui {

namespace {

/// The settings a step's cost depends on, as one comparable value.
auto costKey(const core::TrainConfig &c)
{
    return std::tie(c.weights, c.arch, c.target, c.batchSize, c.tuning, c.loraRank, c.loraTargets, c.prototypes,
                    c.prototypeInit, c.cvrSpace, c.sinkhornIterations, c.offline, c.gate, c.gateQuantile, c.smallCrops,
                    c.sourceProbe, c.sourceProbeEvery, c.sourceProbeImages, c.probeImages, c.logEvery, c.precision,
                    c.device, c.threads, c.workers, c.checkpointEvery);
}

std::int64_t plannedSteps(const core::TrainConfig &form, std::int64_t targetImages)
{
    if (form.steps > 0)
        return form.steps;
    const auto batchesPerEpoch = std::max<std::int64_t>(1, targetImages / std::max(1, form.batchSize));
    return static_cast<std::int64_t>(std::ceil(form.epochs * static_cast<double>(batchesPerEpoch)));
}

QString tr(const char *text) { return QCoreApplication::translate("RunEstimate", text); }

} // namespace

bool sameCostPerStep(const core::TrainConfig &a, const core::TrainConfig &b) { return costKey(a) == costKey(b); }

std::optional<RunEstimate> estimateRun(const core::TrainConfig &form, std::int64_t targetImages,
                                       const std::vector<core::RunRecord> &runs)
{
    // runs are newest first (RunComparison's order): the first comparable one is the newest.
    for (const auto &run : runs) {
        if (!run.summary || !sameCostPerStep(form, run.config))
            continue;
        const auto &s = *run.summary;
        // wallSeconds covers only the last segment of a resumed run: the steps since its resume.
        const auto segmentSteps = s.steps - std::max<std::int64_t>(s.resumedFrom, 0);
        if (segmentSteps <= 0 || s.wallSeconds <= 0)
            continue;
        RunEstimate estimate;
        estimate.basedOn = QString::fromStdString(run.dir.filename().string());
        estimate.trainingSeconds = s.wallSeconds / static_cast<double>(segmentSteps) *
                                   static_cast<double>(plannedSteps(form, targetImages));
        if (!form.targetTest.empty() && run.evaluation && run.config.targetTest == form.targetTest)
            estimate.evaluationSeconds = run.evaluation->seconds;
        estimate.peakResidentBytes = s.peakResidentBytes;
        return estimate;
    }
    return std::nullopt;
}

QString estimateText(const RunEstimate &estimate)
{
    auto text = tr("about %1 training").arg(clockText(estimate.trainingSeconds));
    if (estimate.evaluationSeconds >= 0)
        text += tr(" + %1 evaluation").arg(clockText(estimate.evaluationSeconds));
    if (estimate.peakResidentBytes > 0)
        text += tr(", %1 GiB peak memory").arg(static_cast<double>(estimate.peakResidentBytes) / (1 << 30), 0, 'f', 1);
    return text + tr(" (measured on %1)").arg(estimate.basedOn);
}

StartHint startHint(const QString &resumableRun, const std::optional<RunEstimate> &estimate, bool hasRuns,
                    const std::optional<core::MemoryEstimate> &modelledMemory, std::int64_t machineMemory)
{
    QString brief; // short enough for the bar beside Start at 1360 px, with a resumable run's name
    if (estimate) {
        brief = tr("about %1").arg(clockText(estimate->trainingSeconds + std::max(0.0, estimate->evaluationSeconds)));
        if (estimate->peakResidentBytes > 0)
            brief += tr(", %1 GiB").arg(static_cast<double>(estimate->peakResidentBytes) / (1 << 30), 0, 'f', 1);
    }
    // Until a run has measured it, the memory comes from the model: said as an estimate.
    const bool modelled = modelledMemory && (!estimate || estimate->peakResidentBytes <= 0);
    if (modelled) {
        // Decimal gigabytes, as the tooltip's terms and the run log say them.
        const auto total = modelledMemory->total();
        const auto size = QString::fromStdString(core::gigabytes(static_cast<double>(total), 1));
        const bool tooLarge = !modelledMemory->onDevice && machineMemory > 0 && total > machineMemory;
        const auto machine = QString::fromStdString(core::gigabytes(static_cast<double>(machineMemory), 1));
        const auto memory = tooLarge ? tr("about %1, over this machine's %2").arg(size, machine)
                                     : tr("about %1 of memory (estimated)").arg(size);
        brief = brief.isEmpty() ? memory : tr("%1, %2").arg(brief, memory);
    }
    StartHint hint;
    if (resumableRun.isEmpty())
        hint.text = !brief.isEmpty() ? tr("Ready: press Start · %1").arg(brief) : tr("Ready: press Start");
    else
        hint.text = !brief.isEmpty() ? tr("Ready: Start a new run (%1), or Resume %2").arg(brief, resumableRun)
                                     : tr("Ready: Start a new run, or Resume %1").arg(resumableRun);
    hint.detail = estimate  ? tr("A new run: %1.").arg(estimateText(*estimate))
                  : hasRuns ? tr("No time estimate: no earlier run of this session has these settings; a run with them "
                                 "measures its speed (the ETA appears after a few steps).")
                            : tr("No time estimate yet: the first run measures its speed (the ETA appears after a "
                                 "few steps).");
    if (estimate)
        hint.detail += tr(" Measured, not modelled: that run's time per step times this run's steps.");
    if (modelled)
        hint.detail += tr(" Memory, modelled from the backbone and the settings: %1.")
                           .arg(QString::fromStdString(core::describeMemoryEstimate(*modelledMemory)));
    if (modelled && !modelledMemory->onDevice && machineMemory > 0 && modelledMemory->total() > machineMemory)
        hint.detail += tr(" That is more than this machine has: lower the batch size (activations grow with it).");
    return hint;
}

} // namespace upstep::ui
