#include "mainwindow.h"

#include "backbonepanel.h"
#include "backgroundtask.h"
#include "curvespanel.h"
#include "embeddingspanel.h"
#include "hyperparameterform.h"
#include "resultcard.h"
#include "runcomparison.h"
#include "runcontrolbar.h"
#include "sessionfiles.h"
#include "setuppanel.h"
#include "targetfolderpanel.h"
#include "taskerror.h"
#include "thumbnailgrid.h"
#include "trainingsession.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace upstep::ui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_setup(new SetupPanel), m_curves(new CurvesPanel), m_comparison(new RunComparison),
      m_embeddings(new EmbeddingsPanel), m_controls(new RunControlBar), m_resultCard(new ResultCard),
      m_tabs(new QTabWidget), m_log(new QPlainTextEdit),
      m_hardware(new QLabel), m_session(new TrainingSession(this))
{
    registerCoreTypes();
    setWindowTitle(tr("UpStep Workbench"));

    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(20000);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto *curvesTab = new QSplitter(Qt::Horizontal);
    curvesTab->addWidget(m_curves);
    curvesTab->addWidget(m_comparison);
    curvesTab->setStretchFactor(0, 4);
    curvesTab->setStretchFactor(1, 1);
    m_tabs->addTab(curvesTab, tr("Curves"));
    m_tabs->addTab(m_embeddings, tr("Embeddings"));
    m_tabs->addTab(m_setup->target()->grid(), tr("Images"));
    m_tabs->addTab(m_log, tr("Log"));

    auto *right = new QWidget;
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_resultCard);
    rightLayout->addWidget(m_tabs, 1);
    m_resultCard->setVisible(false);

    auto *splitter = new QSplitter(Qt::Horizontal);
    m_setup->setMinimumWidth(300);
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
    setCentralWidget(central);
    buildMenus();

    connect(m_controls->startButton(), &QPushButton::clicked, this, &MainWindow::startRun);
    connect(m_controls->pauseButton(), &QPushButton::clicked, this, &MainWindow::pauseRun);
    connect(m_controls->resumeButton(), &QPushButton::clicked, this, &MainWindow::resumeRun);
    connect(m_controls->stopButton(), &QPushButton::clicked, this, &MainWindow::stopRun);
    connect(m_controls->exportAdapterButton(), &QPushButton::clicked, this, [this] { exportWithDialog(false); });
    connect(m_controls->exportMergedButton(), &QPushButton::clicked, this, [this] { exportWithDialog(true); });
    connect(m_resultCard, &ResultCard::exportRequested, this, &MainWindow::exportWithDialog);
    connect(m_comparison, &RunComparison::overlayRequested, m_curves, &CurvesPanel::setOverlay);
    connect(m_setup, &SetupPanel::changed, this, [this] {
        m_hardware->setText(m_setup->settings()->hardwareSummary());
        updateControls();
        updateEmbeddingSource();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateEmbeddingSource);
    connect(m_embeddings, &EmbeddingsPanel::computeFailed, this,
            [this](const QString &message) { appendLog(tr("embedding map: %1").arg(message)); });
    connect(m_setup->backbone(), &BackbonePanel::checked, this, &MainWindow::refreshRuns);
    connect(m_setup->target(), &TargetFolderPanel::scanFinished, this, &MainWindow::refreshRuns);

    connect(m_session, &TrainingSession::stateChanged, this, [this](TrainingSession::State s) {
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
        if (r.imagesPerSecond > 0)
            m_controls->setImagesPerSecond(r.imagesPerSecond);
    });
    connect(m_session, &TrainingSession::logLine, this, &MainWindow::appendLog);
    connect(m_session, &TrainingSession::trainingFinished, this, &MainWindow::onTrainingFinished);
    connect(m_session, &TrainingSession::evaluated, this, [this](const core::EvalReport &report) {
        m_evaluation = report;
        appendLog(tr("evaluation: base kNN %1 %, adapted %2 %")
                      .arg(100 * report.base.knnTop1, 0, 'f', 2)
                      .arg(report.adapted ? 100 * report.adapted->knnTop1 : NAN, 0, 'f', 2));
    });
    connect(m_session, &TrainingSession::failed, this, &MainWindow::showError);
    connect(m_session, &TrainingSession::finished, this, &MainWindow::onSessionFinished);

    setAcceptDrops(true);
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1360, 860);
    m_hardware->setText(m_setup->settings()->hardwareSummary());
    updateControls();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    auto *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open &backbone..."), QKeySequence(Qt::CTRL | Qt::Key_O), this, [this] {
        const auto chosen = QFileDialog::getOpenFileName(this, tr("Open a backbone"), {}, tr("Model weights (*.safetensors)"));
        if (!chosen.isEmpty())
            m_setup->backbone()->setFile(chosen);
    });
    file->addAction(tr("Open target &folder..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
        const auto chosen = QFileDialog::getExistingDirectory(this, tr("Open a folder of target images"));
        if (!chosen.isEmpty())
            m_setup->target()->setFolder(chosen);
    });
    file->addSeparator();
    file->addAction(tr("Open &session..."), this, &MainWindow::openSessionWithDialog);
    m_recentSessions = file->addMenu(tr("Recent sessions"));
    file->addAction(tr("&Save session"), QKeySequence::Save, this, [this] { saveSessionWithDialog(false); });
    file->addAction(tr("Save session &as..."), QKeySequence::SaveAs, this, [this] { saveSessionWithDialog(true); });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    rebuildRecentSessions();

    auto *session = menuBar()->addMenu(tr("&Session"));
    session->addAction(tr("&Start"), QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainWindow::startRun);
    auto *pause = session->addAction(tr("&Pause / continue"), this, [this] {
        if (m_state == AppState::Paused)
            resumeRun();
        else
            pauseRun();
    });
    pause->setShortcut(QKeySequence(Qt::Key_Space));
    pause->setShortcutContext(Qt::WindowShortcut);
    session->addAction(tr("&Resume stopped run"), this, &MainWindow::resumeRun);
    session->addAction(tr("S&top"), this, &MainWindow::stopRun);
    session->addSeparator();
    session->addAction(tr("&Export adapter..."), QKeySequence(Qt::CTRL | Qt::Key_E), this, [this] { exportWithDialog(false); });
    session->addAction(tr("Export &merged weights..."), this, [this] { exportWithDialog(true); });

    auto *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Fit curves"), QKeySequence(Qt::CTRL | Qt::Key_0), m_curves, &CurvesPanel::fitAll);
    view->addAction(tr("&Embeddings"), this, [this] { m_tabs->setCurrentWidget(m_embeddings); });
    view->addAction(tr("&Log"), this, [this] { m_tabs->setCurrentWidget(m_log); });

    auto *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About UpStep Workbench"), this, [this] {
        QMessageBox::about(this, tr("About UpStep Workbench"),
                           tr("<b>UpStep Workbench %1</b><p>Adapts a pretrained vision backbone to your unlabeled "
                              "images with UpStep: LoRA adapters, center vector regularisation against forgetting, "
                              "and a gate that skips back-propagation on half the iterations.</p>")
                               .arg(QApplication::applicationVersion()));
    });
    m_hardware->setContentsMargins(0, 0, 8, 0);
    m_hardware->setToolTip(tr("Device, precision and threads the run will use"));
    menuBar()->setCornerWidget(m_hardware);
}

