#include "monitor/curvespanel.h"

#include "widgets/palette.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace upstep::ui {

namespace {

enum PlotIndex { kLossPlot, kForgettingPlot, kThroughputPlot, kClusterPlot, kPlotCount };

} // namespace

struct CurvesPanel::Monitor {
    int plot;
    const char *name;
    QColor color;
    LivePlot::Axis axis;
    double (*value)(const core::MetricsRecord &);
    LivePlot::Style style = LivePlot::Style::Dense;
};

const std::vector<CurvesPanel::Monitor> &CurvesPanel::monitors()
{
    using R = core::MetricsRecord;
    using A = LivePlot::Axis;
    static const std::vector<Monitor> table{
        {kLossPlot, "total", palette::kTotal, A::Left, [](const R &r) { return r.loss; }},
        {kLossPlot, "cluster", palette::kCluster, A::Left, [](const R &r) { return r.clusterLoss; }},
        {kLossPlot, "CVR", palette::kAnchor, A::Right, [](const R &r) { return r.cvrLoss; }},
        {kForgettingPlot, "feature drift", palette::kDrift, A::Left, [](const R &r) { return r.featureDrift; }},
        {kForgettingPlot, "center drift", palette::kCenter, A::Left, [](const R &r) { return r.centerDrift; }},
        // Measured every source_probe_every steps: raw, with a marker per measurement.
        {kForgettingPlot, "source top-1 %", palette::kSource, A::Right,
         [](const R &r) { return 100 * r.sourceProbeTop1; }, LivePlot::Style::Sparse},
        // Rates are undefined before the first iteration, so step 0 has no point.
        {kThroughputPlot, "images/s", palette::kAdapted, A::Left,
         [](const R &r) { return r.step > 0 ? r.imagesPerSecond : R::kUnset; }},
        {kThroughputPlot, "skipped back-prop %", palette::kEnsemble, A::Right,
         [](const R &r) { return r.step > 0 ? 100 * r.skippedFraction : R::kUnset; }},
        {kClusterPlot, "entropy", palette::kCluster, A::Left, [](const R &r) { return r.clusterEntropy; }},
        {kClusterPlot, "maximum (log K)", palette::kBase, A::Left, [](const R &r) { return r.maxEntropy; }},
        // The center's norm is near 1 while drifts are near 0: on one axis the drift was flat.
        {kClusterPlot, "center norm", palette::kAnchor, A::Right, [](const R &r) { return r.muNorm; }},
    };
    return table;
}

CurvesPanel::CurvesPanel(QWidget *parent) : QWidget(parent), m_redrawTimer(new QTimer(this))
{
    m_plots = {new LivePlot(tr("Loss"), tr("loss"), tr("CVR term"), this),
               new LivePlot(tr("Forgetting"), tr("drift (1 - cos)"), tr("source top-1 (%)"), this),
               new LivePlot(tr("Throughput"), tr("images / s"), tr("skipped (%)"), this),
               new LivePlot(tr("Cluster usage"), tr("entropy (nats)"), tr("center norm ||mu||"), this)};
    for (const auto &m : monitors())
        m_seriesOfMonitor.push_back(m_plots[m.plot]->addSeries(tr(m.name), m.color, m.axis, false, m.style));
    // Accuracy in points: a fit never spans less than 5, so noise of 0.35 points stays small.
    m_plots[kForgettingPlot]->setMinimumSpan(LivePlot::Axis::Right, 5);
    // Likewise the skipped share (a 49.9-50 % axis made a constant look like a dive) and the
    // entropy (its fifth decimal is noise): a fit spans at least 10 points and 0.1 nats.
    m_plots[kThroughputPlot]->setMinimumSpan(LivePlot::Axis::Right, 10);
    m_plots[kClusterPlot]->setMinimumSpan(LivePlot::Axis::Left, 0.1);
    for (auto *plot : m_plots)
        plot->setEmptyText(tr("Curves appear with a run"));

    auto *controls = new QHBoxLayout;
    auto *smoothingLabel = new QLabel(tr("Smoothing"), this);
    auto *smoothing = new QSlider(Qt::Horizontal, this);
    smoothing->setRange(0, 99);
    smoothing->setValue(60);
    smoothing->setMaximumWidth(160);
    smoothing->setToolTip(tr("Exponential moving average of the curves, as in TensorBoard (0: raw values)"));
    auto *smoothingValue = new QLabel(QStringLiteral("0.60"), this);
    auto *logScale = new QCheckBox(tr("Log scale"), this);
    logScale->setToolTip(tr("Logarithmic value axes"));
    auto *fit = new QPushButton(tr("Fit"), this);
    fit->setToolTip(tr("Show all data (also: double-click a plot). Wheel zooms, drag pans."));
    controls->addWidget(smoothingLabel);
    controls->addWidget(smoothing);
    controls->addWidget(smoothingValue);
    controls->addSpacing(12);
    controls->addWidget(logScale);
    controls->addWidget(fit);
    controls->addStretch();
    connect(smoothing, &QSlider::valueChanged, this, [this, smoothingValue](int v) {
        smoothingValue->setText(QString::number(v / 100.0, 'f', 2));
        setSmoothing(v / 100.0);
    });
    connect(logScale, &QCheckBox::toggled, this, &CurvesPanel::setLogScale);
    connect(fit, &QPushButton::clicked, this, &CurvesPanel::fitAll);

    auto *grid = new QGridLayout;
    for (int i = 0; i < kPlotCount; ++i) {
        m_plots[i]->setMinimumSize(280, 200);
        grid->addWidget(m_plots[i], i / 2, i % 2);
    }
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addLayout(grid, 1);

    m_redrawTimer->setSingleShot(true);
    m_redrawTimer->setInterval(40);
    connect(m_redrawTimer, &QTimer::timeout, this, &CurvesPanel::redraw);
}

