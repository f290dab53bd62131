#include "monitor/liveplot.h"

#include "upstep/io/atomicfile.h"

#include <QContextMenuEvent>
#include <QFileDialog>
#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <map>

namespace upstep::ui {

namespace {

void styleAxis(QCPAxis *axis, const QPalette &pal)
{
    const auto text = pal.color(QPalette::WindowText);
    auto grid = text;
    grid.setAlpha(35);
    axis->setBasePen(QPen(text, 1));
    axis->setTickPen(QPen(text, 1));
    axis->setSubTickPen(QPen(text, 1));
    axis->setTickLabelColor(text);
    axis->setLabelColor(text);
    axis->grid()->setPen(QPen(grid, 1, Qt::SolidLine));
    axis->grid()->setSubGridVisible(false);
    axis->grid()->setZeroLinePen(Qt::NoPen);
    axis->setNumberPrecision(7); // near-constant monitors (entropy close to log K) still get distinct ticks
}

QString number(double v) { return std::isfinite(v) ? QString::number(v, 'g', 4) : QStringLiteral("-"); }

} // namespace

LivePlot::LivePlot(const QString &title, const QString &leftLabel, const QString &rightLabel, QWidget *parent)
    : QCustomPlot(parent), m_title(title)
{
    const auto pal = palette();
    setBackground(pal.color(QPalette::Base));
    axisRect()->setBackground(pal.color(QPalette::Base));
    setAntialiasedElements(QCP::aeAll);
    setNoAntialiasingOnDrag(true);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    axisRect()->setRangeZoom(Qt::Horizontal);
    setMouseTracking(true);

    plotLayout()->insertRow(0);
    auto *heading = new QCPTextElement(this, title, QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    heading->setTextColor(pal.color(QPalette::WindowText));
    plotLayout()->addElement(0, 0, heading);

    // The legend sits in its own row under the title, so it never covers the curves.
    legend->setVisible(true);
    legend->setFillOrder(QCPLegend::foColumnsFirst);
    legend->setWrap(3);
    legend->setBrush(Qt::NoBrush);
    legend->setBorderPen(Qt::NoPen);
    legend->setTextColor(pal.color(QPalette::WindowText));
    plotLayout()->insertRow(1);
    axisRect()->insetLayout()->take(legend);
    plotLayout()->addElement(1, 0, legend);
    plotLayout()->setRowStretchFactor(1, 0.001);
    plotLayout()->setRowStretchFactor(0, 0.001);

    xAxis->setLabel(tr("step"));
    yAxis->setLabel(leftLabel);
    styleAxis(xAxis, pal);
    styleAxis(yAxis, pal);
    if (!rightLabel.isEmpty()) {
        yAxis2->setVisible(true);
        yAxis2->setLabel(rightLabel);
        styleAxis(yAxis2, pal);
        yAxis2->grid()->setVisible(false);
    }
    // Only the user's own gestures keep the view from following the data: a wheel turn or a drag.
    // (A range the panel sets while the pointer happens to rest on this plot is not one.)
    connect(this, &QCustomPlot::mouseWheel, this, [this] { m_userZoomed = true; });
    connect(this, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) {
        if (event->buttons() & Qt::LeftButton)
            m_userZoomed = true;
    });
}

int LivePlot::addSeries(const QString &name, const QColor &color, Axis axis, bool overlay, Style style)
{
    auto *graph = addGraph(xAxis, axis == Axis::Left ? yAxis : yAxis2);
    QPen pen(color, overlay ? 1.2 : 1.8);
    if (overlay) {
        auto faint = color;
        faint.setAlpha(140);
        pen.setColor(faint);
        pen.setStyle(Qt::DashLine);
    }
    graph->setPen(pen);
    graph->setName(name);
    if (style == Style::Sparse)
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, pen.color(), pen.color(), 5));
    if (overlay)
        graph->removeFromLegend();
    m_series.push_back({name, graph, {}, {}, overlay, true, style});
    return static_cast<int>(m_series.size()) - 1;
}

void LivePlot::setSeriesDash(int series, Qt::PenStyle dash)
{
    auto *graph = m_series[static_cast<std::size_t>(series)].graph;
    auto pen = graph->pen();
    pen.setStyle(dash);
    graph->setPen(pen);
}

void LivePlot::setMinimumSpan(Axis axis, double span) { m_minimumSpan[axis == Axis::Left ? 0 : 1] = span; }

