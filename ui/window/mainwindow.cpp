#include "window/mainwindow.h"

#include "upstep/common/hardware.h"
#include "upstep/run/runpaths.h"
#include "widgets/choicebox.h"

#include "setup/backbonepanel.h"
#include "monitor/curvespanel.h"
#include "embeddings/embeddingspanel.h"
#include "window/exportcontroller.h"
#include "setup/hyperparameterform.h"
#include "window/mainmenus.h"
#include "monitor/resultcard.h"
#include "setup/labeledfolderfield.h"
#include "monitor/runcomparison.h"
#include "monitor/runcontrolbar.h"
#include "monitor/runestimate.h"
#include "window/runlister.h"
#include "window/sessiondocument.h"
#include "window/sessionfiles.h"
#include "setup/setuppanel.h"
#include "setup/targetfolderpanel.h"
#include "tasks/taskerror.h"
#include "thumbnails/thumbnailgrid.h"
#include "tasks/trainingsession.h"

#include <QCloseEvent>
#include <QDateTime>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QDir>
#include <QFileInfo>
#include <QFontDatabase>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <cmath>

namespace upstep::ui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_setup(new SetupPanel), m_curves(new CurvesPanel), m_comparison(new RunComparison),
      m_embeddings(new EmbeddingsPanel), m_controls(new RunControlBar), m_resultCard(new ResultCard),
      m_tabs(new QTabWidget), m_log(new QPlainTextEdit), m_session(new TrainingSession(this)),
      m_runs(new RunLister(
          m_comparison,
          [this](const QString &newestRun) {
              if (m_lastRunDir.isEmpty())
                  m_lastRunDir = newestRun;
              return m_lastRunDir;
          },
          this)),
      m_export(new ExportController(this)), m_document(new SessionDocument(
                                                this, [this] { return m_setup->config(); }, this))
{
    registerCoreTypes();
    m_setup->setObjectName(QStringLiteral("setupPanel"));
    m_curves->setObjectName(QStringLiteral("curvesPanel"));
    m_comparison->setObjectName(QStringLiteral("runComparison"));
    m_embeddings->setObjectName(QStringLiteral("embeddingsPanel"));
    m_controls->setObjectName(QStringLiteral("runControls"));
    m_resultCard->setObjectName(QStringLiteral("resultCard"));
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_log->setObjectName(QStringLiteral("log"));

    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(20000);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    setCentralWidget(buildCentralWidget());
    statusBar(); // made now: created by its first message, it pushed the bottom row up
    m_menus = new MainMenus(this);
    connectMenus();
    connectPanels();
    connectSession();

    setAcceptDrops(true);
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1360, 860);
    m_menus->setHardwareSummary(m_setup->settings()->hardwareSummary());
    m_document->markSaved({}); // an empty window has nothing unsaved
    updateControls();
}

MainWindow::~MainWindow() = default;

QWidget *MainWindow::buildCentralWidget()
{
    auto *curvesTab = new QSplitter(Qt::Horizontal);
    curvesTab->addWidget(m_curves);
    curvesTab->addWidget(m_comparison);
    curvesTab->setStretchFactor(0, 2);
    curvesTab->setStretchFactor(1, 1);
    curvesTab->setSizes({680, 360}); // the runs table shows name, status and gain without scrolling
    m_tabs->addTab(curvesTab, tr("Curves"));
    m_tabs->addTab(m_embeddings, tr("Embeddings"));
    m_tabs->addTab(m_setup->target()->grid(), tr("Images"));
    m_tabs->addTab(m_log, tr("Log"));

    auto *right = new QWidget;
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_resultCard);
    rightLayout->addWidget(m_tabs, 1);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(m_setup);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({340, 1000});

    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_controls);
    return central;
}

