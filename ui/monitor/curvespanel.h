#pragma once
// The Curves tab: loss, forgetting, throughput and cluster usage of the current run, live, with
// one smoothing control and log-scale toggle for all plots, and overlays of an earlier run.
// Records are stored as they arrive; the plots redraw at most every 40 ms from one single-shot
// timer, never once per point.
//
// Threading: GUI thread only.

#include "monitor/liveplot.h"
#include "tasks/coretypes.h"
#include "upstep/run/metricsrecord.h"

#include <QWidget>

#include <vector>

class QTimer;

namespace upstep::ui {

class CurvesPanel : public QWidget {
    Q_OBJECT
public:
    explicit CurvesPanel(QWidget *parent = nullptr);

    void clear();
    void addRecord(const core::MetricsRecord &record);
    /// Draws an earlier run's curves dashed behind the current ones; empty records remove them.
    void setOverlay(const QString &label, const std::vector<core::MetricsRecord> &records);

    const std::vector<LivePlot *> &plots() const { return m_plots; }
    int recordCount() const { return static_cast<int>(m_records.size()); }
    int redrawCount() const { return m_redraws; } ///< for tests of the coalescing

    void setSmoothing(double weight);
    void setLogScale(bool on);
    void fitAll();

private:
    struct Monitor;
    static const std::vector<Monitor> &monitors();
    void scheduleRedraw();
    void redraw();

    std::vector<LivePlot *> m_plots;
    std::vector<int> m_seriesOfMonitor; ///< index in its plot, per monitor
    std::vector<core::MetricsRecord> m_records;
    QTimer *m_redrawTimer;
    int m_redraws = 0;
};

} // namespace upstep::ui
