#pragma once
// The export of a run, as the Export buttons, the result card and the Session menu start it: a
// dialog for a new folder (suggested inside the run), a confirmation before an existing folder
// is replaced, then core::exportRun in a BackgroundTask, which writes the adapter (PEFT) or the
// merged weights and verifies them by reloading. It exists so the window only decides whether
// an export may start (no run in progress, a run to export) and shows the outcome.
//
// Threading: GUI thread only; the export itself runs on the BackgroundTask's thread.

#include "tasks/coretypes.h"

#include <QObject>
#include <QPointer>
#include <QString>

class QWidget;

namespace upstep::ui {

class BackgroundTask;

class ExportController : public QObject {
    Q_OBJECT
public:
    /// dialogParent: the window the dialogs belong to (and the parent of this object).
    explicit ExportController(QWidget *dialogParent);

    /// Asks for the folder to export runDir to, and before replacing an existing one; emits
    /// folderChosen unless the user cancels. Does nothing when runDir is empty.
    void askFolder(const QString &runDir, bool merged);
    /// Exports runDir to out in the background: succeeded or failed, then exportFinished.
    /// Call only when !isExporting().
    void start(const QString &runDir, bool merged, const QString &out, bool overwrite);
    /// From start() until exportFinished is emitted.
    bool isExporting() const { return !m_task.isNull(); }

signals:
    void folderChosen(bool merged, const QString &out, bool overwrite);
    /// The folder was written and verified; message says where and how close the reload came.
    void succeeded(const QString &message);
    void failed(const upstep::ui::TaskError &error);
    /// After succeeded or failed, once the task's thread is done (isExporting() is false).
    void exportFinished(bool ok, const QString &message);

private:
    QWidget *m_dialogParent;
    QPointer<BackgroundTask> m_task;
};

} // namespace upstep::ui