void MainWindow::connectMenus()
{
    connect(m_menus, &MainMenus::backboneChosen, this, [this](const QString &file) {
        if (!refuseWhileRunning())
            m_setup->backbone()->setFile(file);
    });
    connect(m_menus, &MainMenus::targetFolderChosen, this, [this](const QString &folder) {
        if (!refuseWhileRunning())
            m_setup->target()->setFolder(folder);
    });
    connect(m_menus, &MainMenus::sessionChosen, this, &MainWindow::openSession);
    connect(m_menus, &MainMenus::saveSessionRequested, m_document, &SessionDocument::saveWithDialog);
    connect(m_document, &SessionDocument::saved, this,
            [this](const QString &file) { appendLog(tr("saved session %1").arg(file)); });
    connect(m_document, &SessionDocument::failed, this, &MainWindow::showError);
    connect(m_menus, &MainMenus::quitRequested, this, &QWidget::close);
    connect(m_menus, &MainMenus::startRequested, this, &MainWindow::startRun);
    connect(m_menus, &MainMenus::pauseToggleRequested, this, [this] {
        if (m_state == AppState::Paused)
            resumeRun();
        else
            pauseRun();
    });
    connect(m_menus, &MainMenus::resumeRequested, this, &MainWindow::resumeRun);
    connect(m_menus, &MainMenus::stopRequested, this, &MainWindow::stopRun);
    connect(m_menus, &MainMenus::exportRequested, this, &MainWindow::exportWithDialog);
    connect(m_menus, &MainMenus::fitCurvesRequested, m_curves, &CurvesPanel::fitAll);
    connect(m_menus, &MainMenus::embeddingsTabRequested, this, [this] { m_tabs->setCurrentWidget(m_embeddings); });
    connect(m_menus, &MainMenus::classResultsRequested, this, [this] {
        if (!m_resultCard->showClassResults())
            tellUser(tr("No results by class: the run shown has no evaluation with a labeled test folder."));
    });
    connect(m_menus, &MainMenus::logTabRequested, this, [this] { m_tabs->setCurrentWidget(m_log); });
    connect(m_menus, &MainMenus::demoSessionRequested, this, [this](const core::TrainConfig &demo) {
        if (!refuseWhileRunning() && m_document->askToSaveChanges())
            loadConfig(demo);
    });
}

void MainWindow::connectPanels()
{
    connect(m_controls->startButton(), &QPushButton::clicked, this, &MainWindow::startRun);
    connect(m_controls->pauseButton(), &QPushButton::clicked, this, &MainWindow::pauseRun);
    connect(m_controls->resumeButton(), &QPushButton::clicked, this, &MainWindow::resumeRun);
    connect(m_controls->stopButton(), &QPushButton::clicked, this, &MainWindow::stopRun);
    connect(m_controls->exportAdapterButton(), &QPushButton::clicked, this, [this] { exportWithDialog(false); });
    connect(m_controls->exportMergedButton(), &QPushButton::clicked, this, [this] { exportWithDialog(true); });
    connect(m_resultCard, &ResultCard::exportRequested, this, &MainWindow::exportWithDialog);
    connect(m_comparison, &RunComparison::overlaysRequested, m_curves, &CurvesPanel::setOverlays);
    connect(m_comparison, &RunComparison::runShown, this, &MainWindow::showRun);
    connect(m_comparison, &RunComparison::exportRequested, this, [this](const core::RunRecord &run, bool merged) {
        // run refers into the comparison's list, which showRun() replaces: keep its folder first.
        const auto dir = QString::fromStdString(run.dir.string());
        showRun(run); // the export takes the shown run, and the user sees which one it is
        if (m_lastRunDir == dir)
            exportWithDialog(merged);
    });
    connect(m_comparison, &RunComparison::copySettingsRequested, this, [this](const core::TrainConfig &config) {
        if (refuseWhileRunning())
            return;
        m_setup->copySettings(config);
        onSetupChanged(); // setConfig emits nothing: one update for the whole config
    });
    connect(m_setup, &SetupPanel::changed, this, &MainWindow::onSetupChanged);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateEmbeddingSource);
    connect(m_embeddings, &EmbeddingsPanel::computeFailed, this,
            [this](const QString &message) { appendLog(tr("embedding map: %1").arg(message)); });
    connect(m_setup->backbone(), &BackbonePanel::checked, this, &MainWindow::refreshRuns);
    connect(m_setup->target(), &TargetFolderPanel::scanFinished, this, &MainWindow::refreshRuns);

    connect(m_runs, &RunLister::listed, this, &MainWindow::onRunsListed);
    connect(m_runs, &RunLister::listingFinished, this, &MainWindow::emitReadyOnce);
    connect(m_runs, &RunLister::refreshWanted, this, &MainWindow::refreshRuns);

    connect(m_export, &ExportController::folderChosen, this, &MainWindow::startExport);
    connect(m_export, &ExportController::succeeded, this, [this](const QString &message) {
        appendLog(message);
        statusBar()->showMessage(message, 15000);
    });
    connect(m_export, &ExportController::failed, this, &MainWindow::showError);
    connect(m_export, &ExportController::exportFinished, this, [this](bool ok, const QString &message) {
        if (m_state == AppState::Exporting)
            setState(AppState::Idle);
        emit exportFinished(ok, message);
    });
}

