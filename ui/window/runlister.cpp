#include "window/runlister.h"

#include "monitor/runcomparison.h"
#include "tasks/backgroundtask.h"
#include "tasks/coretypes.h"
#include "upstep/run/runfolderuse.h"
#include "window/sessionfiles.h"

#include <QStringList>
#include <QVariant>

#include <utility>
#include <vector>

namespace upstep::ui {

RunLister::RunLister(RunComparison *comparison, CurrentRun currentRun, QObject *parent)
    : QObject(parent), m_comparison(comparison), m_currentRun(std::move(currentRun)), m_poll(new QTimer(this))
{
    m_poll->setSingleShot(true);
    m_poll->setInterval(5000); // a listing reads every run's record: not much more often
    connect(m_poll, &QTimer::timeout, this, &RunLister::refreshWanted);
}

void RunLister::refresh(const core::TrainConfig &session)
{
    if (m_task)
        m_task->cancel();
    const auto root = runsRoot().toStdString();
    auto *task = new BackgroundTask(tr("Listing earlier runs"), [root, session](const core::ProgressSink &, core::StopFlag stop) {
        std::vector<core::RunRecord> runs;
        for (const auto &dir : core::findRunFolders(root)) {
            if (core::stopRequested(stop))
                break;
            try {
                auto record = core::loadRunRecord(dir);
                if (sameSession(record.config, session))
                    runs.push_back(std::move(record));
            } catch (const std::exception &) {
                // a foreign or damaged folder is not a run of this session
            }
        }
        // A run another process is training is not offered for resuming (its lock would
        // refuse). Probed here, off the GUI thread: each probe opens a file.
        QStringList inUse;
        for (const auto &run : runs)
            if (run.status() != core::RunStatus::Finished && core::runFolderInUse(run.dir))
                inUse << QString::fromStdString(run.dir.string());
        return QVariant(QVariantList{QVariant::fromValue(runs), inUse});
    }, this);
    m_task = task;
    connect(task, &BackgroundTask::succeeded, this, [this, task](const QVariant &result) {
        if (task != m_task)
            return;
        const auto parts = result.toList();
        auto runs = parts.at(0).value<std::vector<core::RunRecord>>(); // newest first
        const auto inUse = parts.at(1).toStringList();
        m_comparison->setRunsInUse(inUse);
        if (!inUse.isEmpty())
            m_poll->start();
        m_resumableRunDir.clear();
        for (const auto &run : runs)
            if (run.resumable() && !inUse.contains(QString::fromStdString(run.dir.string()))) {
                m_resumableRunDir = QString::fromStdString(run.dir.string());
                break;
            }
        const auto newest = runs.empty() ? QString() : QString::fromStdString(runs.front().dir.string());
        m_comparison->setRuns(std::move(runs), m_currentRun(newest));
        emit listed();
    });
    connect(task, &BackgroundTask::finished, this, [this, task] {
        task->deleteLater();
        if (task != m_task)
            return;
        m_task = nullptr;
        emit listingFinished();
    });
    task->start();
}

} // namespace upstep::ui
