#pragma once
// The workbench's menu bar (File, Session, View, Help) with the shortcuts of docs/WORKBENCH.md
// ("Menus and shortcuts"), the Recent sessions submenu (kept in QSettings "recent/sessions") and
// the hardware summary in the bar's corner. It exists so the window does not build menus itself:
// every item only asks for something through a signal, and the window decides what happens. The
// file dialogs of File > Open are shown here; the chosen path travels in the signal. Help > About
// is shown here too.
//
// Threading: GUI thread only.

#include "upstep/run/trainconfig.h"

#include <QObject>

class QLabel;
class QMainWindow;
class QAction;
class QMenu;

namespace upstep::ui {

class MainMenus : public QObject {
    Q_OBJECT
public:
    /// Builds the menus into window's menu bar; window parents this object and the dialogs.
    explicit MainMenus(QMainWindow *window);

    /// The corner label: device, precision and threads the run will use.
    void setHardwareSummary(const QString &summary);
    /// Puts file first in the recent sessions (at most 8 are kept) and rebuilds the submenu.
    void rememberSession(const QString &file);
    /// Enables the Session menu's run and export items like the run-control bar's buttons, so a
    /// shortcut never asks for what the bar would refuse (an export during a run).
    void setSessionActions(bool canStart, bool canResume, bool canStop, bool canExport);

signals:
    void backboneChosen(const QString &file);     ///< File > Open backbone (Ctrl+O), after its dialog
    void targetFolderChosen(const QString &folder); ///< File > Open target folder (Ctrl+Shift+O)
    void sessionChosen(const QString &file);      ///< File > Open session, or a recent session
    void saveSessionRequested(bool askName);      ///< File > Save (Ctrl+S: false) or Save as (true)
    void quitRequested();                         ///< File > Quit
    void startRequested();                        ///< Session > Start (Ctrl+R)
    void pauseToggleRequested();                  ///< Session > Pause / continue (Space)
    void resumeRequested();                       ///< Session > Resume stopped run
    void stopRequested();                         ///< Session > Stop
    void exportRequested(bool merged);            ///< Session > Export adapter (Ctrl+E) or merged weights
    void fitCurvesRequested();                    ///< View > Fit curves (Ctrl+0)
    void embeddingsTabRequested();                ///< View > Embeddings
    void classResultsRequested();                 ///< View > Results by class (Ctrl+B)
    void logTabRequested();                       ///< View > Log
    void demoSessionRequested(const upstep::core::TrainConfig &config); ///< Help > Open the demo session

public:
    /// A guide (README.md, WORKBENCH.md, ...) in the installed documentation or the source tree;
    /// empty when neither has it.
    static QString documentationFile(const QString &name);

private:
    void buildFileMenu();
    void buildSessionMenu();
    void buildViewMenu();
    void buildHelpMenu();
    void rebuildRecentSessions();

    QMainWindow *m_window;
    QMenu *m_recentSessions = nullptr;
    QAction *m_start = nullptr, *m_resume = nullptr, *m_stop = nullptr, *m_pause = nullptr;
    QAction *m_exportAdapter = nullptr, *m_exportMerged = nullptr;
    QLabel *m_hardware;
};

} // namespace upstep::ui