void MainWindow::connectSession()
{
    connect(m_session, &TrainingSession::stateChanged, this, [this](TrainingSession::State s) {
        if (m_activeRunListed)
            m_comparison->setActiveRun(m_lastRunDir, s == TrainingSession::State::Paused);
        switch (s) {
        case TrainingSession::State::Training: setState(AppState::Training); break;
        case TrainingSession::State::Paused: setState(AppState::Paused); break;
        case TrainingSession::State::Stopping: setState(AppState::Stopping); break;
        case TrainingSession::State::Evaluating: setState(AppState::Evaluating); break;
        case TrainingSession::State::Idle: break; // onSessionFinished decides between Idle and Failed
        }
    });
    connect(m_session, &TrainingSession::progressed, m_controls, &RunControlBar::showProgress);
    connect(m_session, &TrainingSession::metricsReady, this, [this](const core::MetricsRecord &r) {
        m_curves->addRecord(r);
        if (!m_activeRunListed) { // its folder holds a config by now: list it in the runs table
            m_activeRunListed = true; // it may have been paused before its first record
            m_comparison->setActiveRun(m_lastRunDir, m_session->state() == TrainingSession::State::Paused);
            refreshRuns();
        }
        if (r.imagesPerSecond > 0)
            m_controls->setImagesPerSecond(r.imagesPerSecond);
        if (m_tabs->currentWidget() == m_embeddings) // a first checkpoint may have been written
            updateEmbeddingSource();
    });
    connect(m_session, &TrainingSession::logLine, this, &MainWindow::appendLog);
    connect(m_session, &TrainingSession::trainingFinished, this, &MainWindow::onTrainingFinished);
    connect(m_session, &TrainingSession::evaluated, this, [this](const core::EvalReport &report) {
        m_evaluation = report;
        appendLog(tr("evaluation: base kNN %1 %, adapted %2 %")
                      .arg(100 * report.base.knnTop1, 0, 'f', 2)
                      .arg(report.adapted ? 100 * report.adapted->knnTop1 : NAN, 0, 'f', 2));
    });
    connect(m_session, &TrainingSession::failed, this, [this](const TaskError &error) {
        // Only the run's own failure fails it; a stop before the first checkpoint ends with
        // Cancelled (stopped, not failed).
        if (error.kind != core::ErrorKind::Cancelled)
            m_state = AppState::Failed;
        showError(error);
        updateControls();
    });
    connect(m_session, &TrainingSession::finished, this, &MainWindow::onSessionFinished);
}

void MainWindow::loadConfig(const core::TrainConfig &config, const QString &sessionFile)
{
    m_setup->setConfig(config);
    m_document->markSaved(sessionFile);
    onSetupChanged();
}

