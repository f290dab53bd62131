#include "embeddings/imagetrial.h"

#include "tasks/backgroundtask.h"
#include "upstep/io/imagefolder.h"

#include <QMimeData>
#include <QUrl>

// Only this class passes an image query's result through a BackgroundTask's QVariant.
Q_DECLARE_METATYPE(upstep::core::EmbeddingMap::ImageQuery)

namespace upstep::ui {

bool ImageTrial::start(const core::EmbeddingMap &map, const QString &path, int neighbours)
{
    if (m_task)
        return false;
    m_task = new BackgroundTask(
        tr("Trying %1").arg(path),
        [map, file = path.toStdString(), neighbours](const core::ProgressSink &, core::StopFlag) {
            return QVariant::fromValue(map.neighboursOfImage(file, neighbours));
        },
        this);
    connect(m_task, &BackgroundTask::succeeded, this,
            [this, path](const QVariant &result) { emit found(path, result.value<core::EmbeddingMap::ImageQuery>()); });
    connect(m_task, &BackgroundTask::failed, this, [this](const TaskError &error) { emit failed(error.message); });
    connect(m_task, &BackgroundTask::finished, this, [this, task = m_task.data()] {
        task->deleteLater();
        m_task.clear(); // the next image may be tried at once
        emit finished();
    });
    m_task->start();
    return true;
}

QString ImageTrial::droppedImage(const QMimeData *mime)
{
    if (!mime->hasUrls() || mime->urls().size() != 1 || !mime->urls().first().isLocalFile())
        return {};
    const auto file = mime->urls().first().toLocalFile();
    return core::hasImageExtension(file.toStdString()) ? file : QString();
}

} // namespace upstep::ui
