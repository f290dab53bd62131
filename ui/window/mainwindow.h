#pragma once
// The workbench window: assembles the set-up panel, the run-control bar, the result card and the
// tabs (Curves with run comparison, Embeddings, Images, Log), and wires them to one
// TrainingSession, to the menus (MainMenus), to the listing of the session's earlier runs
// (RunLister), to exports (ExportController) and to the session file (SessionDocument). It holds the application state shown in the
// bar.
//
// Threading: GUI thread only; all long work runs in TrainingSession or BackgroundTask.

#include "window/appstate.h"
#include "tasks/coretypes.h"
#include "upstep/run/trainconfig.h"

#include <QMainWindow>

#include <optional>

class QPlainTextEdit;
class QTabWidget;

namespace upstep::ui {

class CurvesPanel;
class EmbeddingsPanel;
class ExportController;
class MainMenus;
class ResultCard;
class RunComparison;
class RunControlBar;
class RunLister;
class SessionDocument;
class SetupPanel;
class TrainingSession;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    void loadConfig(const core::TrainConfig &config, const QString &sessionFile = {});
    bool openSession(const QString &file); ///< false (with a message) when the file is not a valid session
    bool saveSessionTo(const QString &file);

    void startRun();
    void pauseRun();
    void resumeRun(); ///< continues a paused run, or the newest stopped run of this session
    void stopRun();
    void startExport(bool merged, const QString &out, bool overwrite);
    /// Shows an earlier run: its curves, result card, and it becomes what Export exports.
    void showRun(const core::RunRecord &run);
    /// A dropped or opened path, by kind: a folder becomes the target, a .json a session, any
    /// other file the backbone.
    void openPath(const QString &path);

    AppState state() const { return m_state; }
    QString lastRunDir() const { return m_lastRunDir; }
    bool isListingRuns() const; ///< the session's runs are being listed (the newest run is not known yet)
    bool isReady() const { return m_ready; } ///< ready() has been emitted
    SetupPanel *setup() const { return m_setup; }
    CurvesPanel *curves() const { return m_curves; }
    EmbeddingsPanel *embeddings() const { return m_embeddings; }
    RunControlBar *controls() const { return m_controls; }
    ResultCard *resultCard() const { return m_resultCard; }
    RunComparison *comparison() const { return m_comparison; }
    TrainingSession *session() const { return m_session; }
    QTabWidget *tabs() const { return m_tabs; }
    QString logText() const;

signals:
    /// Emitted once in the window's life, the first time all of this holds when a listing of the
    /// session's runs finishes: the backbone check and the target-folder scan are over, the run
    /// listing that followed the later of them is over (so lastRunDir() and Resume know the
    /// earlier runs, and the Embeddings tab has its adapter), and Start is enabled (the inputs
    /// are usable and no run or export is in progress). Not emitted while an input is missing
    /// or unusable; then it comes once a usable input has been checked and the runs listed
    /// again. isReady() tells whether it has been emitted already.
    void ready();
    void runFinished();
    void exportFinished(bool ok, const QString &message);
    void errorShown(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    QWidget *buildCentralWidget();
    void connectMenus();
    void connectPanels();
    void connectSession();
    void setState(AppState state);
    void updateControls();
    void appendLog(const QString &line);
    void showError(const TaskError &error);
    void refreshRuns();
    void onRunsListed();
    void emitReadyOnce();
    void exportWithDialog(bool merged);
    void startJob(const core::TrainConfig &config, const QString &runDir, bool resume);
    void onTrainingFinished(const core::TrainSummary &summary);
    void onSessionFinished();
    void updateEmbeddingSource();
    bool refuseWhileRunning();                  ///< true (with a message) while a run is active
    void onSetupChanged();                      ///< any input, its check or the form changed
    void tellUser(const QString &message);      ///< a refusal or a notice: logged and shown, state unchanged

    SetupPanel *m_setup;
    CurvesPanel *m_curves;
    RunComparison *m_comparison;
    EmbeddingsPanel *m_embeddings;
    RunControlBar *m_controls;
    ResultCard *m_resultCard;
    QTabWidget *m_tabs;
    QPlainTextEdit *m_log;
    TrainingSession *m_session;
    RunLister *m_runs;
    ExportController *m_export;
    SessionDocument *m_document;  ///< the session file, its unsaved mark and the save questions
    MainMenus *m_menus = nullptr; ///< built once the central widget is in place

    AppState m_state = AppState::Idle;
    QString m_lastRunDir; ///< the run shown in the curves and the result card
    bool m_shownRunInUse = false;   ///< another process was training it when it was shown
    bool m_activeRunListed = false; ///< the runs table lists the active run (after its first metrics)
    std::optional<core::TrainSummary> m_summary;
    std::optional<core::EvalReport> m_evaluation;
    bool m_closeWhenIdle = false;
    bool m_ready = false;
};

} // namespace upstep::ui