void MainWindow::rebuildRecentSessions()
{
    m_recentSessions->clear();
    const auto recent = QSettings().value(QStringLiteral("recent/sessions")).toStringList();
    for (const auto &file : recent)
        m_recentSessions->addAction(file, this, [this, file] { openSession(file); });
    m_recentSessions->setEnabled(!recent.isEmpty());
}

void MainWindow::loadConfig(const core::TrainConfig &config, const QString &sessionFile)
{
    m_sessionFile = sessionFile;
    setWindowTitle(sessionFile.isEmpty() ? tr("UpStep Workbench")
                                         : tr("%1 - UpStep Workbench").arg(QFileInfo(sessionFile).fileName()));
    m_setup->setConfig(config);
    updateControls();
}

bool MainWindow::openSession(const QString &file)
{
    try {
        loadConfig(loadSession(file), file);
    } catch (...) {
        showError(currentTaskError(tr("Opening the session %1").arg(file)));
        return false;
    }
    auto recent = QSettings().value(QStringLiteral("recent/sessions")).toStringList();
    recent.removeAll(file);
    recent.prepend(file);
    QSettings().setValue(QStringLiteral("recent/sessions"), recent.mid(0, 8));
    rebuildRecentSessions();
    appendLog(tr("opened session %1").arg(file));
    return true;
}

