#include "tasks/trainingsession.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QThread>

namespace upstep::ui {

TrainingSession::TrainingSession(QObject *parent) : QObject(parent) {}

TrainingSession::~TrainingSession()
{
    m_stop.store(true);
    // The worker sees m_stop, writes its checkpoint and ends its thread. A finished run's thread
    // may still be winding down while the next one runs, so wait for every one of them.
    // quit() too: the worker's finished -> quit connection is queued to this (GUI) thread, which
    // is blocked here, so the thread's event loop would never hear it.
    for (auto *thread : findChildren<QThread *>(Qt::FindDirectChildrenOnly)) {
        thread->quit();
        thread->wait();
    }
}

bool TrainingSession::start(const TrainingJob &job)
{
    if (isActive())
        return false;
    m_stop.store(false);
    m_pause.store(false);
    // A thread per run, started after the worker is built: pthread_create then orders everything the
    // GUI thread wrote into the job before everything the worker reads, which ThreadSanitizer can
    // see (it cannot see the ordering of Qt's event queue; docs/ROBUSTNESS.md "Sanitizers").
    auto *thread = new QThread(this);
    thread->setObjectName(QStringLiteral("upstep-training"));
    auto *worker = new TrainingWorker(job, &m_stop, &m_pause);
    worker->moveToThread(thread);
    m_runDir = job.runDir;
    connect(worker, &TrainingWorker::progressed, this, &TrainingSession::progressed);
    connect(worker, &TrainingWorker::metricsReady, this, &TrainingSession::metricsReady);
    connect(worker, &TrainingWorker::logLine, this, &TrainingSession::logLine);
    connect(worker, &TrainingWorker::trainingFinished, this, &TrainingSession::trainingFinished);
    connect(worker, &TrainingWorker::evaluationStarted, this, [this] { setState(State::Evaluating); });
    connect(worker, &TrainingWorker::evaluated, this, &TrainingSession::evaluated);
    connect(worker, &TrainingWorker::failed, this, &TrainingSession::failed);
    connect(thread, &QThread::started, worker, &TrainingWorker::run);
    connect(worker, &TrainingWorker::finished, thread, &QThread::quit);
    connect(thread, &QThread::finished, worker, &QObject::deleteLater);
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    connect(worker, &TrainingWorker::finished, this, [this] {
        setState(State::Idle);
        emit finished();
    });
    setState(State::Training);
    thread->start();
    return true;
}

void TrainingSession::pause()
{
    if (m_state != State::Training)
        return;
    m_pause.store(true);
    setState(State::Paused);
}

void TrainingSession::resume()
{
    if (m_state != State::Paused)
        return;
    m_pause.store(false);
    setState(State::Training);
}

void TrainingSession::stop()
{
    if (m_state != State::Training && m_state != State::Paused && m_state != State::Evaluating)
        return;
    m_stop.store(true);
    setState(State::Stopping);
}

bool TrainingSession::waitForIdle(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (isActive() && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    return !isActive();
}

void TrainingSession::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

} // namespace upstep::ui
