// The Embeddings panel's answers to the user pointing at the map: hover, pick, lasso selection,
// find, and an image tried against the map (picked or dropped). Split from embeddingspanel.cpp;
// same class, same GUI-thread contract.
#include "embeddings/embeddingspanel.h"

#include "embeddings/embeddinginspector.h"
#include "embeddings/embeddingscatter.h"
#include "embeddings/imagetrial.h"
#include "embeddings/mapquery.h"
#include "thumbnails/thumbnailcache.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

#include <algorithm>

namespace upstep::ui {

void EmbeddingsPanel::tryImage(const QString &path)
{
    if (m_map.empty() || isComputing() || !m_trial->start(m_map, path, EmbeddingInspector::kNeighbours)) {
        emit tried(false);
        return;
    }
    m_tryImage->setEnabled(false);
    m_triedGeneration = m_mapGeneration;
    setStatus(tr("Comparing %1 with the map…").arg(QFileInfo(path).fileName()));
}

void EmbeddingsPanel::showTried(const QString &path, const core::EmbeddingMap::ImageQuery &query)
{
    if (m_triedGeneration != m_mapGeneration) { // the map was replaced meanwhile: its indices do not apply
        setStatus(tr("The map changed while %1 was compared; try it again.").arg(QFileInfo(path).fileName()));
        emit tried(false);
        return;
    }
    pick(-1);
    m_inspector->showTried(path, query);
    markNeighbours(); // the tried image's neighbours, beside any selection
    setStatus(tr("%1: its nearest images in the map, before and after adaptation, are on the right.")
                  .arg(QFileInfo(path).fileName()));
    emit tried(true);
}

void EmbeddingsPanel::dragEnterEvent(QDragEnterEvent *event)
{
    if (!m_map.empty() && !ImageTrial::droppedImage(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else
        event->ignore(); // folders, sessions and weights go to the window
}

void EmbeddingsPanel::dropEvent(QDropEvent *event)
{
    tryImage(ImageTrial::droppedImage(event->mimeData()));
    event->acceptProposedAction();
}

void EmbeddingsPanel::showHover(int index, const QPoint &globalPosition)
{
    m_hovered = index >= 0 && index < m_map.size() ? index : -1;
    for (auto *view : {m_baseView, m_adaptedView, m_overlayView})
        view->setEcho(m_hovered);
    emit hoveredImage(m_hovered);
    if (m_hovered < 0) {
        m_hoverCard->hide();
        return;
    }
    const auto path = QString::fromStdString(m_map.path(m_hovered));
    const QImage thumbnail = m_thumbnails->image(path);
    if (thumbnail.isNull())
        m_hoverImage->setText(tr("loading…"));
    else
        m_hoverImage->setPixmap(ThumbnailCache::enlarged(thumbnail, m_thumbnails->side()));
    m_hoverText->setText(EmbeddingInspector::describe(m_map, m_hovered) + QLatin1Char('\n') + path);
    m_hoverCard->adjustSize();
    QPoint at = mapFromGlobal(globalPosition) + QPoint(16, 16);
    at.setX(std::min(at.x(), width() - m_hoverCard->width()));
    at.setY(std::min(at.y(), height() - m_hoverCard->height()));
    m_hoverCard->move(at);
    m_hoverCard->raise();
    m_hoverCard->show();
    setStatus(EmbeddingInspector::describe(m_map, m_hovered) + QStringLiteral(" — ") + path);
}

void EmbeddingsPanel::pick(int index)
{
    m_picked = index >= 0 && index < m_map.size() ? index : -1;
    m_inspector->showImage(m_picked);
    markNeighbours();
    emit picked(m_picked);
}

void EmbeddingsPanel::markNeighbours()
{
    m_baseView->setMarks(m_picked, m_inspector->baseNeighbours());
    m_adaptedView->setMarks(m_picked, m_inspector->adaptedNeighbours());
    m_overlayView->setMarks(m_picked, m_inspector->adaptedNeighbours());
}

void EmbeddingsPanel::select(const QVector<int> &indices)
{
    m_selection = indices;
    m_inspector->showSelection(indices);
    for (auto *view : {m_baseView, m_adaptedView, m_overlayView})
        view->setSelection(indices);
    m_saveList->setEnabled(!indices.isEmpty());
    updateArrows();
    // What the selection holds, by label and cluster: the histogram a user reads first.
    setStatus(indices.isEmpty() ? tr("No selection") : tr("Selected: %1").arg(selectionSummary(m_map, indices)));
    emit selectionChanged(indices);
}

void EmbeddingsPanel::find(const QString &query)
{
    m_find->setText(query);
    const auto result = findImages(m_map, query);
    if (!result.error.isEmpty()) {
        setStatus(tr("Find: %1").arg(result.error), true);
        return;
    }
    select(result.matches);
    if (result.matches.isEmpty() && !query.trimmed().isEmpty())
        setStatus(tr("Find: no image matches \"%1\"").arg(query.trimmed()), true);
}

} // namespace upstep::ui
