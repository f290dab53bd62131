#pragma once
// A QCustomPlot for live training curves: several named series on a left and a right axis,
// TensorBoard-style exponential smoothing, log scale, hover read-out, wheel zoom and drag pan,
// double-click to fit, and a context menu to export the plot (PNG, PDF) and its data (CSV).
// Overlays are the same series of an earlier run, drawn dashed and fainter.
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

    /// Adds a series and returns its index. Overlays are drawn dashed, without a legend entry of their own.
    int addSeries(const QString &name, const QColor &color, Axis axis = Axis::Left, bool overlay = false);
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
    };
    QVector<double> smoothed(const QVector<double> &y) const;
    void fitAxes(); ///< rescale to the data, widening degenerate value ranges
    void exportWithDialog(const QString &filter, bool data);

    std::vector<Series> m_series;
    double m_smoothing = 0.6;
    bool m_userZoomed = false;
    QString m_title;
};

} // namespace upstep::ui
