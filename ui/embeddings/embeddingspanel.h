#pragma once
// The Embeddings tab: the same images before and after adaptation in one aligned 2-D space.
// A tool row chooses the method (PCA or t-SNE), the number of images, the layout (base | adapted
// side by side with linked zoom, or one overlay with displacement arrows) and the colouring (by
// label, by cluster, by displacement). The maps are computed by core in a BackgroundTask with
// progress and cancel; hovering a point shows its thumbnail and path, clicking shows its
// neighbours in both feature spaces, a lasso fills an image grid, and the most-moved list picks
// images. The view exports as PNG, the points as CSV.
//
// Before any run the tab maps the base model alone; with a run folder as the source, "Refresh"
// maps the run's newest checkpoint, also while the run continues.
//
// Threading: GUI thread only; the computation runs on the task's thread and comes back queued.

#include "embeddings/embeddingsource.h"
#include "upstep/eval/embedjob.h"

#include <QFrame>
#include <QPointer>
#include <QWidget>

class QComboBox;

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace upstep::ui {

class BackgroundTask;
class EmbeddingInspector;
class CheckpointChoice;
class EmbeddingScatter;
class ImageTrial;
class ThumbnailCache;

class EmbeddingsPanel : public QWidget {
    Q_OBJECT
public:
    enum class Layout { SideBySide, Overlay };
    enum class Colouring { Label, Cluster, Displacement };

    explicit EmbeddingsPanel(QWidget *parent = nullptr);
    ~EmbeddingsPanel() override;

    void setSource(const EmbeddingSource &source);
    EmbeddingSource source() const { return m_source; }
    void setMethod(core::EmbedMethod method);
    void setMaxImages(int images);         ///< 0: every image
    /// A map of more than twice this many images first shows a seeded sample of this many (within
    /// seconds), then refines to all of them in the same background task. 0: no preview.
    void setPreviewImages(int images) { m_previewImages = images; }
    /// With a run folder as the source: map its checkpoint at step (-1: the newest). The choice
    /// lists the checkpoints the run keeps; it is hidden for other sources.
    void setCheckpointStep(std::int64_t step);
    CheckpointChoice *checkpointChoice() const { return m_checkpoint; }

    void compute();
    void cancel();
    /// Compares an image file with the map: its nearest map images before and after adaptation,
    /// shown in the inspector (the models load in the background). tried() when done.
    void tryImage(const QString &path);
    bool isComputing() const;
    void showMap(const core::EmbeddingMap &map);
    const core::EmbeddingMap &map() const { return m_map; }

    void setLayoutMode(Layout layout);
    void setColouring(Colouring colouring);
    void pick(int index);                       ///< -1 clears
    void select(const QVector<int> &indices);
    QVector<int> selection() const { return m_selection; }
    /// Selects the images matching a query (mapquery.h: label:, cluster:, moved>, moved<, path text).
    void find(const QString &query);
    /// Writes the selected images' paths, one per line, atomically.
    bool saveSelectionList(const QString &file, QString *error = nullptr) const;
    static constexpr int kArrowMostMoved = 200;
    enum class ArrowMode { All, MostMoved, Selection }; ///< in the order of the Arrows choice
    void setArrowMode(ArrowMode mode);
    int pickedIndex() const { return m_picked; }

    /// Writes the visible view (maps, legend and quality line) as PNG, atomically.
    bool exportPng(const QString &file, QString *error = nullptr);
    /// Writes the points as core's CSV (path,label,cluster,base_x,...), atomically.
    bool exportCsv(const QString &file, QString *error = nullptr);

    EmbeddingScatter *baseView() const { return m_baseView; }
    EmbeddingScatter *adaptedView() const { return m_adaptedView; }
    EmbeddingScatter *overlayView() const { return m_overlayView; }
    EmbeddingInspector *inspector() const { return m_inspector; }
    QWidget *hoverCard() const { return m_hoverCard; }
    QString hoverText() const; ///< the card's file name and path, empty when hidden
    QString statusText() const; ///< the status line under the tool row
    bool statusIsError() const { return m_statusIsError; }
    bool canCompute() const; ///< the compute button is enabled

signals:
    void computed();
    void computeFailed(const QString &message);
    void previewShown(int images); ///< a sample's map is up while the full map is computed
    void hoveredImage(int index); ///< -1 when no point is under the cursor
    void picked(int index);
    void selectionChanged(const QVector<int> &indices);
    void tried(bool ok);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override; ///< an image file: "Try an image"
    void dropEvent(QDropEvent *event) override;

private:
    QWidget *buildToolRow();
    void updateComputeButton();
    void recolour();
    void updateLegend();
    void showHover(int index, const QPoint &globalPosition);
    void exportWithDialog(bool png);
    void setStatus(const QString &text, bool error = false);
    QString idleHint() const; ///< what to do before a map exists
    void updateArrows();
    void showTried(const QString &path, const core::EmbeddingMap::ImageQuery &query);
    void markNeighbours(); ///< the inspector's neighbour lists, marked on the maps

    ThumbnailCache *m_thumbnails;
    EmbeddingSource m_source;
    core::EmbeddingMap m_map;
    QPointer<BackgroundTask> m_task;
    int m_previewImages = 2000;
    bool m_showingPreview = false; ///< the map shown is a running computation's sample
    ImageTrial *m_trial;
    int m_picked = -1, m_hovered = -1;
    int m_mapGeneration = 0;   ///< counts showMap() calls: a late "Try an image" result for an older map is dropped
    int m_triedGeneration = 0; ///< the map generation the running trial compares with

    QComboBox *m_method, *m_layout, *m_colouring;
    CheckpointChoice *m_checkpoint;
    QSpinBox *m_maxImages;
    QPushButton *m_compute, *m_cancel, *m_tryImage, *m_exportPng, *m_exportCsv, *m_saveList;
    QLineEdit *m_find;
    QComboBox *m_arrows;
    QVector<int> m_selection;
    QProgressBar *m_progress;
    QLabel *m_status, *m_legend, *m_quality;
    bool m_statusIsError = false;
    QFrame *m_hoverCard;
    QLabel *m_hoverImage, *m_hoverText;
    QStackedWidget *m_views;
    QWidget *m_viewArea;
    EmbeddingScatter *m_baseView, *m_adaptedView, *m_overlayView;
    EmbeddingInspector *m_inspector;
};

} // namespace upstep::ui
