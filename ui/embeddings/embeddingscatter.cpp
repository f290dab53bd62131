#include "embeddings/embeddingscatter.h"

#include "widgets/palette.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <limits>
#include <utility>

namespace upstep::ui {

namespace {

constexpr int kTitleHeight = 20;
constexpr int kMargin = 6;

/// Pixel size of a point: large dots for small maps, small ones where 20k points share a view.
int dotSize(int points) { return points > 20000 ? 2 : points > 5000 ? 3 : points > 1000 ? 4 : 6; }

QRect plotArea(const QSize &size)
{
    return QRect(kMargin, kTitleHeight, std::max(1, size.width() - 2 * kMargin),
                 std::max(1, size.height() - kTitleHeight - kMargin));
}

} // namespace

EmbeddingScatter::EmbeddingScatter(QWidget *parent) : QWidget(parent)
{
    m_settle.setSingleShot(true);
    m_settle.setInterval(kSettleMs);
    connect(&m_settle, &QTimer::timeout, this, [this] {
        m_moving = false;
        m_layerDirty = true;
        update();
    });
    setMouseTracking(true);
    setMinimumSize(200, 200);
    setFocusPolicy(Qt::ClickFocus);
    setToolTip(tr("Wheel: zoom · drag: pan · double-click: fit · click: neighbours · Shift+drag: lasso selection"));
}

void EmbeddingScatter::setTitle(const QString &title)
{
    m_title = title;
    update();
}

void EmbeddingScatter::setPoints(std::vector<float> positions, std::vector<QRgb> colours)
{
    m_positions = std::move(positions);
    m_colours = std::move(colours);
    m_colours.resize(m_positions.size() / 2, palette::kAdapted.rgb());
    m_origins.clear();
    m_current = m_hover = m_echo = -1;
    m_marked.clear();
    m_selected.clear();
    rebuildGrid();
    fitView();
}

void EmbeddingScatter::setColours(std::vector<QRgb> colours)
{
    m_colours = std::move(colours);
    m_colours.resize(m_positions.size() / 2, palette::kAdapted.rgb());
    m_layerDirty = true;
    update();
}

int EmbeddingScatter::arrowCount() const
{
    if (m_origins.empty())
        return 0;
    if (m_arrowSubset.isEmpty())
        return pointCount();
    return static_cast<int>(std::count_if(m_arrowSubset.begin(), m_arrowSubset.end(),
                                          [this](int i) { return i >= 0 && i < pointCount(); }));
}

void EmbeddingScatter::setArrowSubset(QVector<int> indices)
{
    m_arrowSubset = std::move(indices);
    m_layerDirty = true;
    update();
}

void EmbeddingScatter::setArrowOrigins(std::vector<float> origins)
{
    m_origins = origins.size() == m_positions.size() ? std::move(origins) : std::vector<float>{};
    m_layerDirty = true;
    update();
}

void EmbeddingScatter::setMarks(int current, QVector<int> neighbours)
{
    m_current = current;
    m_marked = std::move(neighbours);
    update();
}

void EmbeddingScatter::setSelection(QVector<int> selected)
{
    m_selected = std::move(selected);
    update();
}

void EmbeddingScatter::setEcho(int index)
{
    if (index == m_echo)
        return;
    m_echo = index;
    update();
}

void EmbeddingScatter::clear() { setPoints({}, {}); }

void EmbeddingScatter::setView(const QRectF &view)
{
    if (view == m_view || !view.isValid())
        return;
    m_view = view;
    if (pointCount() > kMovingPoints) { // a zoom, pan or linked view: a subset until the view rests
        m_moving = true;
        m_settle.start();
    }
    m_layerDirty = true;
    update();
}

void EmbeddingScatter::fitView()
{
    // The points' bounds with a 5 % border, never empty (a map of identical points still shows).
    QRectF view = m_bounds.isNull() ? QRectF(-1, -1, 2, 2) : m_bounds;
    const double w = std::max(view.width(), 1e-6), h = std::max(view.height(), 1e-6);
    view = QRectF(view.center().x() - w * 0.55, view.center().y() - h * 0.55, w * 1.1, h * 1.1);
    m_view = view;
    m_layerDirty = true;
    update();
}

QRectF EmbeddingScatter::shownView() const { return equalAspect(m_view, plotArea(size())); }

QRectF EmbeddingScatter::equalAspect(const QRectF &view, const QRect &area)
{
    // One data unit is as many pixels across as up: distances in a map mean the same in every
    // direction whatever the panel's shape. The requested view is widened in one direction, about
    // its centre, to the plot area's aspect ratio.
    if (area.width() <= 0 || area.height() <= 0 || view.width() <= 0 || view.height() <= 0)
        return view;
    const double unitsPerPixel = std::max(view.width() / area.width(), view.height() / area.height());
    const double w = unitsPerPixel * area.width(), h = unitsPerPixel * area.height();
    return {view.center().x() - w / 2, view.center().y() - h / 2, w, h};
}

QPointF EmbeddingScatter::toWidget(float x, float y) const
{
    const QRect area = plotArea(size());
    const QRectF v = shownView();
    return {area.left() + (x - v.left()) / v.width() * area.width(),
            area.bottom() - (y - v.top()) / v.height() * area.height()};
}

QPointF EmbeddingScatter::toData(const QPointF &widget) const
{
    const QRect area = plotArea(size());
    const QRectF v = shownView();
    return {v.left() + (widget.x() - area.left()) / area.width() * v.width(),
            v.top() + (area.bottom() - widget.y()) / area.height() * v.height()};
}

QPointF EmbeddingScatter::widgetPosition(int index) const
{
    if (index < 0 || index >= pointCount())
        return {};
    return toWidget(m_positions[2 * index], m_positions[2 * index + 1]);
}

void EmbeddingScatter::rebuildGrid()
{
    const int n = pointCount();
    m_bounds = QRectF();
    if (n > 0) {
        float x0 = std::numeric_limits<float>::max(), y0 = x0, x1 = -x0, y1 = -x0;
        for (int i = 0; i < n; ++i) {
            x0 = std::min(x0, m_positions[2 * i]);
            x1 = std::max(x1, m_positions[2 * i]);
            y0 = std::min(y0, m_positions[2 * i + 1]);
            y1 = std::max(y1, m_positions[2 * i + 1]);
        }
        m_bounds = QRectF(x0, y0, std::max(x1 - x0, 1e-6f), std::max(y1 - y0, 1e-6f));
    }
    // About four points per cell on average: a counting sort of the points by cell.
    m_gridSide = std::clamp(static_cast<int>(std::sqrt(n / 4.0)), 1, 512);
    const auto cellOf = [this](int i) {
        const int cx = std::clamp(static_cast<int>((m_positions[2 * i] - m_bounds.left()) / m_bounds.width() * m_gridSide),
                                  0, m_gridSide - 1);
        const int cy = std::clamp(static_cast<int>((m_positions[2 * i + 1] - m_bounds.top()) / m_bounds.height() * m_gridSide),
                                  0, m_gridSide - 1);
        return cy * m_gridSide + cx;
    };
    m_gridStart.assign(static_cast<std::size_t>(m_gridSide * m_gridSide + 1), 0);
    for (int i = 0; i < n; ++i)
        ++m_gridStart[static_cast<std::size_t>(cellOf(i) + 1)];
    for (std::size_t c = 1; c < m_gridStart.size(); ++c)
        m_gridStart[c] += m_gridStart[c - 1];
    m_gridPoints.assign(static_cast<std::size_t>(n), 0);
    auto fill = m_gridStart;
    for (int i = 0; i < n; ++i)
        m_gridPoints[static_cast<std::size_t>(fill[static_cast<std::size_t>(cellOf(i))]++)] = i;
}

int EmbeddingScatter::pointAt(const QPointF &position, double radius) const
{
    if (pointCount() == 0)
        return -1;
    const QPointF a = toData(position - QPointF(radius, -radius)), b = toData(position + QPointF(radius, -radius));
    const auto cell = [this](double v, double start, double extent) {
        return std::clamp(static_cast<int>((v - start) / extent * m_gridSide), 0, m_gridSide - 1);
    };
    const int cx0 = cell(a.x(), m_bounds.left(), m_bounds.width()), cx1 = cell(b.x(), m_bounds.left(), m_bounds.width());
    const int cy0 = cell(a.y(), m_bounds.top(), m_bounds.height()), cy1 = cell(b.y(), m_bounds.top(), m_bounds.height());
    int best = -1;
    double bestDistance = radius * radius;
    for (int cy = cy0; cy <= cy1; ++cy)
        for (int cx = cx0; cx <= cx1; ++cx) {
            const auto c = static_cast<std::size_t>(cy * m_gridSide + cx);
            for (int k = m_gridStart[c]; k < m_gridStart[c + 1]; ++k) {
                const int i = m_gridPoints[static_cast<std::size_t>(k)];
                const QPointF d = widgetPosition(i) - position;
                const double distance = d.x() * d.x() + d.y() * d.y();
                if (distance <= bestDistance) {
                    bestDistance = distance;
                    best = i;
                }
            }
        }
    return best;
}

QVector<int> EmbeddingScatter::pointsInside(const QPolygonF &polygon) const
{
    QVector<int> inside;
    const QRectF box = polygon.boundingRect();
    for (int i = 0; i < pointCount(); ++i) {
        const QPointF p = widgetPosition(i);
        if (box.contains(p) && polygon.containsPoint(p, Qt::OddEvenFill))
            inside.push_back(i);
    }
    return inside;
}

void EmbeddingScatter::renderLayer()
{
    const qreal ratio = devicePixelRatioF();
    m_layer = QImage(size() * ratio, QImage::Format_ARGB32_Premultiplied);
    m_layer.setDevicePixelRatio(ratio);
    m_layer.fill(palette().base().color());
    m_layerDirty = false;
    const int n = pointCount();
    if (n == 0)
        return;
    const QRect area = plotArea(size());
    QPainter painter(&m_layer);
    painter.setClipRect(area);
    if (!m_origins.empty()) {
        // Arrows first, faint, so the points stay readable on top of 20k lines.
        // Only the chosen images' arrows when a subset is set (a selection, the most moved).
        QVector<int> shown = m_arrowSubset;
        if (shown.isEmpty()) {
            shown.resize(n);
            std::iota(shown.begin(), shown.end(), 0);
        }
        // Level of detail: past kMaxArrows, an even stride of them. A million faint lines would
        // take seconds to draw and show no more than a grey wash.
        const qsizetype stride = std::max<qsizetype>(1, (shown.size() + kMaxArrows - 1) / kMaxArrows);
        QVector<QLineF> lines;
        lines.reserve(shown.size() / stride + 1);
        for (qsizetype s = 0; s < shown.size(); s += stride)
            if (const int i = shown[s]; i >= 0 && i < n)
                lines.push_back({toWidget(m_origins[2 * i], m_origins[2 * i + 1]), widgetPosition(i)});
        QColor arrow = palette().text().color();
        arrow.setAlpha(lines.size() > 5000 ? 40 : 90);
        painter.setPen(QPen(arrow, 0));
        painter.drawLines(lines);
        QColor origin = palette::kBase;
        origin.setAlpha(120);
        for (const auto &line : lines)
            painter.fillRect(QRectF(line.p1() - QPointF(1, 1), QSizeF(2, 2)), origin);
    }
    painter.end();

    // Points as small squares written straight into the image: far cheaper than one QPainter
    // call per point, and draw order (later points on top) is the map's own order.
    const int dot = std::max(1, static_cast<int>(std::lround(dotSize(n) * ratio)));
    const QRect pixels(QPoint(static_cast<int>(area.left() * ratio), static_cast<int>(area.top() * ratio)),
                       QPoint(static_cast<int>(area.right() * ratio), static_cast<int>(area.bottom() * ratio)));
    // Level of detail: while the view moves, an even stride of kMovingPoints of them; every
    // point again once it has been still for kSettleMs.
    const int stride = m_moving ? std::max(1, (n + kMovingPoints - 1) / kMovingPoints) : 1;
    for (int i = 0; i < n; i += stride) {
        const QPointF p = widgetPosition(i) * ratio;
        const int x0 = static_cast<int>(p.x()) - dot / 2, y0 = static_cast<int>(p.y()) - dot / 2;
        const QRgb colour = m_colours[static_cast<std::size_t>(i)] | 0xff000000u;
        for (int y = std::max(y0, pixels.top()); y < std::min(y0 + dot, pixels.bottom() + 1); ++y) {
            auto *line = reinterpret_cast<QRgb *>(m_layer.scanLine(y));
            for (int x = std::max(x0, pixels.left()); x < std::min(x0 + dot, pixels.right() + 1); ++x)
                line[x] = colour;
        }
    }
}

void EmbeddingScatter::paintEvent(QPaintEvent *)
{
    if (m_layerDirty || m_layer.size() != size() * devicePixelRatioF())
        renderLayer();
    QPainter painter(this);
    painter.drawImage(0, 0, m_layer);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRect area = plotArea(size());
    painter.setPen(palette().mid().color());
    painter.drawRect(area.adjusted(0, 0, -1, -1));
    painter.setPen(palette().text().color());
    painter.drawText(QRect(kMargin, 0, width() - 2 * kMargin, kTitleHeight), Qt::AlignLeft | Qt::AlignVCenter,
                     pointCount() ? m_title : m_title + tr(" (nothing computed yet)"));

    painter.setClipRect(area);
    painter.setBrush(Qt::NoBrush);
    // Marked images get a dark outline on a light halo (no label or cluster colour is black and
    // white, so a mark never reads as a class): a circle for the selection, a square for the
    // picked image's neighbours, so both can be told apart where they overlap.
    for (const auto &pen : {QPen(palette().base().color(), 3.5), QPen(palette().text().color(), 1.5)}) {
        painter.setPen(pen);
        for (const int i : m_selected)
            if (i >= 0 && i < pointCount())
                painter.drawEllipse(widgetPosition(i), 4, 4);
        for (const int i : m_marked)
            if (i >= 0 && i < pointCount())
                painter.drawRect(QRectF(widgetPosition(i) - QPointF(4, 4), QSizeF(8, 8)));
    }
    for (const int i : {m_current, m_hover, m_echo})
        if (i >= 0 && i < pointCount()) {
            painter.setPen(QPen(palette().text().color(), 2, i == m_echo && i != m_hover ? Qt::DotLine : Qt::SolidLine));
            painter.drawEllipse(widgetPosition(i), 7, 7);
        }
    if (m_drag == Drag::Lasso && m_lasso.size() > 1) {
        painter.setPen(QPen(palette::kAdapted, 1.5, Qt::DashLine));
        QColor fill = palette::kAdapted;
        fill.setAlpha(30);
        painter.setBrush(fill);
        painter.drawPolygon(m_lasso);
    }
}

bool EmbeddingScatter::event(QEvent *event)
{
    // The usage hint is for the empty space: over a point, the hover card is what to read.
    if (event->type() == QEvent::ToolTip && m_hover >= 0)
        return true;
    return QWidget::event(event);
}

QImage EmbeddingScatter::renderToImage()
{
    if (std::exchange(m_moving, false)) { // an export shows every point
        m_settle.stop();
        m_layerDirty = true;
    }
    QImage image(size() * devicePixelRatioF(), QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(devicePixelRatioF());
    image.fill(palette().window().color());
    render(&image);
    return image;
}

void EmbeddingScatter::resizeEvent(QResizeEvent *)
{
    m_layerDirty = true;
}

void EmbeddingScatter::userChangedView(const QRectF &view)
{
    setView(view);
    emit viewChanged(m_view);
}

void EmbeddingScatter::wheelEvent(QWheelEvent *event)
{
    if (pointCount() == 0)
        return;
    const double factor = std::pow(0.85, event->angleDelta().y() / 120.0);
    const QPointF anchor = toData(event->position());
    const QRectF v = m_view;
    userChangedView(QRectF(anchor.x() - (anchor.x() - v.left()) * factor, anchor.y() - (anchor.y() - v.top()) * factor,
                           v.width() * factor, v.height() * factor));
    event->accept();
}

void EmbeddingScatter::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    m_pressPosition = event->position();
    m_pressView = m_view;
    m_moved = false;
    m_drag = event->modifiers() & Qt::ShiftModifier ? Drag::Lasso : Drag::Pan;
    m_lasso = QPolygonF{m_pressPosition};
}

void EmbeddingScatter::mouseMoveEvent(QMouseEvent *event)
{
    const QPointF position = event->position();
    if (m_drag == Drag::None) {
        setHover(pointAt(position), event->globalPosition().toPoint());
        return;
    }
    m_moved = m_moved || (position - m_pressPosition).manhattanLength() > 3;
    if (m_drag == Drag::Lasso) {
        m_lasso << position;
        update();
        return;
    }
    const QRect area = plotArea(size());
    const QPointF delta = position - m_pressPosition;
    const QRectF shown = equalAspect(m_pressView, area); // data units per pixel, the same both ways
    userChangedView(
        m_pressView.translated(-delta.x() / area.width() * shown.width(), delta.y() / area.height() * shown.height()));
}

void EmbeddingScatter::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton || m_drag == Drag::None)
        return;
    const Drag drag = std::exchange(m_drag, Drag::None);
    if (!m_moved) {
        emit clicked(pointAt(event->position()));
    } else if (drag == Drag::Lasso) {
        m_lasso << event->position();
        emit selected(pointsInside(m_lasso));
    }
    m_lasso.clear();
    update();
}

void EmbeddingScatter::mouseDoubleClickEvent(QMouseEvent *)
{
    fitView();
    emit viewChanged(m_view);
}

void EmbeddingScatter::leaveEvent(QEvent *) { setHover(-1, {}); }

void EmbeddingScatter::setHover(int index, const QPoint &globalPosition)
{
    if (index == m_hover)
        return;
    m_hover = index;
    update();
    emit hovered(index, globalPosition);
}

} // namespace upstep::ui
