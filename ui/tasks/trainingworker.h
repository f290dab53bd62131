#pragma once
// Runs one adaptation (core::runAdaptation) and, when the config names evaluation folders, the
// end-of-run evaluation, on a TrainingSession's thread. Everything it learns leaves as small
// value-type signals; every exception from core arrives as failed(), never as a crash.
//
// Threading: constructed on the GUI thread, then moved to the session's thread, where run()
// executes. Stop and pause are atomics owned by the session, which outlives the worker's thread;
// the GUI thread sets them directly (a queued slot would never run while run() is busy). Signals
// are emitted from the worker's thread; progressed is throttled to about 20 per second.

#include "tasks/coretypes.h"
#include "tasks/progressthrottle.h"
#include "upstep/io/imagefolder.h"
#include "upstep/run/trainconfig.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace upstep::ui {

struct TrainingJob {
    core::TrainConfig config;
    QString runDir;
    bool resume = false;
    bool evaluate = true; ///< run the evaluation when config.targetTest or sourceProbe is set
    std::int64_t injectNanAtStep = -1; ///< fault injection for tests
    /// The target panel's scan, used by the run when the folder has not changed since (read only
    /// on the run's thread; the panel keeps its own reference).
    std::shared_ptr<const core::ImageFolder> targetScan;
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    TrainingWorker(TrainingJob job, const std::atomic<bool> *stop, const std::atomic<bool> *pause);

public slots:
    void run();

signals:
    void progressed(const upstep::core::Progress &progress);
    void metricsReady(const upstep::core::MetricsRecord &record);
    void logLine(const QString &line);
    void trainingFinished(const upstep::core::TrainSummary &summary);
    void evaluationStarted();
    void evaluated(const upstep::core::EvalReport &report);
    void failed(const upstep::ui::TaskError &error);
    void finished(); ///< always the last signal

private:
    void train();
    void evaluate();

    TrainingJob m_job;
    const std::atomic<bool> *m_stop;
    const std::atomic<bool> *m_pause;
    ProgressThrottle m_throttle;
};

} // namespace upstep::ui
