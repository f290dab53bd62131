// RunComparison's gain-versus-forgetting scatter: its points, their labels, hover tips and the
// frontier line (the table and the rest of the widget are in runcomparison.cpp).
//
// Threading: GUI thread only, as the whole widget.
#include "monitor/runcomparison.h"

#include "monitor/runfigures.h"
#include "upstep/run/frontier.h"
#include "widgets/palette.h"

#include <QLabel>
#include <QTableWidget>
#include <QToolTip>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace upstep::ui {

int RunComparison::rowOfScatterPoint(int dataIndex) const
{
    return dataIndex >= 0 && dataIndex < static_cast<int>(m_rowOfPoint.size())
               ? m_rowOfPoint[static_cast<std::size_t>(dataIndex)]
               : -1;
}

void RunComparison::addPointLabels(const std::vector<ScatterPoint> &points)
{
    // Runs with the same result (same settings and seed give the same figures) share one point:
    // one label names the newest and counts the others, instead of names printed over each other.
    // Other labels take the first corner of their point (above right, above left, below right,
    // below left) where they stay inside the plot and clear of the labels placed before; a point
    // with no free corner is counted in the nearest label ("run-7 and 2 more"). The axes' ranges
    // are set before this, so pixel positions are final.
    constexpr double kSame = 0.005;      // points: closer than the figures' shown precision
    constexpr double kPointRadius = 5.0; // pixels: the drawn disc
    struct Label {
        QPointF at; // the point, in data coordinates
        QRectF box; // where the text goes, in pixels
        Qt::Alignment alignment;
        int newest = 0; // the newest run's row (rows are newest first)
        int others = 0;
    };
    std::vector<Label> labels;
    m_labelledArea = m_scatter->axisRect()->rect();
    const QRectF area = m_labelledArea;
    const QFontMetrics metrics(m_scatter->font());
    const auto pixel = [this](double x, double y) {
        return QPointF(m_scatter->xAxis->coordToPixel(x), m_scatter->yAxis->coordToPixel(y));
    };
    const auto nameOf = [this](int row) {
        const auto *name = m_table->item(row, kName);
        return name ? name->text() : QString();
    };
    std::vector<bool> done(points.size(), false);
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (done[i])
            continue;
        int others = 0, newest = points[i].row;
        for (std::size_t j = i + 1; j < points.size(); ++j)
            if (!done[j] && std::abs(points[j].x - points[i].x) < kSame &&
                std::abs(points[j].y - points[i].y) < kSame) {
                done[j] = true;
                ++others;
                newest = std::min(newest, points[j].row);
            }
        const QPointF at = pixel(points[i].x, points[i].y);
        // Room for the name and a count that may still be added to it.
        const QSizeF size(metrics.horizontalAdvance(nameOf(newest) + tr(" and %n more", nullptr, 99)) + 8,
                          metrics.height());
        // Corners clear of the labels placed before and of the other points (text over a point
        // hides it; points at the label's own point, closer than two discs, cannot be avoided);
        // when none is, corners clear of the labels alone.
        const auto coversPoint = [&](const QRectF &box) {
            return std::any_of(points.begin(), points.end(), [&](const ScatterPoint &p) {
                const auto other = pixel(p.x, p.y);
                return QLineF(other, at).length() >= 2 * kPointRadius &&
                       box.adjusted(-kPointRadius, -kPointRadius, kPointRadius, kPointRadius).contains(other);
            });
        };
        bool placed = false;
        for (const bool avoidPoints : {true, false}) {
            for (const Qt::Alignment corner : {Qt::AlignLeft | Qt::AlignBottom, Qt::AlignRight | Qt::AlignBottom,
                                               Qt::AlignLeft | Qt::AlignTop, Qt::AlignRight | Qt::AlignTop}) {
                const QPointF topLeft(corner & Qt::AlignLeft ? at.x() : at.x() - size.width(),
                                      corner & Qt::AlignBottom ? at.y() - size.height() : at.y());
                const QRectF box(topLeft, size);
                const bool clear = std::none_of(labels.begin(), labels.end(),
                                                [&box](const Label &l) { return l.box.intersects(box); }) &&
                                   !(avoidPoints && coversPoint(box));
                if (area.contains(box) && clear) {
                    labels.push_back({{points[i].x, points[i].y}, box, corner, newest, others});
                    placed = true;
                    break;
                }
            }
            if (placed)
                break;
        }
        if (!placed && !labels.empty()) {
            auto nearest = std::min_element(labels.begin(), labels.end(), [&](const Label &a, const Label &b) {
                return QLineF(pixel(a.at.x(), a.at.y()), at).length() < QLineF(pixel(b.at.x(), b.at.y()), at).length();
            });
            nearest->others += others + 1;
            nearest->newest = std::min(nearest->newest, newest);
        } else if (!placed) { // no corner is wide enough: the first label goes where there is more room
            const bool right = area.right() - at.x() >= at.x() - area.left();
            labels.push_back({{points[i].x, points[i].y},
                              {},
                              (right ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignBottom,
                              newest,
                              others});
        }
    }
    for (const auto &l : labels) {
        auto text = nameOf(l.newest);
        if (l.others > 0)
            text += tr(" and %n more", nullptr, l.others);
        const bool right = l.alignment & Qt::AlignLeft; // the text starts at the point
        // Never cut at the plot's edge: a name longer than the room keeps its end ("…021444 and 2
        // more"), which is what tells runs of one day apart.
        const double x = m_scatter->xAxis->coordToPixel(l.at.x());
        const int room = static_cast<int>(right ? area.right() - x : x - area.left()) - 8;
        text = metrics.elidedText(text, Qt::ElideLeft, std::max(room, 0));
        auto *label = new QCPItemText(m_scatter);
        label->position->setCoords(l.at.x(), l.at.y());
        label->setPositionAlignment(l.alignment);
        label->setText(right ? QStringLiteral(" ") + text : text + QStringLiteral(" "));
        label->setFont(m_scatter->font()); // the font the room was measured with
        label->setColor(palette().color(QPalette::WindowText));
        label->setSelectable(false);
    }
}

