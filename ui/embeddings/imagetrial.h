#pragma once
// "Try an image": one image file compared with a map in the background (the map's models load
// there), and what a drop on the Embeddings tab offers for it. The panel shows the result.
//
// Threading: GUI thread; the comparison runs on a BackgroundTask's thread with its own copy of
// the map (copies share the immutable features), and its result comes back queued.

#include "upstep/eval/embedjob.h"

#include <QObject>
#include <QPointer>
#include <QString>

class QMimeData;

namespace upstep::ui {

class BackgroundTask;

class ImageTrial : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    /// Starts comparing path with map; false (nothing started) while a comparison runs.
    bool start(const core::EmbeddingMap &map, const QString &path, int neighbours);
    bool isRunning() const { return !m_task.isNull(); }

    /// The dropped file when it is one local image, else empty.
    static QString droppedImage(const QMimeData *mime);

signals:
    void found(const QString &path, const upstep::core::EmbeddingMap::ImageQuery &query);
    void failed(const QString &message);
    void finished(); ///< after found() or failed(); isRunning() is false again

private:
    QPointer<BackgroundTask> m_task;
};

} // namespace upstep::ui
