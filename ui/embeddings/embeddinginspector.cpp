#include "embeddings/embeddinginspector.h"

#include "thumbnails/thumbnailcache.h"
#include "thumbnails/thumbnailgrid.h"
#include "embeddings/thumbnaillist.h"
#include "embeddings/selectionhistogram.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

namespace upstep::ui {

EmbeddingInspector::EmbeddingInspector(ThumbnailCache *cache, QWidget *parent)
    : QWidget(parent), m_cache(cache), m_preview(new QLabel), m_details(new QLabel),
      m_adaptedTitle(new QLabel(tr("Adapted space"))), m_base(new ThumbnailList(cache, true)),
      m_adapted(new ThumbnailList(cache, true)), m_mostMoved(new ThumbnailList(cache, false)),
      m_selection(new ThumbnailGrid), m_histogram(new SelectionHistogram), m_lists(new QTabWidget)
{
    m_preview->setFixedSize(cache->side() + 8, cache->side() + 8);
    m_preview->setAlignment(Qt::AlignCenter);
    m_preview->setFrameShape(QFrame::StyledPanel);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setText(tr("Click a point to see the image and its nearest neighbours."));

    auto *picked = new QGridLayout;
    picked->addWidget(m_preview, 0, 0, 2, 1);
    picked->addWidget(m_details, 0, 1, 2, 1);
    picked->setColumnStretch(1, 1);

    auto *neighbours = new QGridLayout;
    neighbours->addWidget(new QLabel(tr("<b>Nearest in base space</b>")), 0, 0);
    neighbours->addWidget(m_adaptedTitle, 0, 1);
    m_adaptedTitle->setText(tr("<b>Nearest in adapted space</b>"));
    neighbours->addWidget(m_base, 1, 0);
    neighbours->addWidget(m_adapted, 1, 1);
    for (auto *list : {m_base, m_adapted})
        list->setToolTip(tr("Distance in that model's feature space; click to pick the image"));

    m_mostMoved->setObjectName(QStringLiteral("mostMoved"));
    m_lists->addTab(m_mostMoved, tr("Most moved"));
    auto *histogramScroll = new QScrollArea;
    histogramScroll->setWidget(m_histogram);
    histogramScroll->setWidgetResizable(true);
    histogramScroll->setFrameShape(QFrame::NoFrame);
    m_selectionSplit = new QSplitter(Qt::Vertical);
    m_selectionSplit->addWidget(histogramScroll);
    m_selectionSplit->addWidget(m_selection);
    m_selectionSplit->setChildrenCollapsible(false);
    // The counts are read first and the grid scrolls: three fifths to the histogram.
    m_selectionSplit->setSizes({3000, 2000});
    m_lists->addTab(m_selectionSplit, tr("Selection"));
    m_mostMoved->setToolTip(tr("Images whose map position changed most from base to adapted; click to pick"));
    m_selection->setToolTip(tr("Shift+drag on a map to select images with a lasso"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(picked);
    layout->addLayout(neighbours, 2);
    layout->addWidget(m_lists, 3);

    for (auto *list : {m_base, m_adapted, m_mostMoved})
        connect(list, &ThumbnailList::imageActivated, this, &EmbeddingInspector::imageActivated);
    connect(m_cache, &ThumbnailCache::ready, this, [this](const QString &path) {
        if ((m_map && m_current >= 0 &&
             path == QString::fromStdString(m_map->path(m_current))) ||
            (!m_triedPath.isEmpty() && path == m_triedPath))
            m_preview->setPixmap(ThumbnailCache::enlarged(m_cache->image(path), m_cache->side()));
    });
}

QString EmbeddingInspector::describe(const core::EmbeddingMap &map, int index)
{
    const auto i = static_cast<std::size_t>(index);
    QStringList parts{QFileInfo(QString::fromStdString(map.path(static_cast<std::int64_t>(i)))).fileName()};
    const int label = map.labels()[i];
    if (label >= 0 && label < static_cast<int>(map.classNames().size()))
        parts << tr("label %1").arg(QString::fromStdString(map.classNames()[static_cast<std::size_t>(label)]));
    if (!map.clusters().empty())
        parts << tr("cluster %1").arg(map.clusters()[i]);
    if (map.hasAdapter())
        parts << tr("moved %1").arg(map.displacement()[i], 0, 'g', 3);
    return parts.join(QStringLiteral(" · "));
}

void EmbeddingInspector::setMap(const core::EmbeddingMap *map)
{
    m_map = map;
    showImage(-1);
    showSelection({});
    QList<ThumbnailList::Entry> moved;
    if (m_map && m_map->hasAdapter())
        for (const auto i : m_map->mostMoved(kMostMoved))
            moved.push_back({static_cast<int>(i), QString::fromStdString(m_map->path(i)),
                             describe(*m_map, static_cast<int>(i))});
    m_mostMoved->setEntries(moved);
    m_adapted->setEnabled(m_map && m_map->hasAdapter());
    m_adaptedTitle->setEnabled(m_adapted->isEnabled());
}

QVector<int> EmbeddingInspector::fillList(ThumbnailList *list, const std::vector<core::MapNeighbour> &neighbours)
{
    QVector<int> indices;
    QList<ThumbnailList::Entry> entries;
    for (const auto &n : neighbours) {
        if (!m_map || n.index < 0 || n.index >= m_map->size())
            continue; // not this map's image (the caller checks; this keeps a slip from reading past it)
        indices.push_back(static_cast<int>(n.index));
        entries.push_back({static_cast<int>(n.index),
                           QString::fromStdString(m_map->path(n.index)),
                           QString::number(n.distance, 'g', 3)});
    }
    list->setEntries(entries);
    return indices;
}

QVector<int> EmbeddingInspector::fillNeighbours(ThumbnailList *list, int index, bool adaptedSpace)
{
    if (!m_map || index < 0 || (adaptedSpace && !m_map->hasAdapter()))
        return fillList(list, {});
    return fillList(list, m_map->neighbours(index, kNeighbours, adaptedSpace));
}

void EmbeddingInspector::showPreview(const QString &path, const QString &title)
{
    m_preview->setPixmap(ThumbnailCache::enlarged(m_cache->image(path), m_cache->side()));
    m_details->setText(QStringLiteral("<b>%1</b><br>%2").arg(title.toHtmlEscaped(), path.toHtmlEscaped()));
}

void EmbeddingInspector::showImage(int index)
{
    m_current = m_map && index >= 0 && index < m_map->size() ? index : -1;
    m_triedPath.clear();
    m_baseNeighbours = fillNeighbours(m_base, m_current, false);
    m_adaptedNeighbours = fillNeighbours(m_adapted, m_current, true);
    if (m_current < 0) {
        m_preview->clear();
        m_details->setText(tr("Click a point to see the image and its nearest neighbours."));
        return;
    }
    showPreview(QString::fromStdString(m_map->path(m_current)),
                describe(*m_map, m_current));
}

void EmbeddingInspector::showTried(const QString &path, const core::EmbeddingMap::ImageQuery &query)
{
    if (!m_map)
        return;
    m_current = -1;
    m_triedPath = path;
    m_baseNeighbours = fillList(m_base, query.base);
    m_adaptedNeighbours = fillList(m_adapted, query.adapted);
    showPreview(path, tr("Tried: %1 (its nearest images in the map are below)").arg(QFileInfo(path).fileName()));
}

void EmbeddingInspector::showSelection(const QVector<int> &indices)
{
    QStringList paths;
    if (m_map)
        for (const int i : indices)
            paths << QString::fromStdString(m_map->path(i));
    m_selection->setPaths(paths);
    m_lists->setTabText(1, paths.isEmpty() ? tr("Selection") : tr("Selection (%1)").arg(paths.size()));
    if (m_map)
        m_histogram->setBars(labelCounts(*m_map, indices), clusterCounts(*m_map, indices),
                             static_cast<int>(indices.size()), static_cast<int>(m_map->size()));
    else
        m_histogram->clear();
    if (!paths.isEmpty())
        m_lists->setCurrentWidget(m_selectionSplit);
}

QStringList EmbeddingInspector::selectionPaths() const { return m_selection->imageModel()->paths(); }

} // namespace upstep::ui
