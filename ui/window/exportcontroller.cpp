#include "window/exportcontroller.h"

#include "tasks/backgroundtask.h"
#include "window/sessionfiles.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QWidget>

#include <memory>
#include <utility>

namespace upstep::ui {

ExportController::ExportController(QWidget *dialogParent) : QObject(dialogParent), m_dialogParent(dialogParent) {}

void ExportController::askFolder(const QString &runDir, bool merged)
{
    if (runDir.isEmpty())
        return;
    // Beside the run the first time (where `upstep eval --adapter RUN/peft-adapter` finds it);
    // afterwards where the user last exported to, named after the run.
    const QString kind = merged ? QStringLiteral("merged") : QStringLiteral("peft-adapter");
    const auto lastFolder = QSettings().value(QStringLiteral("export/lastFolder")).toString();
    const auto suggestion = !lastFolder.isEmpty() && QFileInfo(lastFolder).isDir()
                                ? lastFolder + QLatin1Char('/') + QFileInfo(runDir).fileName() + QLatin1Char('-') + kind
                                : runDir + QLatin1Char('/') + kind;
    const auto out = QFileDialog::getSaveFileName(m_dialogParent, merged ? tr("Export merged weights to a new folder")
                                                                         : tr("Export the adapter to a new folder"),
                                                  suggestion, {}, nullptr, QFileDialog::DontConfirmOverwrite);
    if (out.isEmpty())
        return;
    const QFileInfo chosen(out);
    if (chosen.exists() && !chosen.isDir()) {
        QMessageBox::information(
            m_dialogParent, tr("Choose a folder name"),
            tr("%1 is a file. An export is a folder of files: choose a new folder name.").arg(out));
        return;
    }
    bool overwrite = false;
    if (chosen.exists()) {
        if (QMessageBox::question(m_dialogParent, tr("Replace folder?"),
                                  tr("%1 exists. Replace it? The old folder stays until the new one is verified.").arg(out)) !=
            QMessageBox::Yes)
            return;
        overwrite = true;
    }
    // A folder of the user's own is remembered; one inside a run folder is not (the next run's
    // export would land in this run).
    if (!QDir(chosen.absolutePath()).absolutePath().startsWith(QDir(runsRoot()).absolutePath()))
        QSettings().setValue(QStringLiteral("export/lastFolder"), chosen.absolutePath());
    emit folderChosen(merged, out, overwrite);
}

void ExportController::start(const QString &runDir, bool merged, const QString &out, bool overwrite)
{
    Q_ASSERT(!isExporting());
    core::RunExportRequest request;
    request.run = runDir.toStdString();
    request.format = merged ? core::ExportFormat::Merged : core::ExportFormat::Peft;
    request.out = out.toStdString();
    request.overwrite = overwrite;
    auto *task = new BackgroundTask(merged ? tr("Exporting merged weights") : tr("Exporting the adapter"),
                                    [request](const core::ProgressSink &, core::StopFlag) {
                                        return QVariant::fromValue(core::exportRun(request));
                                    },
                                    this);
    m_task = task;
    // exportFinished is emitted once the task's thread is done, so nothing is busy by then.
    auto outcome = std::make_shared<std::pair<bool, QString>>(false, QString());
    connect(task, &BackgroundTask::succeeded, this, [this, outcome](const QVariant &value) {
        const auto result = value.value<core::ExportResult>();
        const auto message = tr("Exported to %1 and verified: the reloaded files reproduce the adapted model "
                                "(largest difference %2, tolerance %3).")
                                 .arg(QString::fromStdString(result.folder.string()))
                                 .arg(result.maxAbsDifference, 0, 'g', 3)
                                 .arg(result.tolerance, 0, 'g', 3);
        *outcome = {true, message};
        emit succeeded(message);
    });
    connect(task, &BackgroundTask::failed, this, [this, outcome](const TaskError &error) {
        *outcome = {false, error.message};
        emit failed(error);
    });
    connect(task, &BackgroundTask::finished, this, [this, task, outcome] {
        task->deleteLater();
        m_task = nullptr;
        emit exportFinished(outcome->first, outcome->second);
    });
    task->start();
}

} // namespace upstep::ui