QCPRange LivePlot::stepRange() const
{
    QCPRange range(0, 0);
    bool any = false;
    for (const auto &s : m_series) {
        if (s.x.isEmpty())
            continue;
        range = any ? QCPRange(std::min(range.lower, s.x.front()), std::max(range.upper, s.x.back()))
                    : QCPRange(s.x.front(), s.x.back());
        any = true;
    }
    return range;
}

void LivePlot::setSharedStepRange(const QCPRange &range)
{
    if (m_userZoomed || range.size() <= 0 || xAxis->range() == range)
        return;
    xAxis->setRange(range);
    replot(QCustomPlot::rpQueuedReplot);
}

bool LivePlot::isEmpty() const
{
    return std::all_of(m_series.begin(), m_series.end(), [](const Series &s) { return s.x.isEmpty(); });
}

void LivePlot::setEmptyText(const QString &text)
{
    if (!m_emptyText) {
        m_emptyText = new QCPItemText(this);
        m_emptyText->position->setType(QCPItemPosition::ptAxisRectRatio);
        m_emptyText->position->setCoords(0.5, 0.5);
        m_emptyText->setColor(palette().color(QPalette::PlaceholderText));
    }
    m_emptyText->setText(text);
    updateEmptyText();
}

void LivePlot::updateEmptyText()
{
    if (m_emptyText)
        m_emptyText->setVisible(isEmpty());
}

void LivePlot::appendPoint(int series, double x, double y)
{
    if (!std::isfinite(y))
        return;
    auto &s = m_series[series];
    s.x.push_back(x);
    s.y.push_back(y);
    s.dirty = true;
}

void LivePlot::setSeriesData(int series, const QVector<double> &x, const QVector<double> &y)
{
    auto &s = m_series[series];
    s.x.clear();
    s.y.clear();
    for (int i = 0; i < x.size() && i < y.size(); ++i)
        if (std::isfinite(y[i])) {
            s.x.push_back(x[i]);
            s.y.push_back(y[i]);
        }
    s.dirty = true;
}

void LivePlot::clearSeries(int series) { setSeriesData(series, {}, {}); }

void LivePlot::removeOverlays()
{
    for (auto it = m_series.begin(); it != m_series.end();) {
        if (it->overlay) {
            removeGraph(it->graph);
            it = m_series.erase(it);
        } else {
            ++it;
        }
    }
    // Drawn without them at once (refresh() replots only for changed data); the user's zoom stays.
    replot(QCustomPlot::rpQueuedReplot);
}

void LivePlot::setSmoothing(double weight)
{
    m_smoothing = std::clamp(weight, 0.0, 0.99);
    for (auto &s : m_series)
        s.dirty = true;
}

void LivePlot::setLogScale(bool on)
{
    for (auto *axis : {yAxis, yAxis2}) {
        axis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (on)
            axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        else
            axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    }
    fit();
}

void LivePlot::fit()
{
    m_userZoomed = false;
    fitAxes();
    replot(QCustomPlot::rpQueuedReplot);
}

QVector<double> LivePlot::smoothed(const QVector<double> &y) const
{
    // TensorBoard's debiased exponential moving average.
    QVector<double> out(y.size());
    double last = 0, debias = 1;
    for (int i = 0; i < y.size(); ++i) {
        last = last * m_smoothing + (1 - m_smoothing) * y[i];
        debias *= m_smoothing;
        out[i] = m_smoothing > 0 ? last / (1 - debias) : y[i];
    }
    return out;
}

void LivePlot::refresh()
{
    bool changed = false;
    for (auto &s : m_series) {
        if (!s.dirty)
            continue;
        s.graph->setData(s.x, s.style == Style::Sparse ? s.y : smoothed(s.y), true);
        // One point draws no line: give it a marker until a second point arrives.
        if (s.style == Style::Dense)
            s.graph->setScatterStyle(s.x.size() == 1 ? QCPScatterStyle(QCPScatterStyle::ssDisc, 6)
                                                     : QCPScatterStyle(QCPScatterStyle::ssNone));
        s.dirty = false;
        changed = true;
    }
    if (!changed)
        return;
    updateEmptyText();
    if (!m_userZoomed)
        fitAxes();
    replot(QCustomPlot::rpQueuedReplot);
}