void MainWindow::onSetupChanged()
{
    m_menus->setHardwareSummary(m_setup->settings()->hardwareSummary());
    m_comparison->setFormConfig(m_setup->config());
    m_document->updateModified();
    updateControls();
    updateEmbeddingSource();
    // A labeled folder's check may end after the run listing: ready() must still come.
    emitReadyOnce();
}

bool MainWindow::refuseWhileRunning()
{
    if (!m_session->isActive())
        return false;
    tellUser(tr("A run is active: stop it before changing the session."));
    return true;
}

bool MainWindow::openSession(const QString &file)
{
    if (refuseWhileRunning() || !m_document->askToSaveChanges())
        return false;
    try {
        loadConfig(loadSession(file), file);
    } catch (...) {
        showError(currentTaskError(tr("Opening the session %1").arg(file)));
        return false;
    }
    m_menus->rememberSession(file);
    appendLog(tr("opened session %1").arg(file));
    return true;
}

bool MainWindow::saveSessionTo(const QString &file) { return m_document->saveTo(file); }

void MainWindow::startRun()
{
    if (m_session->isActive())
        return;
    if (const auto missing = m_setup->missing(); !missing.isEmpty()) {
        showError({tr("Cannot start yet: %1.").arg(missing), missing});
        return;
    }
    const auto config = m_setup->config();
    try {
        core::validateTrainConfig(config);
    } catch (...) {
        showError(currentTaskError(tr("The run")));
        return;
    }
    QDir().mkpath(runsRoot());
    m_curves->clear();
    startJob(config, newRunFolder(), false);
}

bool MainWindow::isListingRuns() const { return m_runs->isListing(); }

void MainWindow::updateEmbeddingSource()
{
    auto source = embeddingSourceOf(m_setup->config(), m_lastRunDir);
    if (!m_setup->backbone()->summary())
        source.weights.clear(); // unread or unusable: nothing to map with (the panel says so)
    m_embeddings->setSource(source);
}

void MainWindow::startJob(const core::TrainConfig &config, const QString &runDir, bool resume)
{
    m_lastRunDir = runDir;
    updateEmbeddingSource();
    m_summary.reset();
    m_evaluation.reset();
    m_resultCard->clear(tr("Run %1: results appear here when it ends.").arg(QFileInfo(runDir).fileName()));
    m_tabs->setCurrentIndex(0);
    appendLog(tr("%1 %2").arg(resume ? tr("resuming") : tr("starting"), runDir));
    TrainingJob job;
    job.config = config;
    job.runDir = runDir;
    job.resume = resume;
    m_activeRunListed = false;
    job.targetScan = m_setup->target()->lastScan();
    m_session->start(job);
}

void MainWindow::pauseRun() { m_session->pause(); }

void MainWindow::resumeRun()
{
    if (m_session->state() == TrainingSession::State::Paused) {
        m_session->resume();
        return;
    }
    const auto runDir = m_runs->resumableRunDir();
    if (m_session->isActive() || runDir.isEmpty())
        return;
    try {
        const auto record = core::loadRunRecord(runDir.toStdString());
        m_curves->clear();
        for (const auto &r : record.metrics)
            m_curves->addRecord(r);
        startJob(record.config, runDir, true);
    } catch (...) {
        showError(currentTaskError(tr("Resuming %1").arg(runDir)));
    }
}

void MainWindow::stopRun() { m_session->stop(); }

void MainWindow::onTrainingFinished(const core::TrainSummary &summary)
{
    m_summary = summary;
    appendLog(tr("run %1: %2 of %3 steps, %4 back-propagated, %5 s")
                  .arg(choiceText(summary.status))
                  .arg(summary.steps)
                  .arg(summary.totalSteps)
                  .arg(summary.keptSteps)
                  .arg(summary.wallSeconds, 0, 'f', 1));
    if (summary.status == core::RunStatus::Stopped)
        appendLog(tr("checkpoint written; Resume continues this run (also after a restart)"));
}

