#include "window/mainmenus.h"

#include "window/sessionfiles.h"

#include <QAction>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QUrl>
#include <QApplication>
#include <QFileDialog>
#include <QLabel>
#include <QMainWindow>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>

namespace upstep::ui {

namespace {

constexpr qsizetype kRecentSessions = 8;

} // namespace

MainMenus::MainMenus(QMainWindow *window) : QObject(window), m_window(window), m_hardware(new QLabel)
{
    buildFileMenu();
    buildSessionMenu();
    buildViewMenu();
    buildHelpMenu();
    m_hardware->setObjectName(QStringLiteral("hardwareSummary"));
    m_hardware->setContentsMargins(0, 0, 8, 0);
    m_hardware->setToolTip(tr("Device, precision and threads the run will use"));
    m_window->menuBar()->setCornerWidget(m_hardware);
}

void MainMenus::setHardwareSummary(const QString &summary) { m_hardware->setText(summary); }

void MainMenus::buildFileMenu()
{
    auto *file = m_window->menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open &backbone..."), QKeySequence(Qt::CTRL | Qt::Key_O), this, [this] {
        const auto chosen = QFileDialog::getOpenFileName(m_window, tr("Open a backbone"), {},
                                                         tr("Model weights (*.safetensors *.pth *.pt)"));
        if (!chosen.isEmpty())
            emit backboneChosen(chosen);
    });
    file->addAction(tr("Open target &folder..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
        const auto chosen = QFileDialog::getExistingDirectory(m_window, tr("Open a folder of target images"));
        if (!chosen.isEmpty())
            emit targetFolderChosen(chosen);
    });
    file->addSeparator();
    file->addAction(tr("Open &session..."), this, [this] {
        const auto chosen = QFileDialog::getOpenFileName(m_window, tr("Open a session"), sessionDialogFolder(),
                                                         tr("Sessions (*.json)"));
        if (!chosen.isEmpty())
            emit sessionChosen(chosen);
    });
    m_recentSessions = file->addMenu(tr("Recent sessions"));
    file->addAction(tr("&Save session"), QKeySequence::Save, this, [this] { emit saveSessionRequested(false); });
    file->addAction(tr("Save session &as..."), QKeySequence::SaveAs, this, [this] { emit saveSessionRequested(true); });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &MainMenus::quitRequested);
    rebuildRecentSessions();
}

void MainMenus::buildSessionMenu()
{
    auto *session = m_window->menuBar()->addMenu(tr("&Session"));
    m_start = session->addAction(tr("&Start"), QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainMenus::startRequested);
    m_pause = session->addAction(tr("&Pause / continue"), this, &MainMenus::pauseToggleRequested);
    m_pause->setShortcut(QKeySequence(Qt::Key_Space));
    m_pause->setShortcutContext(Qt::WindowShortcut);
    m_pause->setEnabled(false); // only a run in progress pauses
    m_resume = session->addAction(tr("&Resume stopped run"), this, &MainMenus::resumeRequested);
    m_stop = session->addAction(tr("S&top"), this, &MainMenus::stopRequested);
    session->addSeparator();
    m_exportAdapter = session->addAction(tr("&Export adapter..."), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                                         [this] { emit exportRequested(false); });
    m_exportMerged = session->addAction(tr("Export &merged weights..."), this, [this] { emit exportRequested(true); });
}

void MainMenus::setSessionActions(bool canStart, bool canResume, bool canStop, bool canExport)
{
    m_start->setEnabled(canStart);
    m_resume->setEnabled(canResume);
    m_stop->setEnabled(canStop);
    m_pause->setEnabled(canStop); // what can be stopped can be paused: a run in progress
    m_exportAdapter->setEnabled(canExport);
    m_exportMerged->setEnabled(canExport);
}

void MainMenus::buildViewMenu()
{
    auto *view = m_window->menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Fit curves"), QKeySequence(Qt::CTRL | Qt::Key_0), this, &MainMenus::fitCurvesRequested);
    view->addAction(tr("&Embeddings"), this, &MainMenus::embeddingsTabRequested);
    view->addAction(tr("Results by &class..."), QKeySequence(Qt::CTRL | Qt::Key_B), this,
                    &MainMenus::classResultsRequested);
    view->addAction(tr("&Log"), this, &MainMenus::logTabRequested);
}

void MainMenus::buildHelpMenu()
{
    auto *help = m_window->menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Open the &demo session"), this, [this] {
        if (const auto demo = demoSession()) {
            emit demoSessionRequested(*demo);
            return;
        }
        QMessageBox::information(
            m_window, tr("The demo session"),
            tr("The demo's files are not here yet. In a terminal, <code>upstep demo</code> downloads "
               "MNIST and Fashion-MNIST, trains the small base model and prepares the folders "
               "(a few minutes); then open this again."));
    });
    help->addSeparator();
    // The guides, from the installed documentation (or the source tree of a development build).
    const std::pair<const char *, const char *> guides[] = {{QT_TR_NOOP("&Getting started"), "README.md"},
                                                            {QT_TR_NOOP("The &workbench"), "WORKBENCH.md"},
                                                            {QT_TR_NOOP("&Training settings"), "TRAINING.md"},
                                                            {QT_TR_NOOP("&Embedding maps"), "EMBEDDINGS.md"},
                                                            {QT_TR_NOOP("&Bad input and limits"), "ROBUSTNESS.md"}};
    for (const auto &[title, file] : guides) {
        const auto path = documentationFile(QString::fromLatin1(file));
        auto *action = help->addAction(tr(title), this,
                                       [path] { QDesktopServices::openUrl(QUrl::fromLocalFile(path)); });
        action->setEnabled(!path.isEmpty());
        action->setToolTip(path.isEmpty() ? tr("The documentation is not installed") : path);
    }
    help->addSeparator();
    help->addAction(tr("&About UpStep Workbench"), this, [this] {
        QMessageBox::about(m_window, tr("About UpStep Workbench"),
                           tr("<b>UpStep Workbench %1</b><p>Adapts a pretrained vision backbone to your unlabeled "
                              "images with UpStep: LoRA adapters, center vector regularisation against forgetting, "
                              "and a gate that skips back-propagation on half the iterations.</p>")
                               .arg(QApplication::applicationVersion()));
    });
}

QString MainMenus::documentationFile(const QString &name)
{
    // Installed: PREFIX/share/doc/upstep (README.md and the guides side by side). A build tree:
    // the sources it was configured from.
    const QStringList folders{QDir(QApplication::applicationDirPath()).filePath(QStringLiteral("../share/doc/upstep")),
                              QStringLiteral(UPSTEP_SOURCE_DIR "/docs"), QStringLiteral(UPSTEP_SOURCE_DIR)};
    for (const auto &folder : folders)
        if (const QFileInfo info(QDir(folder).filePath(name)); info.isFile())
            return info.canonicalFilePath();
    return {};
}

void MainMenus::rememberSession(const QString &file)
{
    auto recent = QSettings().value(recentSessionsKey()).toStringList();
    recent.removeAll(file);
    recent.prepend(file);
    QSettings().setValue(recentSessionsKey(), recent.mid(0, kRecentSessions));
    rebuildRecentSessions();
}

void MainMenus::rebuildRecentSessions()
{
    m_recentSessions->clear();
    const auto recent = QSettings().value(recentSessionsKey()).toStringList();
    for (const auto &file : recent)
        m_recentSessions->addAction(file, this, [this, file] { emit sessionChosen(file); });
    m_recentSessions->setEnabled(!recent.isEmpty());
}

} // namespace upstep::ui
