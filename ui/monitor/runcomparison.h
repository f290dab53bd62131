#pragma once
// The runs of the session side by side, as experiment trackers show them: a table (name and notes
// editable, status, key settings, target gain, forgetting, linear gain, total training time, and
// how each run's settings differ from the form) and under it a scatter of each evaluated run's
// gain against its forgetting, the trade-off a user tunes.
//   - selecting rows overlays their curves on the Curves tab, each run with its own dash pattern,
//     which the table's first column shows (the legend);
//   - double-clicking a row, "Show", or clicking its scatter point shows that run: its curves,
//     result card and export;
//   - "Copy settings" puts a run's settings into the form for the next run.
// Names and notes live in RUN/notes.json (RunNotes).
//
// Threading: GUI thread only.

#include "monitor/curvespanel.h"
#include "tasks/coretypes.h"
#include "upstep/run/runrecord.h"

#include <QWidget>

#include <vector>

class QCPGraph;
class QCustomPlot;
class QLabel;
class QPushButton;
class QTableWidget;

namespace upstep::ui {

class RunComparison : public QWidget {
    Q_OBJECT
public:
    /// The figures people compare come first, so they show without scrolling at 1360 px.
    enum Column { kName, kStatus, kGain, kForgetting, kLinearGain, kTime, kSettings, kDiffers, kNotes, kColumnCount };

    explicit RunComparison(QWidget *parent = nullptr);

    /// runs: newest first; current: the folder of the run shown in the curves, marked.
    void setRuns(std::vector<core::RunRecord> runs, const QString &current);
    /// Marks another run as the one shown in the curves.
    void setCurrent(const QString &current);
    /// The run this window is training now (empty: none); its status reads "running" (or
    /// "paused"), since its folder has no summary until it ends.
    void setActiveRun(const QString &dir, bool paused = false);
    /// Run folders another process is writing now (core::runFolderInUse); their status reads
    /// "in use elsewhere". Takes effect at the next setRuns(). The lock probe cannot tell this
    /// window's own lock from another process's, so the active run (setActiveRun) never counts,
    /// neither while it runs nor after it ends.
    void setRunsInUse(const QStringList &dirs);
    bool isInUse(const QString &dir) const { return m_inUse.contains(dir); }
    /// The form's settings, which the "Differs" column compares each run with.
    void setFormConfig(const core::TrainConfig &config);
    int runCount() const { return static_cast<int>(m_runs.size()); }
    const core::RunRecord &run(int row) const { return m_runs[static_cast<std::size_t>(row)]; }
    const std::vector<core::RunRecord> &runs() const { return m_runs; } ///< newest first
    int scatterPointCount() const { return m_points; }
    QTableWidget *table() const { return m_table; }
    QCustomPlot *scatter() const { return m_scatter; }
    /// Shows the run in that row (as a double-click does).
    void showRun(int row);
    /// The row of the run drawn at that scatter point (graph 0 holds one point per evaluated run).
    int rowOfScatterPoint(int dataIndex) const;
    /// Names the point under the pointer (pixels in the scatter), or hides the tip.
    void showPointTip(const QPoint &at);

signals:
    void overlaysRequested(const std::vector<upstep::ui::CurveOverlay> &overlays);
    void runShown(const upstep::core::RunRecord &run);
    void copySettingsRequested(const upstep::core::TrainConfig &config);
    /// Export the run in that row: shown first, then exported as any shown run is.
    void exportRequested(const upstep::core::RunRecord &run, bool merged);

private:
    struct ScatterPoint {
        double x, y; ///< forgetting and gain, in points
        int row;
    };
    void fillTable();
    void drawScatter();
    void addPointLabels(const std::vector<ScatterPoint> &points);
    void emitOverlays();
    void updateButtons(); ///< Show, Copy settings and Export need exactly one selected run
    /// Graph 0's index of the point that another scatter graph (the ring, the frontier) draws at
    /// its dataIndex; -1 when there is none.
    int pointIndexAt(QCPGraph *graph, int dataIndex) const;
    /// Per row: on the gain-versus-forgetting frontier of the evaluated runs (core::paretoFront).
    std::vector<bool> frontierRows() const;
    void saveNotes(int row);
    QString differences(const core::TrainConfig &run) const;

    std::vector<core::RunRecord> m_runs;
    QString m_current;
    QString m_active;
    QStringList m_inUse;
    bool m_activePaused = false;
    core::TrainConfig m_form;
    QTableWidget *m_table;
    QPushButton *m_show;
    QPushButton *m_copy;
    QPushButton *m_export;
    QCustomPlot *m_scatter;
    QLabel *m_note;
    std::vector<int> m_rowOfPoint; ///< scatter point -> table row
    QRect m_labelledArea; ///< the plot area the scatter's labels were placed in
    int m_points = 0;
    bool m_filling = false; ///< itemChanged during fillTable is not an edit
};

} // namespace upstep::ui
