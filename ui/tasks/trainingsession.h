#pragma once
// Owns the workbench's training threads: one QThread and one TrainingWorker per run, both deleted
// when the run's thread ends. The GUI drives it with start/pause/resume/stop and reads its state;
// the worker's signals are forwarded unchanged.
//
// Threading: GUI thread only. The destructor asks a running worker to stop (it writes a
// checkpoint) and waits for its thread, so closing never kills a run mid-write.

#include "tasks/trainingworker.h"

#include <QObject>

#include <atomic>

namespace upstep::ui {

class TrainingSession : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Training, Paused, Stopping, Evaluating };
    Q_ENUM(State)

    explicit TrainingSession(QObject *parent = nullptr);
    ~TrainingSession() override;

    /// Starts job unless a run is active; returns false then.
    bool start(const TrainingJob &job);
    void pause();
    void resume();
    void stop();

    State state() const { return m_state; }
    bool isActive() const { return m_state != State::Idle; }
    QString runDir() const { return m_runDir; }

    /// Blocks (processing events) until the worker is done or timeoutMs passes. For shutdown and tests.
    bool waitForIdle(int timeoutMs);

signals:
    void stateChanged(upstep::ui::TrainingSession::State state);
    void progressed(const upstep::core::Progress &progress);
    void metricsReady(const upstep::core::MetricsRecord &record);
    void logLine(const QString &line);
    void trainingFinished(const upstep::core::TrainSummary &summary);
    void evaluated(const upstep::core::EvalReport &report);
    void failed(const upstep::ui::TaskError &error);
    void finished();

private:
    void setState(State state);

    std::atomic<bool> m_stop{false};  ///< read by the worker, set here
    std::atomic<bool> m_pause{false};
    State m_state = State::Idle;
    QString m_runDir;
};

} // namespace upstep::ui
