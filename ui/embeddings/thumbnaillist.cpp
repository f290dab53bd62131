#include "embeddings/thumbnaillist.h"

#include "thumbnails/thumbnailcache.h"

#include <QFileInfo>
#include <QPixmap>

namespace upstep::ui {

namespace {
constexpr int kPathRole = Qt::UserRole;
constexpr int kIndexRole = Qt::UserRole + 1;
constexpr int kDecodedRole = Qt::UserRole + 2; ///< the thumbnail is in place (not the blank stand-in)
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
    // Images not decoded yet show a blank of the thumbnail's size: with uniform item sizes the
    // view measures one item, and an item measured without its icon clipped every later one.
    QPixmap blank(iconSize());
    blank.fill(Qt::transparent);
    for (const auto &entry : entries) {
        auto *item = new QListWidgetItem(entry.caption, this);
        item->setData(kPathRole, entry.path);
        item->setData(kIndexRole, entry.index);
        item->setToolTip(entry.path);
        const QImage image = m_cache->image(entry.path);
        item->setIcon(QIcon(image.isNull() ? blank : QPixmap::fromImage(image)));
        item->setData(kDecodedRole, !image.isNull());
    }
    scrollToTop();
}

void ThumbnailList::thumbnailReady(const QString &path)
{
    for (int row = 0; row < count(); ++row) {
        auto *entry = item(row);
        if (entry->data(kPathRole).toString() == path && !entry->data(kDecodedRole).toBool()) {
            entry->setIcon(QIcon(QPixmap::fromImage(m_cache->image(path))));
            entry->setData(kDecodedRole, true);
        }
    }
}

} // namespace upstep::ui
