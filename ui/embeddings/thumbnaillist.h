#pragma once
// A short list of images with a caption each (neighbours with their distances, the most moved
// images): thumbnails come from a shared ThumbnailCache and fill in as they decode. Each item
// carries the map index of its image; activating an item reports it.
//
// Threading: GUI thread only.

#include <QListWidget>

namespace upstep::ui {

class ThumbnailCache;

class ThumbnailList : public QListWidget {
    Q_OBJECT
public:
    /// iconMode: a wrapping grid of thumbnails with captions below; else one row per image.
    ThumbnailList(ThumbnailCache *cache, bool iconMode, QWidget *parent = nullptr);

    struct Entry {
        int index;       ///< the image's index in the map
        QString path;
        QString caption;
    };
    void setEntries(const QList<Entry> &entries);

signals:
    void imageActivated(int index);

private:
    void thumbnailReady(const QString &path);

    ThumbnailCache *m_cache;
};

} // namespace upstep::ui