void CurvesPanel::clear()
{
    m_records.clear();
    for (std::size_t m = 0; m < monitors().size(); ++m)
        m_plots[monitors()[m].plot]->clearSeries(m_seriesOfMonitor[m]);
    for (auto *plot : m_plots)
        plot->fit(); // another run: follow its data again, whatever the last one was zoomed to
    scheduleRedraw();
}

void CurvesPanel::addRecord(const core::MetricsRecord &record)
{
    m_records.push_back(record);
    for (std::size_t m = 0; m < monitors().size(); ++m) {
        const auto &monitor = monitors()[m];
        m_plots[monitor.plot]->appendPoint(m_seriesOfMonitor[m], static_cast<double>(record.step), monitor.value(record));
    }
    scheduleRedraw();
}

void CurvesPanel::setOverlays(const std::vector<CurveOverlay> &overlays)
{
    for (auto *plot : m_plots)
        plot->removeOverlays();
    m_overlayCount = static_cast<int>(overlays.size());
    for (const auto &overlay : overlays) {
        for (const auto &monitor : monitors()) {
            QVector<double> x, y;
            for (const auto &r : overlay.records) {
                x.push_back(static_cast<double>(r.step));
                y.push_back(monitor.value(r));
            }
            auto *plot = m_plots[monitor.plot];
            const auto series = plot->addSeries(QStringLiteral("%1 (%2)").arg(tr(monitor.name), overlay.label),
                                                monitor.color, monitor.axis, true, monitor.style);
            plot->setSeriesDash(series, overlay.dash);
            plot->setSeriesData(series, x, y);
        }
    }
    scheduleRedraw();
}

void CurvesPanel::setSmoothing(double weight)
{
    for (auto *plot : m_plots)
        plot->setSmoothing(weight);
    scheduleRedraw();
}

void CurvesPanel::setLogScale(bool on)
{
    for (auto *plot : m_plots)
        plot->setLogScale(on);
}

void CurvesPanel::fitAll()
{
    for (auto *plot : m_plots)
        plot->fit();
}

void CurvesPanel::scheduleRedraw()
{
    if (!m_redrawTimer->isActive())
        m_redrawTimer->start();
}

void CurvesPanel::redraw()
{
    ++m_redraws;
    QCPRange steps(0, 0);
    for (auto *plot : m_plots) {
        plot->refresh();
        const auto range = plot->stepRange();
        steps = QCPRange(std::min(steps.lower, range.lower), std::max(steps.upper, range.upper));
    }
    // One step range for all plots: a monitor that starts later (rates, the source probe) lines up.
    for (auto *plot : m_plots)
        plot->setSharedStepRange(steps);
}

} // namespace upstep::ui
