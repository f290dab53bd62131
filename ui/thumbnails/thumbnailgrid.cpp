#include "thumbnails/thumbnailgrid.h"

#include "thumbnails/thumbnailcache.h"

#include <QFileInfo>
#include <QPixmap>
#include <QShowEvent>

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
    setSpacing(0);
    setSelectionMode(QAbstractItemView::NoSelection);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
}

void ThumbnailGrid::setPaths(QStringList paths) { m_model->setPaths(std::move(paths)); }

void ThumbnailGrid::showEvent(QShowEvent *event)
{
    QListView::showEvent(event);
    // A model reset while the grid sat in a hidden tab is laid out against the hidden viewport's
    // size, and in icon mode nothing lays it out again until a resize: every cell stayed blank
    // on the first visit of the Images tab. Lay out again for the size the grid is shown at.
    scheduleDelayedItemsLayout();
}

} // namespace upstep::ui
