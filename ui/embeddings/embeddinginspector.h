#pragma once
// The side of the Embeddings tab: the picked image (thumbnail, path, label, cluster,
// displacement) with its nearest neighbours in the base and in the adapted feature space side
// by side, the "most moved" ranking, and a lasso selection: its labels and clusters drawn against
// the whole map, over its images. An image the user tries
// ("Try an image...") shows the same way, with its neighbours among the map's images. Every thumbnail comes
// from one ThumbnailCache, decoded lazily; clicking an image in any list picks it.
//
// Threading: GUI thread only. Neighbour lookups run on the GUI thread: one image against the
// map's features is a few million multiply-adds, well under a frame at 20k images.

#include "upstep/eval/embedjob.h"

#include <QVector>
#include <QWidget>

class QLabel;
class QSplitter;
class QTabWidget;

namespace upstep::ui {

class SelectionHistogram;
class ThumbnailCache;
class ThumbnailGrid;
class ThumbnailList;

class EmbeddingInspector : public QWidget {
    Q_OBJECT
public:
    static constexpr int kNeighbours = 8;
    static constexpr int kMostMoved = 50;

    EmbeddingInspector(ThumbnailCache *cache, QWidget *parent = nullptr);

    /// The map the lists refer to; it must outlive its use here (the panel owns it).
    void setMap(const core::EmbeddingMap *map);
    /// Shows image index and its neighbours; -1 clears.
    void showImage(int index);
    void showSelection(const QVector<int> &indices);
    /// Shows an image the user tried (any file, usually one outside the map) with its nearest
    /// map images before and after adaptation, as neighboursOfImage() found them.
    void showTried(const QString &path, const core::EmbeddingMap::ImageQuery &query);
    QString triedPath() const { return m_triedPath; } ///< empty unless showTried() is what is shown

    QVector<int> baseNeighbours() const { return m_baseNeighbours; }
    QVector<int> adaptedNeighbours() const { return m_adaptedNeighbours; }
    QStringList selectionPaths() const;
    const SelectionHistogram *histogram() const { return m_histogram; }

    /// One line about image index: file name, label, cluster and displacement, as known.
    static QString describe(const core::EmbeddingMap &map, int index);

signals:
    void imageActivated(int index);

private:
    QVector<int> fillNeighbours(ThumbnailList *list, int index, bool adaptedSpace);
    QVector<int> fillList(ThumbnailList *list, const std::vector<core::MapNeighbour> &neighbours);
    void showPreview(const QString &path, const QString &title);

    ThumbnailCache *m_cache;
    const core::EmbeddingMap *m_map = nullptr;
    QLabel *m_preview, *m_details;
    QLabel *m_adaptedTitle;
    ThumbnailList *m_base, *m_adapted, *m_mostMoved;
    ThumbnailGrid *m_selection;
    SelectionHistogram *m_histogram;
    QSplitter *m_selectionSplit = nullptr; ///< the histogram over the selection's thumbnails
    QTabWidget *m_lists;
    QVector<int> m_baseNeighbours, m_adaptedNeighbours;
    int m_current = -1;
    QString m_triedPath;
};

} // namespace upstep::ui
