#include "tasks/backgroundtask.h"

#include "upstep/common/hardware.h"
#include "tasks/taskerror.h"

#include <QThread>

#include <utility>

namespace upstep::ui {

BackgroundTask::BackgroundTask(QString what, Work work, QObject *parent)
    : QObject(parent), m_what(std::move(what)), m_work(std::move(work))
{
}

BackgroundTask::~BackgroundTask()
{
    cancel();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

void BackgroundTask::start()
{
    Q_ASSERT(!m_thread);
    m_thread = QThread::create([this] { execute(); });
    m_thread->setObjectName(m_what);
    // Queued: QThread::finished is emitted on the ending thread, before isRunning() turns false.
    connect(m_thread, &QThread::finished, this, &BackgroundTask::deliverOutcome, Qt::QueuedConnection);
    m_thread->start();
}

void BackgroundTask::cancel() { m_stop.store(true); }

bool BackgroundTask::isRunning() const { return m_thread && !m_delivered; }

void BackgroundTask::reportProgress(const core::Progress &progress)
{
    if (m_throttle.pass(progress))
        emit progressed(progress);
}

void BackgroundTask::execute()
{
    core::initWorkerThread();
    try {
        m_result = m_work([this](const core::Progress &p) { reportProgress(p); }, &m_stop);
    } catch (...) {
        m_error = currentTaskError(m_what);
    }
}

void BackgroundTask::deliverOutcome()
{
    m_thread->wait(); // it has emitted finished; let it end so that nothing of it still runs
    m_delivered = true;
    if (m_error)
        emit failed(*m_error);
    else
        emit succeeded(std::exchange(m_result, QVariant())); // the task keeps no copy of a large result
    emit finished();
}

} // namespace upstep::ui
