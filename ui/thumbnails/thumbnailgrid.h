#pragma once
// A scrolling grid of image thumbnails over any number of files. The model holds only paths;
// a thumbnail is decoded when its cell is first painted (ThumbnailCache), so 100k files cost
// a list of strings, and uniform cell sizes keep scrolling smooth.
//
// Threading: GUI thread only.

#include <QAbstractListModel>
#include <QHash>
#include <QListView>
#include <QSize>
#include <QStringList>

namespace upstep::ui {

class ThumbnailCache;

class ImageListModel : public QAbstractListModel {
    Q_OBJECT
public:
    ImageListModel(ThumbnailCache *cache, QObject *parent = nullptr);

    void setPaths(QStringList paths);
    const QStringList &paths() const { return m_paths; }
    void setCellSize(const QSize &size) { m_cellSize = size; } ///< every cell's size hint
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;

private:
    void thumbnailReady(const QString &path);

    ThumbnailCache *m_cache;
    QStringList m_paths;
    QHash<QString, int> m_rowOfPath;
    QSize m_cellSize;
};

class ThumbnailGrid : public QListView {
    Q_OBJECT
public:
    explicit ThumbnailGrid(QWidget *parent = nullptr);

    void setPaths(QStringList paths);
    ImageListModel *imageModel() const { return m_model; }

private:
    ThumbnailCache *m_cache;
    ImageListModel *m_model;
};

} // namespace upstep::ui