void LivePlot::fitAxes()
{
    if (isEmpty()) { // no data: neutral axes, not the previous run's ranges
        xAxis->setRange(0, 1);
        yAxis->setRange(0, 1);
        yAxis2->setRange(0, 1);
        return;
    }
    rescaleAxes(true);
    // A constant series (the skipped share under the alternate gate) would otherwise get an axis
    // spanning its last-digit rounding noise.
    for (int a = 0; a < 2; ++a) {
        auto *axis = a == 0 ? yAxis : yAxis2;
        if (axis->scaleType() != QCPAxis::stLinear)
            continue;
        const auto range = axis->range();
        const double magnitude = std::max({std::abs(range.lower), std::abs(range.upper), 1e-12});
        const double span = std::max({range.size(), m_minimumSpan[a], 1e-5 * magnitude});
        if (range.size() < span) {
            const double pad = range.size() < 1e-5 * magnitude && m_minimumSpan[a] <= 0
                                   ? std::max(0.05 * magnitude, 1e-9)
                                   : span / 2;
            axis->setRange(range.center() - pad, range.center() + pad);
        }
    }
}

QString LivePlot::csv() const
{
    // One row per step; a series without a point at that step leaves its cell empty.
    std::map<double, std::vector<QString>> rows;
    for (std::size_t i = 0; i < m_series.size(); ++i)
        for (int p = 0; p < m_series[i].x.size(); ++p) {
            auto &row = rows[m_series[i].x[p]];
            row.resize(m_series.size());
            row[i] = QString::number(m_series[i].y[p], 'g', 9);
        }
    QString text = QStringLiteral("step");
    for (const auto &s : m_series)
        text += QLatin1Char(',') + QString(s.name).replace(QLatin1Char(','), QLatin1Char(';'));
    text += QLatin1Char('\n');
    for (const auto &[step, cells] : rows) {
        text += QString::number(step, 'g', 12);
        for (std::size_t i = 0; i < m_series.size(); ++i)
            text += QLatin1Char(',') + (i < cells.size() ? cells[i] : QString());
        text += QLatin1Char('\n');
    }
    return text;
}

bool LivePlot::exportCsv(const QString &file) const
{
    try {
        core::writeFileAtomically(file.toStdString(), csv().toStdString());
        return true;
    } catch (const std::exception &) {
        return false;
    }
}

bool LivePlot::exportImage(const QString &file)
{
    if (file.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive))
        return savePdf(file);
    return savePng(file, 0, 0, 2.0);
}

void LivePlot::exportWithDialog(const QString &filter, bool data)
{
    const auto file = QFileDialog::getSaveFileName(this, tr("Export %1").arg(m_title), m_title.toLower(), filter);
    if (file.isEmpty())
        return;
    const bool ok = data ? exportCsv(file) : exportImage(file);
    if (!ok)
        QToolTip::showText(QCursor::pos(), tr("Could not write %1").arg(file), this);
}

void LivePlot::mouseMoveEvent(QMouseEvent *event)
{
    QCustomPlot::mouseMoveEvent(event);
    if (!axisRect()->rect().contains(event->pos())) {
        QToolTip::hideText();
        return;
    }
    const double x = xAxis->pixelToCoord(event->position().x());
    QString text;
    double shownStep = std::nan("");
    for (const auto &s : m_series) {
        if (s.x.isEmpty())
            continue;
        const auto it = std::lower_bound(s.x.begin(), s.x.end(), x);
        auto index = static_cast<int>(it - s.x.begin());
        if (index == s.x.size() || (index > 0 && x - s.x[index - 1] < s.x[index] - x))
            --index;
        if (!std::isfinite(shownStep))
            shownStep = s.x[index];
        text += QStringLiteral("\n%1: %2").arg(s.name, number(s.y[index])); // raw, as recorded
    }
    if (!text.isEmpty())
        QToolTip::showText(event->globalPosition().toPoint(), tr("step %1").arg(shownStep) + text, this);
}

void LivePlot::mouseDoubleClickEvent(QMouseEvent *event)
{
    QCustomPlot::mouseDoubleClickEvent(event);
    fit();
}

void LivePlot::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    menu.addAction(tr("Fit"), this, &LivePlot::fit);
    menu.addSeparator();
    menu.addAction(tr("Export as PNG..."), this, [this] { exportWithDialog(tr("PNG image (*.png)"), false); });
    menu.addAction(tr("Export as PDF..."), this, [this] { exportWithDialog(tr("PDF document (*.pdf)"), false); });
    menu.addAction(tr("Export data as CSV..."), this, [this] { exportWithDialog(tr("CSV (*.csv)"), true); });
    menu.exec(event->globalPos());
}

} // namespace upstep::ui