bool MainWindow::saveSessionTo(const QString &file)
{
    try {
        saveSession(m_setup->config(), file);
    } catch (...) {
        showError(currentTaskError(tr("Saving the session")));
        return false;
    }
    m_sessionFile = file;
    setWindowTitle(tr("%1 - UpStep Workbench").arg(QFileInfo(file).fileName()));
    appendLog(tr("saved session %1").arg(file));
    return true;
}

void MainWindow::openSessionWithDialog()
{
    const auto file = QFileDialog::getOpenFileName(this, tr("Open a session"), {}, tr("Sessions (*.json)"));
    if (!file.isEmpty())
        openSession(file);
}

void MainWindow::saveSessionWithDialog(bool askName)
{
    auto file = m_sessionFile;
    if (askName || file.isEmpty())
        file = QFileDialog::getSaveFileName(this, tr("Save the session"), QStringLiteral("session.json"), tr("Sessions (*.json)"));
    if (!file.isEmpty())
        saveSessionTo(file);
}

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

bool MainWindow::isListingRuns() const { return m_runListing && m_runListing->isRunning(); }

void MainWindow::updateEmbeddingSource()
{
    const auto config = m_setup->config();
    EmbeddingSource source;
    source.weights = QString::fromStdString(config.weights);
    source.arch = QString::fromStdString(config.arch);
    source.data = QString::fromStdString(config.target);
    // The run shown in the curves, once it exists: its newest checkpoint is the current adapter.
    if (!m_lastRunDir.isEmpty() && QFileInfo(m_lastRunDir).isDir())
        source.adapter = m_lastRunDir;
    m_embeddings->setSource(source);
}

void MainWindow::startJob(const core::TrainConfig &config, const QString &runDir, bool resume)
{
    m_lastRunDir = runDir;
    updateEmbeddingSource();
    m_summary.reset();
    m_evaluation.reset();
    m_resultCard->setVisible(false);
    m_tabs->setCurrentIndex(0);
    appendLog(tr("%1 %2").arg(resume ? tr("resuming") : tr("starting"), runDir));
    TrainingJob job;
    job.config = config;
    job.runDir = runDir;
    job.resume = resume;
    m_session->start(job);
}

void MainWindow::pauseRun() { m_session->pause(); }

void MainWindow::resumeRun()
{
    if (m_session->state() == TrainingSession::State::Paused) {
        m_session->resume();
        return;
    }
    if (m_session->isActive() || m_resumableRunDir.isEmpty())
        return;
    try {
        const auto record = core::loadRunRecord(m_resumableRunDir.toStdString());
        m_curves->clear();
        for (const auto &r : record.metrics)
            m_curves->addRecord(r);
        startJob(record.config, m_resumableRunDir, true);
    } catch (...) {
        showError(currentTaskError(tr("Resuming %1").arg(m_resumableRunDir)));
    }
}

void MainWindow::stopRun() { m_session->stop(); }

