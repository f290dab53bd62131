#pragma once
// Lists the earlier runs of the current session (the run folders under runsRoot() whose config
// adapts the same base to the same target, see sameSession) in a BackgroundTask, since reading
// every run's record can take a while. It keeps the newest run that Resume can continue and
// feeds the list to the RunComparison. It exists so the window only asks for a new listing and
// reacts when one is done. A new listing cancels the one in progress; only the newest listing's
// result is used.
//
// Threading: GUI thread only; the run folders are read on the BackgroundTask's thread.

#include "upstep/run/trainconfig.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <functional>

namespace upstep::ui {

class BackgroundTask;
class RunComparison;

class RunLister : public QObject {
    Q_OBJECT
public:
    /// Chooses the run the comparison marks as current, given the session's newest run (empty
    /// when it has none). Called on the GUI thread when a listing succeeds, before the
    /// comparison is fed.
    using CurrentRun = std::function<QString(const QString &newestRun)>;

    RunLister(RunComparison *comparison, CurrentRun currentRun, QObject *parent = nullptr);

    /// Lists the runs of session again, cancelling the listing in progress.
    void refresh(const core::TrainConfig &session);
    /// A listing is in progress: the newest and the resumable run are not known yet. False again
    /// once listingFinished() is emitted.
    bool isListing() const { return !m_task.isNull(); }
    /// The newest run of the session that stopped with a checkpoint, as of the last successful
    /// listing; empty when there is none.
    QString resumableRunDir() const { return m_resumableRunDir; }

signals:
    /// The newest listing succeeded: resumableRunDir() and the comparison are up to date.
    void listed();
    /// The newest listing is over (after listed(), or after it failed); isListing() is false.
    void listingFinished();
    /// Some listed runs are being trained by another process: a new listing, a few seconds
    /// after the last, shows how they grow and when they end.
    void refreshWanted();

private:
    RunComparison *m_comparison;
    CurrentRun m_currentRun;
    QPointer<BackgroundTask> m_task; ///< the newest listing, until it is over
    QString m_resumableRunDir;
    QTimer *m_poll; ///< single shot: refreshWanted() while runs are in use elsewhere
};

} // namespace upstep::ui