void RunComparison::showPointTip(const QPoint &at)
{
    // The nearest point within a few pixels, named with its figures.
    constexpr double kReach = 8.0;
    int nearest = -1;
    double best = kReach;
    if (m_scatter->graphCount() > 0) {
        const auto &data = *m_scatter->graph(0)->data();
        for (int i = 0; i < data.size(); ++i) {
            const QPointF point(m_scatter->xAxis->coordToPixel(data.at(i)->key),
                                m_scatter->yAxis->coordToPixel(data.at(i)->value));
            const double distance = QLineF(point, at).length();
            if (distance < best) {
                best = distance;
                nearest = i;
            }
        }
    }
    const int row = rowOfScatterPoint(nearest);
    if (row < 0) {
        QToolTip::hideText();
        return;
    }
    const auto &data = *m_scatter->graph(0)->data();
    QToolTip::showText(m_scatter->mapToGlobal(at),
                       tr("%1\ngain %2 pts, forgetting %3 pts\nclick to show it")
                           .arg(m_table->item(row, kName)->text())
                           .arg(data.at(nearest)->value, 0, 'f', 2)
                           .arg(data.at(nearest)->key, 0, 'f', 2),
                       m_scatter);
}

void RunComparison::drawScatter()
{
    m_scatter->clearGraphs();
    m_scatter->clearItems();
    m_rowOfPoint.clear();
    // Graph 0: every evaluated run, clickable, in the accent colour; the run shown in the curves
    // gets a ring on top (graph 1), so the colour never depends on which run is shown.
    std::vector<ScatterPoint> evaluated;
    QVector<double> currentX, currentY;
    const auto frontier = frontierRows();
    QVector<double> frontX, frontY;
    for (int row = 0; row < runCount(); ++row) {
        const auto &r = run(row);
        if (!r.evaluation)
            continue;
        const double gain = 100 * core::targetGain(*r.evaluation), forgot = 100 * core::forgetting(*r.evaluation);
        if (!std::isfinite(gain) || !std::isfinite(forgot))
            continue;
        evaluated.push_back({forgot, gain, row});
        if (frontier[static_cast<std::size_t>(row)]) {
            frontX.push_back(forgot);
            frontY.push_back(gain);
        }
        if (QString::fromStdString(r.dir.string()) == m_current) {
            currentX.push_back(forgot);
            currentY.push_back(gain);
        }
    }
    // QCPGraph keeps its data sorted by x and reports clicks by that index: sort the same way.
    std::sort(evaluated.begin(), evaluated.end(),
              [](const ScatterPoint &a, const ScatterPoint &b) { return a.x < b.x; });
    QVector<double> x, y;
    for (const auto &point : evaluated) {
        x.push_back(point.x);
        y.push_back(point.y);
        m_rowOfPoint.push_back(point.row);
    }
    m_points = static_cast<int>(x.size());
    // The range comes from the points alone, always with the origin (no gain, no forgetting) in
    // view and at least a few points across: QCustomPlot's rescale keeps the previous span when
    // all points coincide, which widened the view on every redraw.
    const auto fit = [](QCPAxis *axis, const QVector<double> &values) {
        double low = 0, high = 0;
        for (const double v : values) {
            low = std::min(low, v);
            high = std::max(high, v);
        }
        const double pad = std::max(1.0, (high - low) * 0.2);
        axis->setRange(low - pad, high + pad);
    };
    fit(m_scatter->xAxis, x);
    fit(m_scatter->yAxis, y);
    // The frontier's runs are named first, so each keeps a label of its own in a crowded plot.
    auto byLabelPriority = evaluated;
    std::stable_sort(byLabelPriority.begin(), byLabelPriority.end(), [&](const ScatterPoint &a, const ScatterPoint &b) {
        return frontier[static_cast<std::size_t>(a.row)] > frontier[static_cast<std::size_t>(b.row)];
    });
    addPointLabels(byLabelPriority); // before the graphs, so a click on a point reaches the point, not its label
    auto *points = m_scatter->addGraph();
    points->setLineStyle(QCPGraph::lsNone);
    // Every run in a muted tone; the frontier's runs are drawn over them in the accent, joined by
    // a line from the least forgetting to the most gain (graph 2).
    points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, palette::kBase, palette::kBase, 8));
    points->setData(x, y, true);
    auto *ring = m_scatter->addGraph();
    ring->setLineStyle(QCPGraph::lsNone);
    ring->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(palette().color(QPalette::WindowText), 2), Qt::NoBrush, 15));
    ring->setData(currentX, currentY);
    ring->setSelectable(QCP::stNone);
    auto *front = m_scatter->addGraph();
    front->setLineStyle(QCPGraph::lsLine);
    front->setPen(QPen(palette::kAdapted, 1.5, Qt::DashLine));
    front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, palette::kAdapted, palette::kAdapted, 10));
    front->setData(frontX, frontY); // sorted by forgetting; along the front the gain rises with it
    front->setSelectable(QCP::stNone);
    m_scatter->replot(QCustomPlot::rpQueuedReplot);
    // Two short lines under the plot leave it room; the rest is the note's tooltip.
    m_note->setText(m_points > 0 ? tr("Up and left is better. %n run(s) on the frontier (blue, bold in the table): "
                                      "no other run beats them on both. Hover a point to name it; click to show it.",
                                      nullptr, static_cast<int>(frontX.size()))
                                 : tr("Runs evaluated with a labeled target test folder and a source folder appear in "
                                      "the scatter."));
    m_note->setToolTip(tr("Points are each run's evaluation on the test folders. To choose settings, use a sweep's "
                          "validation scores (sweep.md in its folder), then read the test scores once. Export "
                          "adapter exports the selected run."));
}

} // namespace upstep::ui
