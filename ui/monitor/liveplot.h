#pragma once
// A QCustomPlot for live training curves: several named series on a left and a right axis,
// TensorBoard-style exponential smoothing, log scale, hover read-out, wheel zoom and drag pan,
// double-click to fit, and a context menu to export the plot (PNG, PDF) and its data (CSV).
// Overlays are the same series of an earlier run, drawn dashed and fainter.
//
// Honest drawing: a sparse series (measured every N steps) is drawn raw with a marker per
// measurement, never smoothed (an average of few points bottoms out above the real values); any
// series with a single point gets a marker (a line of one point is invisible); an axis can have a
// minimum span (0.35 accuracy points must not fill the plot's height); an empty plot says so.
//
// Points are appended cheaply; nothing is redrawn until refresh(), which the owner calls from
// one coalescing timer, and which uses QCustomPlot's queued replot.
//
// Threading: GUI thread only.

#include <QColor>
#include <QString>
#include <QVector>
#include <qcustomplot.h>

namespace upstep::ui {

class LivePlot : public QCustomPlot {
    Q_OBJECT
public:
    enum class Axis { Left, Right };

    LivePlot(const QString &title, const QString &leftLabel, const QString &rightLabel, QWidget *parent = nullptr);

    enum class Style { Dense, Sparse };

    /// Adds a series and returns its index. Overlays are drawn dashed, without a legend entry of
    /// their own. Sparse series are drawn raw with markers.
    int addSeries(const QString &name, const QColor &color, Axis axis = Axis::Left, bool overlay = false,
                  Style style = Style::Dense);
    void setSeriesDash(int series, Qt::PenStyle dash);
    /// The smallest span an automatic fit gives this axis (0: none).
    void setMinimumSpan(Axis axis, double span);
    /// The steps the data covers (an empty range when there is none).
    QCPRange stepRange() const;
    /// Shows these steps unless the user zoomed or panned: all plots of a panel share one range.
    void setSharedStepRange(const QCPRange &range);
    void setEmptyText(const QString &text);
    bool isEmpty() const;
    void appendPoint(int series, double x, double y); ///< NaN y is skipped
    void setSeriesData(int series, const QVector<double> &x, const QVector<double> &y);
    void clearSeries(int series);
    void removeOverlays();
    int seriesCount() const { return static_cast<int>(m_series.size()); }
    QString seriesName(int series) const { return m_series[series].name; }
    const QVector<double> &seriesY(int series) const { return m_series[series].y; }

    void setSmoothing(double weight); ///< 0 (raw) to 0.99
    void setLogScale(bool on);
    void fit();
    /// Pushes changed data to the graphs and queues one replot.
    void refresh();

    bool exportImage(const QString &file); ///< .png or .pdf by suffix
    bool exportCsv(const QString &file) const;
    QString csv() const;

protected:
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    struct Series {
        QString name;
        QCPGraph *graph = nullptr;
        QVector<double> x, y;
        bool overlay = false;
        bool dirty = false;
        Style style = Style::Dense;
    };
    QVector<double> smoothed(const QVector<double> &y) const;
    void fitAxes(); ///< rescale to the data, widening degenerate value ranges
    void exportWithDialog(const QString &filter, bool data);

    std::vector<Series> m_series;
    void updateEmptyText();

    double m_smoothing = 0.6;
    double m_minimumSpan[2] = {0, 0};
    QCPItemText *m_emptyText = nullptr;
    bool m_userZoomed = false;
    QString m_title;
};

} // namespace upstep::ui
