#include "thumbnails/thumbnailgrid.h"

#include "thumbnails/thumbnailcache.h"

#include <QFileInfo>
#include <QPainter>
#include <QPixmap>

#include <algorithm>
#include <limits>

namespace upstep::ui {

ImageListModel::ImageListModel(ThumbnailCache *cache, QObject *parent) : QAbstractListModel(parent), m_cache(cache)
{
    connect(cache, &ThumbnailCache::ready, this, &ImageListModel::thumbnailReady);
}

void ImageListModel::setSource(qsizetype rows, PathSource pathAt)
{
    beginResetModel();
    m_rows = rows;
    m_pathAt = std::move(pathAt);
    m_waiting.clear();
    endResetModel();
}

void ImageListModel::setPaths(QStringList paths)
{
    const auto rows = paths.size();
    setSource(rows, [list = std::move(paths)](qsizetype row) { return list[row]; });
}

QStringList ImageListModel::paths() const
{
    QStringList all;
    all.reserve(m_rows);
    for (qsizetype row = 0; row < m_rows; ++row)
        all.push_back(m_pathAt(row));
    return all;
}

int ImageListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(std::min<qsizetype>(m_rows, std::numeric_limits<int>::max()));
}

QVariant ImageListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows)
        return {};
    switch (role) {
    case Qt::DecorationRole: {
        const auto path = m_pathAt(index.row());
        const auto image = m_cache->image(path);
        if (image.isNull()) { // painted empty until ready() arrives
            if (m_waiting.size() >= kMaxWaiting)
                m_waiting.clear();
            m_waiting.insert(path, index.row());
            return {};
        }
        return QPixmap::fromImage(image);
    }
    case Qt::SizeHintRole:
        // Every cell is its full size before its thumbnail is decoded. The view measures one
        // cell for all (uniform sizes); measured without a picture, cells were 0 pixels wide and
        // the grid stayed blank until a resize laid it out again.
        return m_cellSize;
    case Qt::ToolTipRole:
    case Qt::UserRole: return m_pathAt(index.row());
    default:
        return {};
    }
}

void ImageListModel::thumbnailReady(const QString &path)
{
    const auto it = m_waiting.constFind(path);
    if (it == m_waiting.constEnd())
        return; // not painted since the last reset, or forgotten (see m_waiting)
    const auto i = index(*it);
    m_waiting.erase(it);
    emit thumbnailArrived(i);
}

ThumbnailGrid::ThumbnailGrid(QWidget *parent)
    : QListView(parent), m_cache(new ThumbnailCache(96, this)), m_model(new ImageListModel(m_cache, this))
{
    setModel(m_model);
    connect(m_model, &ImageListModel::thumbnailArrived, this, [this](const QModelIndex &index) { update(index); });
    // A wrapping list rather than IconMode: the same grid of cells, but IconMode keeps a spatial
    // index of every item and stalled the GUI thread for 90-240 ms on the first jumps through a
    // million rows (upstep-bench-folder); the wrapping list never went past 30 ms.
    setViewMode(QListView::ListMode);
    setFlow(QListView::LeftToRight);
    setWrapping(true);
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

void ThumbnailGrid::setPlaceholder(const QString &text)
{
    m_placeholder = text;
    viewport()->update();
}

void ThumbnailGrid::paintEvent(QPaintEvent *event)
{
    QListView::paintEvent(event);
    if (m_model->rowCount() > 0 || m_placeholder.isEmpty())
        return;
    QPainter painter(viewport());
    painter.setPen(palette().placeholderText().color());
    painter.drawText(viewport()->rect(), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
}

void ThumbnailGrid::setSource(qsizetype rows, ImageListModel::PathSource pathAt)
{
    m_model->setSource(rows, std::move(pathAt));
}

} // namespace upstep::ui
