#pragma once
// The workbench window: assembles the set-up panel, the run-control bar, the result card and the
// tabs (Curves with run comparison, Embeddings, Images, Log), and connects them to one TrainingSession and
// to background tasks for exports and run listings. It holds the application state shown in
// the bar, and the menus and shortcuts of UI.md.
//
// Threading: GUI thread only; all long work runs in TrainingSession or BackgroundTask.

#include "appstate.h"
#include "coretypes.h"
#include "train/trainconfig.h"

#include <QMainWindow>
#include <QPointer>

#include <optional>
#include <vector>

class QLabel;
class QMenu;
class QPlainTextEdit;
class QTabWidget;

namespace upstep::ui {

class BackgroundTask;
class CurvesPanel;
class EmbeddingsPanel;
class ResultCard;
class RunComparison;
class RunControlBar;
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
    /// A dropped or opened path, by kind: a folder becomes the target, a .json a session, any
    /// other file the backbone.
    void openPath(const QString &path);

    AppState state() const { return m_state; }
    QString lastRunDir() const { return m_lastRunDir; }
    bool isListingRuns() const; ///< the session's runs are being listed (the newest run is not known yet)
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
    void runFinished();
    void exportFinished(bool ok, const QString &message);
    void errorShown(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void buildMenus();
    void setState(AppState state);
    void updateControls();
    void appendLog(const QString &line);
    void showError(const TaskError &error);
    void refreshRuns();
    void exportWithDialog(bool merged);
    void openSessionWithDialog();
    void saveSessionWithDialog(bool askName);
    void rebuildRecentSessions();
    void startJob(const core::TrainConfig &config, const QString &runDir, bool resume);
    void onTrainingFinished(const core::TrainSummary &summary);
    void onSessionFinished();
    void updateEmbeddingSource();

    SetupPanel *m_setup;
    CurvesPanel *m_curves;
    RunComparison *m_comparison;
    EmbeddingsPanel *m_embeddings;
    RunControlBar *m_controls;
    ResultCard *m_resultCard;
    QTabWidget *m_tabs;
    QPlainTextEdit *m_log;
    QLabel *m_hardware;
    QMenu *m_recentSessions = nullptr;
    TrainingSession *m_session;
    QPointer<BackgroundTask> m_export;
    QPointer<BackgroundTask> m_runListing;

    AppState m_state = AppState::Idle;
    QString m_sessionFile;
    QString m_lastRunDir;      ///< the run shown in the curves and the result card
    QString m_resumableRunDir; ///< newest stopped run of this session with a checkpoint
    std::optional<core::TrainSummary> m_summary;
    std::optional<core::EvalReport> m_evaluation;
    bool m_closeWhenIdle = false;
};

} // namespace upstep::ui
