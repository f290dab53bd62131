#include "tasks/backgroundtask.h"

#include "upstep/common/hardware.h"
#include "tasks/taskerror.h"

#include <QThread>

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
    connect(m_thread, &QThread::finished, this, &BackgroundTask::finished);
    m_thread->start();
}

void BackgroundTask::cancel() { m_stop.store(true); }

bool BackgroundTask::isRunning() const { return m_thread && m_thread->isRunning(); }

void BackgroundTask::reportProgress(const core::Progress &progress)
{
    if (m_throttle.pass(progress))
        emit progressed(progress);
}

void BackgroundTask::execute()
{
    core::initWorkerThread();
    try {
        const auto result = m_work([this](const core::Progress &p) { reportProgress(p); }, &m_stop);
        emit succeeded(result);
    } catch (...) {
        emit failed(currentTaskError(m_what));
    }
}

} // namespace upstep::ui
