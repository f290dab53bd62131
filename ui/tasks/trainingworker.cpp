#include "tasks/trainingworker.h"

#include "upstep/common/hardware.h"
#include "upstep/eval/evaljob.h"
#include "tasks/taskerror.h"
#include "upstep/train/trainer.h"

namespace upstep::ui {

TrainingWorker::TrainingWorker(TrainingJob job, const std::atomic<bool> *stop, const std::atomic<bool> *pause)
    : m_job(std::move(job)), m_stop(stop), m_pause(pause)
{
}

void TrainingWorker::run()
{
    core::initWorkerThread();
    try {
        train();
    } catch (...) {
        emit failed(currentTaskError(tr("Training")));
        emit finished();
        return;
    }
    try {
        evaluate();
    } catch (...) {
        emit failed(currentTaskError(tr("The evaluation")));
    }
    emit finished();
}

void TrainingWorker::train()
{
    core::TrainCallbacks callbacks;
    callbacks.progress = [this](const core::Progress &p) {
        if (m_throttle.pass(p))
            emit progressed(p);
    };
    callbacks.metrics = [this](const core::MetricsRecord &r) { emit metricsReady(r); };
    callbacks.log = [this](const std::string &line) { emit logLine(QString::fromStdString(line)); };
    core::TrainControl control;
    control.stop = m_stop;
    control.pause = m_pause;
    control.injectNanAtStep = m_job.injectNanAtStep;
    control.targetScan = m_job.targetScan;
    const auto summary = core::runAdaptation(m_job.config, m_job.runDir.toStdString(), m_job.resume, callbacks, control);
    emit trainingFinished(summary);
    if (summary.status != core::RunStatus::Finished)
        m_job.evaluate = false; // a stopped run is evaluated when it finishes
}

void TrainingWorker::evaluate()
{
    const auto &config = m_job.config;
    if (!m_job.evaluate || config.targetTest.empty() || m_stop->load())
        return;
    emit evaluationStarted();
    const auto job = core::evalJobForRun(config, m_job.runDir.toStdString());
    const auto report = core::runEvaluation(
        job,
        [this](const core::Progress &p) {
            if (m_throttle.pass(p))
                emit progressed(p);
        },
        m_stop,
        [this](const core::EvalCostEstimate &e) {
            emit logLine(
                tr("evaluation estimate: %1; the feature passes come first, and their time is not in this estimate")
                    .arg(QString::fromStdString(core::describeEvalCost(e))));
        });
    core::saveEvalReport(report, core::RunPaths(m_job.runDir.toStdString()).evaluation());
    emit evaluated(report);
}

} // namespace upstep::ui
