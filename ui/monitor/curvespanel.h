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

/// An earlier run's curves drawn behind the current ones.
struct CurveOverlay {
    QString label;                    ///< the run's name, in the hover read-out
    Qt::PenStyle dash = Qt::DashLine; ///< tells overlaid runs apart
    std::vector<core::MetricsRecord> records;
};

class CurvesPanel : public QWidget {
    Q_OBJECT
public:
    explicit CurvesPanel(QWidget *parent = nullptr);

    void clear();
    void addRecord(const core::MetricsRecord &record);
    /// Draws earlier runs' curves behind the current ones, each with its dash pattern; an empty
    /// list removes them.
    void setOverlays(const std::vector<CurveOverlay> &overlays);
    int overlayCount() const { return m_overlayCount; }

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
    int m_overlayCount = 0;
};

} // namespace upstep::ui