void MainWindow::onTrainingFinished(const core::TrainSummary &summary)
{
    m_summary = summary;
    appendLog(tr("run %1: %2 of %3 steps, %4 back-propagated, %5 s")
                  .arg(QString::fromStdString(summary.status))
                  .arg(summary.steps)
                  .arg(summary.totalSteps)
                  .arg(summary.keptSteps)
                  .arg(summary.wallSeconds, 0, 'f', 1));
    if (summary.status == "stopped")
        appendLog(tr("checkpoint written; Resume continues this run (also after a restart)"));
}

void MainWindow::onSessionFinished()
{
    if (m_state != AppState::Failed)
        setState(AppState::Idle);
    if (m_summary) {
        std::vector<core::MetricsRecord> metrics;
        try {
            metrics = core::loadRunRecord(m_lastRunDir.toStdString()).metrics;
        } catch (const std::exception &) {
        }
        m_resultCard->showResult(QFileInfo(m_lastRunDir).fileName(), *m_summary, m_evaluation, metrics);
        m_resultCard->setVisible(true);
    }
    refreshRuns();
    emit runFinished();
    if (m_closeWhenIdle)
        close();
}

void MainWindow::refreshRuns()
{
    const auto current = m_setup->config();
    if (m_runListing)
        m_runListing->cancel();
    const auto root = runsRoot().toStdString();
    auto *task = new BackgroundTask(tr("Listing earlier runs"), [root, current](const core::ProgressSink &, core::StopFlag stop) {
        std::vector<core::RunRecord> runs;
        for (const auto &dir : core::findRunFolders(root)) {
            if (core::stopRequested(stop))
                break;
            try {
                auto record = core::loadRunRecord(dir);
                if (sameSession(record.config, current))
                    runs.push_back(std::move(record));
            } catch (const std::exception &) {
                // a foreign or damaged folder is not a run of this session
            }
        }
        return QVariant::fromValue(runs);
    }, this);
    m_runListing = task;
    connect(task, &BackgroundTask::succeeded, this, [this, task](const QVariant &result) {
        if (task != m_runListing)
            return;
        auto runs = result.value<std::vector<core::RunRecord>>();
        m_resumableRunDir.clear();
        for (const auto &run : runs)
            if (run.resumable()) {
                m_resumableRunDir = QString::fromStdString(run.dir.string());
                break;
            }
        if (m_lastRunDir.isEmpty() && !runs.empty())
            m_lastRunDir = QString::fromStdString(runs.front().dir.string());
        m_comparison->setRuns(std::move(runs), m_lastRunDir);
        updateControls();
        updateEmbeddingSource();
    });
    connect(task, &BackgroundTask::finished, task, &QObject::deleteLater);
    task->start();
}

void MainWindow::exportWithDialog(bool merged)
{
    if (m_lastRunDir.isEmpty())
        return;
    const auto suggestion = m_lastRunDir + (merged ? QStringLiteral("/merged") : QStringLiteral("/peft-adapter"));
    const auto out = QFileDialog::getSaveFileName(this, merged ? tr("Export merged weights to a new folder")
                                                               : tr("Export the adapter to a new folder"),
                                                  suggestion, {}, nullptr, QFileDialog::DontConfirmOverwrite);
    if (out.isEmpty())
        return;
    bool overwrite = false;
    if (QFileInfo::exists(out)) {
        if (QMessageBox::question(this, tr("Replace folder?"),
                                  tr("%1 exists. Replace it? The old folder stays until the new one is verified.").arg(out)) !=
            QMessageBox::Yes)
            return;
        overwrite = true;
    }
    startExport(merged, out, overwrite);
}

