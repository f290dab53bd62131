#pragma once
// One piece of long work (a folder scan, a backbone check, an evaluation, an export) run on its
// own QThread so the window never freezes. The work reports core::Progress, polls a stop flag,
// and returns its result as a QVariant or throws; the task turns both into signals.
//
// Threading: construct, start() and cancel() on the GUI thread. The work runs on the task's
// thread; progressed is emitted from there and reaches GUI-thread receivers queued, throttled to
// about 20 per second (the last one is always delivered). The outcome (succeeded or failed, then
// finished) is emitted on the GUI thread once the task's thread has ended, so isRunning() is
// already false in their handlers: a receiver that reacts to the outcome sees a settled task.
// The destructor cancels and waits, so a task can be deleted at any time.

#include "tasks/coretypes.h"
#include "tasks/progressthrottle.h"

#include <QObject>
#include <QVariant>

#include <atomic>
#include <functional>
#include <optional>

class QThread;

namespace upstep::ui {

class BackgroundTask : public QObject {
    Q_OBJECT
public:
    using Work = std::function<QVariant(const core::ProgressSink &progress, core::StopFlag stop)>;

    /// what names the work in error messages, e.g. "Scanning the target folder".
    BackgroundTask(QString what, Work work, QObject *parent = nullptr);
    ~BackgroundTask() override;

    void start();
    void cancel();
    bool isRunning() const;
    bool isCancelled() const { return m_stop.load(); }
    QString what() const { return m_what; }

signals:
    void progressed(const upstep::core::Progress &progress);
    void succeeded(const QVariant &result);
    void failed(const upstep::ui::TaskError &error);
    void finished(); ///< after succeeded or failed

private:
    void execute();
    void deliverOutcome();
    void reportProgress(const core::Progress &progress);

    QString m_what;
    Work m_work;
    QThread *m_thread = nullptr;
    std::atomic<bool> m_stop{false};
    bool m_delivered = false; ///< GUI thread only: the outcome has been emitted
    // Written by the task's thread before it ends, read on the GUI thread after it ended.
    QVariant m_result;
    std::optional<TaskError> m_error;
    ProgressThrottle m_throttle; ///< task thread only
};

} // namespace upstep::ui
