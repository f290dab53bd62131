#include "thumbnails/thumbnailgrid.h"

#include "thumbnails/thumbnailcache.h"

#include <QFileInfo>
#include <QPixmap>

namespace upstep::ui {

ImageListModel::ImageListModel(ThumbnailCache *cache, QObject *parent) : QAbstractListModel(parent), m_cache(cache)
{
    connect(cache, &ThumbnailCache::ready, this, &ImageListModel::thumbnailReady);
}

void ImageListModel::setPaths(QStringList paths)
{
    beginResetModel();
    m_paths = std::move(paths);
    m_rowOfPath.clear();
    m_rowOfPath.reserve(m_paths.size());
    for (int i = 0; i < m_paths.size(); ++i)
        m_rowOfPath.insert(m_paths[i], i);
    endResetModel();
}

int ImageListModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : m_paths.size(); }

QVariant ImageListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_paths.size())
        return {};
    const auto &path = m_paths[index.row()];
    switch (role) {
    case Qt::DecorationRole: {
        const auto image = m_cache->image(path);
        if (image.isNull())
            return {}; // painted empty until ready() arrives
        return QPixmap::fromImage(image);
    }
    case Qt::SizeHintRole:
        // Every cell is its full size before its thumbnail is decoded. The view measures one
        // cell for all (uniform sizes); measured without a picture, cells were 0 pixels wide and
        // the grid stayed blank until a resize laid it out again.
        return m_cellSize;
    case Qt::ToolTipRole:
        return path;
    case Qt::UserRole:
        return path;
    default:
        return {};
    }
}

void ImageListModel::thumbnailReady(const QString &path)
{
    const auto it = m_rowOfPath.constFind(path);
    if (it == m_rowOfPath.constEnd())
        return;
    const auto i = index(*it);
    emit dataChanged(i, i, {Qt::DecorationRole});
}

ThumbnailGrid::ThumbnailGrid(QWidget *parent)
    : QListView(parent), m_cache(new ThumbnailCache(96, this)), m_model(new ImageListModel(m_cache, this))
{
    setModel(m_model);
    setViewMode(QListView::IconMode);
    setResizeMode(QListView::Adjust);
    setMovement(QListView::Static);
    setUniformItemSizes(true);
    setLayoutMode(QListView::Batched);
    setBatchSize(2000);
    setIconSize(QSize(56, 56));
    setGridSize(QSize(62, 62));
    m_model->setCellSize(iconSize());
    setSpacing(0);
    setSelectionMode(QAbstractItemView::NoSelection);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
}

void ThumbnailGrid::setPaths(QStringList paths) { m_model->setPaths(std::move(paths)); }

} // namespace upstep::ui