void MainWindow::startExport(bool merged, const QString &out, bool overwrite)
{
    if (m_export || m_session->isActive() || m_lastRunDir.isEmpty()) {
        const auto why = m_lastRunDir.isEmpty() ? tr("There is no run to export yet.")
                                                : tr("Wait for the current run or export to finish.");
        showError({why, why});
        emit exportFinished(false, why);
        return;
    }
    core::RunExportRequest request;
    request.run = m_lastRunDir.toStdString();
    request.format = merged ? core::ExportFormat::Merged : core::ExportFormat::Peft;
    request.out = out.toStdString();
    request.overwrite = overwrite;
    auto *task = new BackgroundTask(merged ? tr("Exporting merged weights") : tr("Exporting the adapter"),
                                    [request](const core::ProgressSink &, core::StopFlag) {
                                        return QVariant::fromValue(core::exportRun(request));
                                    },
                                    this);
    m_export = task;
    // exportFinished is emitted once the task's thread is done, so the window is idle again by then.
    auto outcome = std::make_shared<std::pair<bool, QString>>(false, QString());
    connect(task, &BackgroundTask::succeeded, this, [this, outcome](const QVariant &value) {
        const auto result = value.value<core::ExportResult>();
        const auto message = tr("Exported to %1 and verified: the reloaded files reproduce the adapted model within %2 "
                                "(tolerance %3).")
                                 .arg(QString::fromStdString(result.folder.string()))
                                 .arg(result.maxAbsDifference, 0, 'g', 3)
                                 .arg(result.tolerance, 0, 'g', 3);
        appendLog(message);
        statusBar()->showMessage(message, 15000);
        *outcome = {true, message};
    });
    connect(task, &BackgroundTask::failed, this, [this, outcome](const TaskError &error) {
        showError(error);
        *outcome = {false, error.message};
    });
    connect(task, &BackgroundTask::finished, this, [this, task, outcome] {
        task->deleteLater();
        m_export = nullptr;
        if (m_state == AppState::Exporting)
            setState(AppState::Idle);
        emit exportFinished(outcome->first, outcome->second);
    });
    setState(AppState::Exporting);
    appendLog(tr("exporting %1 to %2").arg(merged ? tr("merged weights") : tr("the PEFT adapter"), out));
    task->start();
}

void MainWindow::setState(AppState state)
{
    m_state = state;
    updateControls();
}

void MainWindow::updateControls()
{
    const auto missing = m_setup->missing();
    const bool canStart = missing.isEmpty();
    const bool canExport = !m_lastRunDir.isEmpty() && QFileInfo::exists(m_lastRunDir + QStringLiteral("/adapter.safetensors"));
    auto shown = m_state;
    if (shown == AppState::Idle && m_setup->isBusy())
        shown = AppState::Checking;
    m_controls->setState(shown, canStart, !m_resumableRunDir.isEmpty(), canExport);
    if (shown == AppState::Idle || shown == AppState::Checking)
        m_controls->setHint(canStart ? (m_resumableRunDir.isEmpty()
                                            ? tr("Ready: press Start")
                                            : tr("Ready: Start a new run, or Resume %1").arg(QFileInfo(m_resumableRunDir).fileName()))
                                     : missing);
}

QString MainWindow::logText() const { return m_log->toPlainText(); }

void MainWindow::appendLog(const QString &line)
{
    m_log->appendPlainText(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss  ")) + line);
}

void MainWindow::showError(const TaskError &error)
{
    if (m_session->isActive() || m_state == AppState::Training)
        m_state = AppState::Failed;
    appendLog(tr("error: %1 [%2]").arg(error.message, error.details));
    if (m_state == AppState::Failed)
        updateControls();
    emit errorShown(error.message);
    if (error.details == QLatin1String("Cancelled"))
        return;
    auto *box = new QMessageBox(QMessageBox::Warning, tr("UpStep Workbench"), error.message, QMessageBox::Ok, this);
    box->setDetailedText(error.details);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_session->isActive()) {
        if (!m_closeWhenIdle &&
            QMessageBox::question(this, tr("Stop the run?"),
                                  tr("A run is in progress. Stop it, write a checkpoint and quit? Resume continues it "
                                     "next time.")) != QMessageBox::Yes) {
            event->ignore();
            return;
        }
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
    const auto *mime = event->mimeData();
    if (mime->hasUrls() && mime->urls().first().isLocalFile() && !m_session->isActive())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    openPath(event->mimeData()->urls().first().toLocalFile());
    event->acceptProposedAction();
}

} // namespace upstep::ui
