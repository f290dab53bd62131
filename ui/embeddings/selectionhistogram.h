#pragma once
// What a map selection holds, drawn: one bar per label (every class, in folder order) and one
// per cluster the selection touches (the most selected first, at most kMaxClusters), each bar the
// selected count in the label's or cluster's map colour, with a tick at the count a random
// selection of the same size would hold. A bar far past its tick is what the lasso found.
// Hovering a row gives its exact figures.
//
// Threading: GUI thread only.

#include "embeddings/mapquery.h"

#include <QWidget>

namespace upstep::ui {

class SelectionHistogram : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxClusters = 8;

    explicit SelectionHistogram(QWidget *parent = nullptr);

    /// selected and mapSize are the sizes of the selection and of the whole map.
    void setBars(const QVector<CountBar> &labels, const QVector<CountBar> &clusters, int selected, int mapSize);
    void clear() { setBars({}, {}, 0, 0); }

    int labelRows() const { return static_cast<int>(m_labels.size()); }
    int clusterRows() const { return static_cast<int>(m_clusters.size()); }
    int hiddenClusters() const { return m_hiddenClusters; }
    /// The hover text of row (headings count as rows, from 0 at the top); empty for a heading.
    QString rowText(int row) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Row {
        const CountBar *bar = nullptr; ///< null for a section heading
        QString heading;
        bool cluster = false;
    };
    QVector<Row> rows() const;
    int rowHeight() const;
    int rowAt(QPoint at) const; ///< -1 above the first row

    QVector<CountBar> m_labels, m_clusters;
    int m_hiddenClusters = 0;
    int m_selected = 0, m_mapSize = 0;
};

} // namespace upstep::ui