void MainWindow::onSessionFinished()
{
    if (m_state != AppState::Failed)
        setState(AppState::Idle);
    m_setup->setLocked(false); // also after a failure: the next run may change anything
    if (m_summary) {
        core::RunRecord run;
        try {
            run = core::loadRunRecord(m_lastRunDir.toStdString()); // every segment's metrics
        } catch (const std::exception &) {
            run.dir = m_lastRunDir.toStdString();
            run.config = m_setup->config();
        }
        run.summary = m_summary; // what this session just saw is authoritative
        run.evaluation = m_evaluation;
        m_resultCard->showRun(run, m_comparison->runs(), false, tr("the evaluation did not finish (see the Log tab)"));
    }
    m_comparison->setActiveRun({});
    refreshRuns();
    emit runFinished();
    if (m_closeWhenIdle)
        close();
}

void MainWindow::refreshRuns() { m_runs->refresh(m_setup->config()); }

void MainWindow::onRunsListed()
{
    // A shown run of another backbone or target (the form changed) is not this session's: its
    // curves, card and exports go, and the newest run of the new session, if any, comes instead.
    const auto listed = [this](const QString &dir) {
        for (int row = 0; row < m_comparison->runCount(); ++row)
            if (QString::fromStdString(m_comparison->run(row).dir.string()) == dir)
                return true;
        return false;
    };
    if (!m_session->isActive() && !m_lastRunDir.isEmpty() && !listed(m_lastRunDir)) {
        m_curves->clear();
        m_resultCard->clear(tr("No run of this backbone and target yet: results appear here when one ends."));
        m_lastRunDir = m_comparison->runCount() > 0 ? QString::fromStdString(m_comparison->run(0).dir.string())
                                                    : QString();
    }
    // The lister adopts its newest run when none was shown: a reopened session brings it back.
    // A shown run that another process was training comes again at each listing, grown or ended.
    if ((m_shownRunInUse || (m_curves->recordCount() == 0 && !m_resultCard->hasResult())) && !m_session->isActive())
        for (int row = 0; row < m_comparison->runCount(); ++row)
            if (QString::fromStdString(m_comparison->run(row).dir.string()) == m_lastRunDir) {
                showRun(m_comparison->run(row));
                break;
            }
    updateControls();
    updateEmbeddingSource();
}

void MainWindow::showRun(const core::RunRecord &run)
{
    if (m_session->isActive()) {
        statusBar()->showMessage(tr("The curves show the active run; select runs to overlay them instead."), 8000);
        return;
    }
    m_lastRunDir = QString::fromStdString(run.dir.string());
    m_curves->clear();
    for (const auto &r : run.metrics)
        m_curves->addRecord(r);
    m_shownRunInUse = m_comparison->isInUse(m_lastRunDir);
    m_resultCard->showRun(run, m_comparison->runs(), m_shownRunInUse);
    m_comparison->setCurrent(m_lastRunDir);
    updateControls();
    updateEmbeddingSource();
}

void MainWindow::emitReadyOnce()
{
    if (m_ready || m_runs->isListing() || m_setup->isBusy() || !m_controls->startButton()->isEnabled())
        return;
    m_ready = true;
    emit ready();
}

void MainWindow::exportWithDialog(bool merged) { m_export->askFolder(m_lastRunDir, merged); }

void MainWindow::startExport(bool merged, const QString &out, bool overwrite)
{
    if (m_export->isExporting() || m_session->isActive() || m_lastRunDir.isEmpty()) {
        const auto why = m_lastRunDir.isEmpty() ? tr("There is no run to export yet.")
                                                : tr("Wait for the current run or export to finish.");
        tellUser(why);
        emit exportFinished(false, why);
        return;
    }
    setState(AppState::Exporting);
    appendLog(tr("exporting %1 to %2").arg(merged ? tr("merged weights") : tr("the PEFT adapter"), out));
    m_export->start(m_lastRunDir, merged, out, overwrite);
}

