#include "embeddings/thumbnaillist.h"

#include "thumbnails/thumbnailcache.h"

#include <QFileInfo>

namespace upstep::ui {

namespace {
constexpr int kPathRole = Qt::UserRole;
constexpr int kIndexRole = Qt::UserRole + 1;
} // namespace

ThumbnailList::ThumbnailList(ThumbnailCache *cache, bool iconMode, QWidget *parent) : QListWidget(parent), m_cache(cache)
{
    const int side = iconMode ? 48 : 32;
    setIconSize(QSize(side, side));
    if (iconMode) {
        setViewMode(QListView::IconMode);
        setResizeMode(QListView::Adjust);
        setMovement(QListView::Static);
        setGridSize(QSize(side + 16, side + 20));
        setWordWrap(true);
    }
    setUniformItemSizes(true);
    setSelectionMode(QAbstractItemView::SingleSelection);
    connect(m_cache, &ThumbnailCache::ready, this, &ThumbnailList::thumbnailReady);
    connect(this, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        emit imageActivated(item->data(kIndexRole).toInt());
    });
}

void ThumbnailList::setEntries(const QList<Entry> &entries)
{
    clear();
    for (const auto &entry : entries) {
        auto *item = new QListWidgetItem(entry.caption, this);
        item->setData(kPathRole, entry.path);
        item->setData(kIndexRole, entry.index);
        item->setToolTip(entry.path);
        const QImage image = m_cache->image(entry.path);
        if (!image.isNull())
            item->setIcon(QIcon(QPixmap::fromImage(image)));
    }
}

void ThumbnailList::thumbnailReady(const QString &path)
{
    for (int row = 0; row < count(); ++row) {
        auto *entry = item(row);
        if (entry->data(kPathRole).toString() == path && entry->icon().isNull())
            entry->setIcon(QIcon(QPixmap::fromImage(m_cache->image(path))));
    }
}

} // namespace upstep::ui
