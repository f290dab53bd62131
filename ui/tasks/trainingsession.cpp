#include "tasks/trainingsession.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QThread>

namespace upstep::ui {

TrainingSession::TrainingSession(QObject *parent) : QObject(parent), m_thread(new QThread(this))
{
    m_thread->setObjectName(QStringLiteral("upstep-training"));
    m_thread->start();
}

TrainingSession::~TrainingSession()
{
    m_stop.store(true);
    m_thread->quit();
    m_thread->wait();
}

bool TrainingSession::start(const TrainingJob &job)
{
    if (isActive())
        return false;
    m_stop.store(false);
    m_pause.store(false);
    auto *worker = new TrainingWorker(job, &m_stop, &m_pause);
    worker->moveToThread(m_thread);
    m_runDir = job.runDir;
    connect(worker, &TrainingWorker::progressed, this, &TrainingSession::progressed);
    connect(worker, &TrainingWorker::metricsReady, this, &TrainingSession::metricsReady);
    connect(worker, &TrainingWorker::logLine, this, &TrainingSession::logLine);
    connect(worker, &TrainingWorker::trainingFinished, this, &TrainingSession::trainingFinished);
    connect(worker, &TrainingWorker::evaluationStarted, this, [this] { setState(State::Evaluating); });
    connect(worker, &TrainingWorker::evaluated, this, &TrainingSession::evaluated);
    connect(worker, &TrainingWorker::failed, this, &TrainingSession::failed);
    connect(worker, &TrainingWorker::finished, worker, &QObject::deleteLater);
    connect(worker, &TrainingWorker::finished, this, [this] {
        setState(State::Idle);
        emit finished();
    });
    setState(State::Training);
    QMetaObject::invokeMethod(worker, &TrainingWorker::run, Qt::QueuedConnection);
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
