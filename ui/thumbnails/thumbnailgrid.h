#pragma once
// A scrolling grid of image thumbnails over any number of files. The model holds no list of its
// own: it asks a source for the path of a row when the row is painted, and a thumbnail is decoded
// when its cell is first painted (ThumbnailCache). So a folder of a million files costs the
// scan the caller already holds, nothing more, and uniform cell sizes keep scrolling smooth.
//
// Threading: GUI thread only; the path source is called on the GUI thread.

#include <QAbstractListModel>
#include <QHash>
#include <QListView>
#include <QSize>
#include <QStringList>

#include <functional>

namespace upstep::ui {

class ThumbnailCache;

class ImageListModel : public QAbstractListModel {
    Q_OBJECT
public:
    using PathSource = std::function<QString(qsizetype row)>;

    ImageListModel(ThumbnailCache *cache, QObject *parent = nullptr);

    /// rows images, row r's path being pathAt(r); pathAt must stay valid until the next call.
    void setSource(qsizetype rows, PathSource pathAt);
    void setPaths(QStringList paths);                          ///< a source over a list (small lists: selections)
    QStringList paths() const;                                 ///< every row's path, built on each call
    void setCellSize(const QSize &size) { m_cellSize = size; } ///< every cell's size hint
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;

signals:
    /// index's thumbnail is ready: repaint its cell. Not dataChanged(), on which a wrapping
    /// QListView lays out every row again (at a million rows the scroll bar kept collapsing
    /// while the layout started over); the cell's size never changes with its picture.
    void thumbnailArrived(const QModelIndex &index);

private:
    void thumbnailReady(const QString &path);

    ThumbnailCache *m_cache;
    qsizetype m_rows = 0;
    PathSource m_pathAt;
    /// Rows painted before their thumbnail was ready, by path, so that ready() repaints them.
    /// Bounded: cleared when it outgrows kMaxWaiting (a row scrolled past and painted again asks
    /// the cache anew, so nothing is lost but a repaint of a row no longer shown).
    mutable QHash<QString, int> m_waiting;
    static constexpr qsizetype kMaxWaiting = 20000;
    QSize m_cellSize;
};

class ThumbnailGrid : public QListView {
    Q_OBJECT
public:
    explicit ThumbnailGrid(QWidget *parent = nullptr);

    void setPaths(QStringList paths);
    void setSource(qsizetype rows, ImageListModel::PathSource pathAt);
    ImageListModel *imageModel() const { return m_model; }
    /// Shown in the middle of the grid while it has no images ("Scanning the folder..."); empty: none.
    void setPlaceholder(const QString &text);

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_placeholder;
    ThumbnailCache *m_cache;
    ImageListModel *m_model;
};

} // namespace upstep::ui
