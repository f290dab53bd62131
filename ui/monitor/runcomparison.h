#pragma once
// Earlier runs of the session side by side: a scatter of each evaluated run's target gain (y)
// against its forgetting (x), the trade-off a user tunes, and a picker that overlays one run's
// curves on the live ones.
//
// Threading: GUI thread only.

#include "tasks/coretypes.h"
#include "upstep/run/runrecord.h"

#include <QWidget>

#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;

namespace upstep::ui {

class RunComparison : public QWidget {
    Q_OBJECT
public:
    explicit RunComparison(QWidget *parent = nullptr);

    /// runs: newest first; current: the folder of the run being shown, highlighted.
    void setRuns(std::vector<core::RunRecord> runs, const QString &current);
    int scatterPointCount() const { return m_points; }

signals:
    void overlayRequested(const QString &label, const std::vector<core::MetricsRecord> &metrics);

private:
    std::vector<core::RunRecord> m_runs;
    QComboBox *m_overlay;
    QCustomPlot *m_scatter;
    QLabel *m_note;
    int m_points = 0;
};

} // namespace upstep::ui