void MainWindow::setState(AppState state)
{
    m_state = state;
    m_setup->setLocked(state == AppState::Training || state == AppState::Paused || state == AppState::Stopping ||
                       state == AppState::Evaluating);
    updateControls();
}

void MainWindow::updateControls()
{
    const auto missing = m_setup->missing();
    const bool canStart = missing.isEmpty();
    const bool canExport =
        !m_lastRunDir.isEmpty() && std::filesystem::exists(core::RunPaths(m_lastRunDir.toStdString()).adapter());
    const auto resumable = m_runs->resumableRunDir();
    auto shown = m_state;
    if (shown == AppState::Idle && m_setup->isBusy())
        shown = AppState::Checking;
    m_controls->setState(shown, canStart, !resumable.isEmpty(), canExport);
    m_menus->setSessionActions(m_controls->startButton()->isEnabled(), m_controls->resumeButton()->isEnabled(),
                               m_controls->stopButton()->isEnabled(), m_controls->exportAdapterButton()->isEnabled());
    if (shown != AppState::Idle && shown != AppState::Checking)
        return;
    std::optional<core::MemoryEstimate> memory;
    if (const auto &summary = m_setup->backbone()->summary())
        memory = core::estimateTrainingMemory(summary->spec, summary->parameters, m_setup->config());
    const auto hint = startHint(QFileInfo(resumable).fileName(),
                                estimateRun(m_setup->config(), m_setup->target()->imageCount(), m_comparison->runs()),
                                m_comparison->runCount() > 0, memory, core::physicalMemoryBytes());
    m_controls->setHint(canStart ? hint.text : missing, canStart ? hint.detail : missing);
}

QString MainWindow::logText() const { return m_log->toPlainText(); }

void MainWindow::appendLog(const QString &line)
{
    m_log->appendPlainText(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss  ")) + line);
}

void MainWindow::tellUser(const QString &message)
{
    appendLog(message);
    statusBar()->showMessage(message, 10000);
    emit errorShown(message);
    auto *box = new QMessageBox(QMessageBox::Information, tr("UpStep Workbench"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::showError(const TaskError &error)
{
    // Says what went wrong; never changes the run's state (a refused action during a run leaves
    // the run as it is, with Pause and Stop working).
    appendLog(tr("error: %1 [%2]").arg(error.message, error.details));
    emit errorShown(error.message);
    if (error.kind == core::ErrorKind::Cancelled)
        return;
    auto *box = new QMessageBox(QMessageBox::Warning, tr("UpStep Workbench"), error.message, QMessageBox::Ok, this);
    box->setDetailedText(error.details);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    // m_closeWhenIdle: the second close, once the stopped run's checkpoint is on disk; the
    // questions were answered the first time. The run goes on while they are open.
    if (!m_closeWhenIdle) {
        if (m_session->isActive() &&
            QMessageBox::question(this, tr("Stop the run?"),
                                  tr("A run is in progress. Stop it, write a checkpoint and quit? Resume continues "
                                     "it next time.")) != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        if (!m_document->askToSaveChanges()) {
            event->ignore();
            return;
        }
    }
    if (m_session->isActive()) { // checked again: the run may have ended while a question was open
        m_closeWhenIdle = true;
        m_session->stop();
        event->ignore(); // closes from onSessionFinished, once the checkpoint is on disk
        return;
    }
    QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
    event->accept();
}

void MainWindow::openPath(const QString &path)
{
    if (refuseWhileRunning())
        return;
    const QFileInfo info(path);
    if (info.isDir())
        m_setup->target()->setFolder(path);
    else if (info.suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) == 0)
        openSession(path);
    else
        m_setup->backbone()->setFile(path);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (const auto *mime = event->mimeData();
        mime->hasUrls() && mime->urls().first().isLocalFile() && !m_session->isActive())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    openPath(event->mimeData()->urls().first().toLocalFile());
    event->acceptProposedAction();
}

} // namespace upstep::ui
