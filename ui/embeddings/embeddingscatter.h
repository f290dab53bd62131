#pragma once
// A 2-D scatter of an embedding map for up to a million points. Points are drawn into a
// cached image (direct pixel writes, so 20k points cost about a millisecond) that is rebuilt
// only when the data, colours or view change; hover and selection marks are painted over it.
// While the user zooms or pans a large map, the image holds an even subset of the points
// (kMovingPoints), and every point again once the view rests (kSettleMs).
// Hit tests use a uniform grid over the data, so hovering stays cheap at any size.
//
// Mouse: wheel zooms at the cursor, drag pans, double-click fits, click picks a point, and
// Shift+drag draws a lasso whose points are reported as a selection. Two scatters link their
// zoom by connecting viewChanged to setView.
//
// Threading: GUI thread only.

#include <QImage>
#include <QPolygonF>
#include <QRectF>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include <vector>

namespace upstep::ui {

class EmbeddingScatter : public QWidget {
    Q_OBJECT
public:
    static constexpr qsizetype kMaxArrows = 50'000; ///< arrows drawn at most (an even stride past it)
    /// Points drawn while the view moves (a zoom, a pan, the linked map's view; an even stride
    /// past it); all of them again kSettleMs after it last moved, and always in renderToImage().
    /// At a million points a full repaint takes 30-45 ms.
    static constexpr int kMovingPoints = 200'000;
    static constexpr int kSettleMs = 150;
    bool isShowingEveryPoint() const { return !m_moving; }
    explicit EmbeddingScatter(QWidget *parent = nullptr);

    void setTitle(const QString &title);
    /// positions: x0, y0, x1, y1, ...; colours: one per point. Fits the view to the points.
    void setPoints(std::vector<float> positions, std::vector<QRgb> colours);
    void setColours(std::vector<QRgb> colours);
    /// Origins of displacement arrows (same layout as positions); empty: no arrows. Arrows are
    /// drawn from each origin to its point, with the origins as faint dots.
    void setArrowOrigins(std::vector<float> origins);
    /// Draws only these images' arrows; empty: every image's ({-1}: none).
    void setArrowSubset(QVector<int> indices);
    /// Arrows drawn: every image's when no subset is set; indices outside the map draw nothing.
    int arrowCount() const;
    /// The picked point (ringed) and its neighbours (small squares); -1 and empty: none.
    void setMarks(int current, QVector<int> neighbours);
    /// The selected points (small circles), drawn whatever is picked, so a selection stays
    /// visible while single images are looked at.
    void setSelection(QVector<int> selected);
    const QVector<int> &neighbourMarks() const { return m_marked; }
    const QVector<int> &selectionMarks() const { return m_selected; }
    /// The image hovered in another view, ringed here too so it can be found in both maps; -1: none.
    void setEcho(int index);
    int echo() const { return m_echo; }
    void clear();

    int pointCount() const { return static_cast<int>(m_positions.size() / 2); }
    QRectF view() const { return m_view; } ///< the requested view (shared by linked maps)
    /// The view as drawn: the requested one widened to the plot area's aspect ratio, so a data
    /// unit spans as many pixels across as up.
    QRectF shownView() const;
    static QRectF equalAspect(const QRectF &view, const QRect &area);
    void setView(const QRectF &view); ///< does not emit viewChanged
    void fitView();
    /// The point nearest to a widget position within radius pixels, or -1.
    int pointAt(const QPointF &position, double radius = 6) const;
    QPointF widgetPosition(int index) const;
    /// Indices of the points inside a polygon given in widget coordinates.
    QVector<int> pointsInside(const QPolygonF &polygon) const;
    /// The view as an image (points, arrows, marks and title), for export.
    QImage renderToImage();

signals:
    void hovered(int index, const QPoint &globalPosition); ///< -1 when the cursor leaves all points
    void clicked(int index);
    void selected(const QVector<int> &indices); ///< after a lasso
    void viewChanged(const QRectF &view);       ///< after a zoom, pan or fit by the user

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    bool event(QEvent *event) override;

private:
    QPointF toWidget(float x, float y) const;
    QPointF toData(const QPointF &widget) const;
    void rebuildGrid();
    void renderLayer();
    void userChangedView(const QRectF &view);
    void setHover(int index, const QPoint &globalPosition);

    QString m_title;
    std::vector<float> m_positions, m_origins;
    QVector<int> m_arrowSubset;
    std::vector<QRgb> m_colours;
    QRectF m_bounds, m_view;
    int m_current = -1, m_hover = -1, m_echo = -1;
    QVector<int> m_marked;   ///< neighbours of the picked (or tried) image
    QVector<int> m_selected; ///< the selection

    // Hit-test grid over m_bounds: m_gridStart[c]..m_gridStart[c+1] index m_gridPoints.
    int m_gridSide = 1;
    std::vector<int> m_gridStart, m_gridPoints;

    QImage m_layer;
    bool m_layerDirty = true;
    bool m_moving = false; ///< the user moved the view within kSettleMs: draw a subset
    QTimer m_settle;

    enum class Drag { None, Pan, Lasso } m_drag = Drag::None;
    QPointF m_pressPosition;
    QRectF m_pressView;
    bool m_moved = false;
    QPolygonF m_lasso;
};

} // namespace upstep::ui
