#include "embeddings/embeddingspanel.h"

#include "widgets/choicebox.h"
#include "tasks/backgroundtask.h"
#include "embeddings/embeddinginspector.h"
#include "embeddings/checkpointchoice.h"
#include "embeddings/embeddingscatter.h"
#include "embeddings/imagetrial.h"
#include "embeddings/mapquery.h"
#include "embeddings/progressivemap.h"
#include "upstep/io/imagefolder.h"
#include "widgets/palette.h"
#include "thumbnails/thumbnailcache.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <QLocale>

#include <algorithm>

namespace upstep::ui {

namespace {

QString swatch(const QColor &colour, const QString &text)
{
    return QStringLiteral("<span style='color:%1'>&#9632;</span>&nbsp;%2").arg(colour.name(), text.toHtmlEscaped());
}

} // namespace

EmbeddingsPanel::EmbeddingsPanel(QWidget *parent)
    : QWidget(parent), m_thumbnails(new ThumbnailCache(96, this)), m_method(new QComboBox), m_layout(new QComboBox),
      m_colouring(new QComboBox), m_checkpoint(new CheckpointChoice), m_maxImages(new QSpinBox),
      m_compute(new QPushButton), m_cancel(new QPushButton(tr("Cancel"))),
      m_tryImage(new QPushButton(tr("Try an image…"))), m_exportPng(new QPushButton(tr("Export PNG…"))),
      m_exportCsv(new QPushButton(tr("Export CSV…"))), m_saveList(new QPushButton(tr("Save selection list…"))),
      m_find(new QLineEdit), m_arrows(new QComboBox), m_progress(new QProgressBar), m_status(new QLabel),
      m_legend(new QLabel), m_quality(new QLabel), m_hoverCard(new QFrame(this)), m_hoverImage(new QLabel),
      m_hoverText(new QLabel), m_views(new QStackedWidget), m_viewArea(new QWidget), m_baseView(new EmbeddingScatter),
      m_adaptedView(new EmbeddingScatter), m_overlayView(new EmbeddingScatter),
      m_inspector(new EmbeddingInspector(m_thumbnails))
{
    setAcceptDrops(true);
    m_trial = new ImageTrial(this);
    connect(m_trial, &ImageTrial::found, this, &EmbeddingsPanel::showTried);
    connect(m_trial, &ImageTrial::failed, this, [this](const QString &message) {
        setStatus(message, true);
        emit tried(false);
    });
    connect(m_trial, &ImageTrial::finished, this, &EmbeddingsPanel::updateComputeButton);
    auto *sideBySide = new QSplitter(Qt::Horizontal);
    sideBySide->addWidget(m_baseView);
    sideBySide->addWidget(m_adaptedView);
    m_views->addWidget(sideBySide);
    m_views->addWidget(m_overlayView);
    m_baseView->setTitle(tr("Base model"));
    m_adaptedView->setTitle(tr("Adapted"));
    m_overlayView->setTitle(tr("Overlay: adapted positions, arrows from base"));

    m_legend->setWordWrap(true);
    m_quality->setWordWrap(true);
    m_quality->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *viewLayout = new QVBoxLayout(m_viewArea);
    viewLayout->setContentsMargins(0, 0, 0, 0);
    viewLayout->addWidget(m_views, 1);
    viewLayout->addWidget(m_legend);
    viewLayout->addWidget(m_quality);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_viewArea);
    split->addWidget(m_inspector);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildToolRow());
    layout->addWidget(split, 1);

    // The hover card floats over the maps; it never takes the mouse, so hovering continues below it.
    m_hoverCard->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_hoverCard->setAutoFillBackground(true);
    m_hoverCard->setFrameShape(QFrame::Box);
    m_hoverImage->setFixedSize(m_thumbnails->side(), m_thumbnails->side());
    m_hoverImage->setAlignment(Qt::AlignCenter);
    m_hoverText->setMaximumWidth(360);
    m_hoverText->setWordWrap(true);
    auto *card = new QVBoxLayout(m_hoverCard);
    card->setContentsMargins(4, 4, 4, 4);
    card->addWidget(m_hoverImage, 0, Qt::AlignHCenter);
    card->addWidget(m_hoverText);
    m_hoverCard->hide();

    // Linked zoom: each side follows the other (setView does not re-emit, so no loop).
    connect(m_baseView, &EmbeddingScatter::viewChanged, m_adaptedView, &EmbeddingScatter::setView);
    connect(m_adaptedView, &EmbeddingScatter::viewChanged, m_baseView, &EmbeddingScatter::setView);
    for (auto *view : {m_baseView, m_adaptedView, m_overlayView}) {
        connect(view, &EmbeddingScatter::hovered, this, &EmbeddingsPanel::showHover);
        connect(view, &EmbeddingScatter::clicked, this, &EmbeddingsPanel::pick);
        connect(view, &EmbeddingScatter::selected, this, &EmbeddingsPanel::select);
    }
    connect(m_inspector, &EmbeddingInspector::imageActivated, this, &EmbeddingsPanel::pick);
    connect(m_thumbnails, &ThumbnailCache::ready, this, [this](const QString &path) {
        if (m_hovered >= 0 && path == QString::fromStdString(m_map.path(m_hovered)))
            m_hoverImage->setPixmap(ThumbnailCache::enlarged(m_thumbnails->image(path), m_thumbnails->side()));
    });
    showMap({});
    setStatus(idleHint());
}

QString EmbeddingsPanel::idleHint() const
{
    if (m_source.weights.isEmpty() || m_source.data.isEmpty())
        return tr("Choose a usable backbone and a target folder in the set-up panel, then compute a map.");
    return tr("Press \"%1\" to map the target images: extracting their features takes most of the time, then "
              "PCA takes seconds and t-SNE minutes.")
        .arg(m_compute->text());
}

EmbeddingsPanel::~EmbeddingsPanel() = default;

QWidget *EmbeddingsPanel::buildToolRow()
{
    addChoiceItems<core::EmbedMethod>(m_method, {{core::EmbedMethod::Pca, tr("PCA (exact, fast)")},
                                                 {core::EmbedMethod::Tsne, tr("t-SNE (FFT-accelerated)")},
                                                 {core::EmbedMethod::Umap, tr("UMAP")}});
    m_method->setToolTip(tr("PCA is fitted on the base features and projects both; t-SNE and UMAP make one joint "
                            "map of base and adapted features"));
    m_maxImages->setRange(0, 10'000'000);
    m_maxImages->setSingleStep(1000);
    m_maxImages->setValue(0);
    m_maxImages->setSpecialValueText(tr("all images"));
    m_maxImages->setSuffix(tr(" images"));
    m_maxImages->setToolTip(tr("A seeded subset of the folder; 0 (the default) maps every image. t-SNE and UMAP "
                               "search neighbours approximately past 10,000 images (docs/EMBEDDINGS.md)"));
    m_layout->addItem(tr("Side by side"));
    m_layout->addItem(tr("Overlay with arrows"));
    m_colouring->addItem(tr("Colour by label"));
    m_colouring->addItem(tr("Colour by cluster"));
    m_colouring->addItem(tr("Colour by displacement"));
    m_find->setPlaceholderText(tr("Find: label:sneaker cluster:3 moved>0.5 or part of a file name"));
    m_find->setToolTip(tr("Selects the images that match every word: label:NAME (class folder), cluster:N, "
                          "moved>X or moved<X (displacement), or text in the path. Enter selects; empty clears."));
    m_find->setClearButtonEnabled(true);
    m_arrows->addItem(tr("Arrows: all images"));
    m_arrows->addItem(tr("Arrows: %1 most moved").arg(kArrowMostMoved));
    m_arrows->addItem(tr("Arrows: the selection"));
    m_arrows->setToolTip(tr("Which displacement arrows the overlay draws: every image's, the most moved images', or "
                            "the selected images' (none until something is selected)"));
    m_saveList->setToolTip(tr("Write the selected images' paths, one per line (for scripts and other tools)"));
    m_saveList->setEnabled(false);
    m_cancel->setEnabled(false);
    m_tryImage->setEnabled(false);
    m_tryImage->setToolTip(tr("Pick any image (or drop one on this tab) and see its nearest images in the map before "
                              "and after adaptation, side by side"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    // Wide enough for the longest stage text on one line (the preview's stages carry a prefix).
    m_progress->setFixedWidth(
        m_progress->fontMetrics().horizontalAdvance(QStringLiteral("preview: extracting features 100%")) + 24);
    m_progress->setTextVisible(true);
    // Shown only while a map is computed; its place is kept, so the status beside it stays put.
    auto policy = m_progress->sizePolicy();
    policy.setRetainSizeWhenHidden(true);
    m_progress->setSizePolicy(policy);
    m_progress->hide();

    connect(m_compute, &QPushButton::clicked, this, &EmbeddingsPanel::compute);
    connect(m_cancel, &QPushButton::clicked, this, &EmbeddingsPanel::cancel);
    connect(m_tryImage, &QPushButton::clicked, this, [this] {
        const auto file = QFileDialog::getOpenFileName(
            this, tr("Try an image"), m_source.data,
            tr("Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff *.pgm *.ppm);;All files (*)"));
        if (!file.isEmpty())
            tryImage(file);
    });
    connect(m_layout, &QComboBox::currentIndexChanged, this,
            [this](int i) { setLayoutMode(i == 0 ? Layout::SideBySide : Layout::Overlay); });
    connect(m_colouring, &QComboBox::currentIndexChanged, this, [this](int) { recolour(); });
    connect(m_arrows, &QComboBox::currentIndexChanged, this, [this](int) { updateArrows(); });
    connect(m_find, &QLineEdit::returnPressed, this, [this] { find(m_find->text()); });
    connect(m_saveList, &QPushButton::clicked, this, [this] {
        const auto file = QFileDialog::getSaveFileName(this, tr("Save the selection's paths"),
                                                       QStringLiteral("selection.txt"), tr("Text (*.txt)"));
        QString error;
        if (!file.isEmpty() && !saveSelectionList(file, &error))
            setStatus(error, true);
    });
    connect(m_exportPng, &QPushButton::clicked, this, [this] { exportWithDialog(true); });
    connect(m_exportCsv, &QPushButton::clicked, this, [this] { exportWithDialog(false); });

    // Rows, so the tab never asks for more width than the window's right side has: what to
    // compute (and its progress), the status, then how to show it.
    auto *row = new QWidget;
    auto *rows = new QVBoxLayout(row);
    rows->setContentsMargins(0, 0, 0, 0);
    auto *computeRow = new QHBoxLayout;
    for (QWidget *w :
         std::initializer_list<QWidget *>{m_method, m_maxImages, m_checkpoint, m_compute, m_cancel, m_tryImage})
        computeRow->addWidget(w);
    computeRow->addStretch(1);
    // The status and the progress share a line: the bar's stage text needs room the buttons
    // cannot give without narrowing the set-up panel.
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status, 1);
    statusRow->addWidget(m_progress);
    auto *viewRow = new QHBoxLayout;
    for (QWidget *w : std::initializer_list<QWidget *>{m_layout, m_colouring, m_arrows})
        viewRow->addWidget(w);
    viewRow->addWidget(m_find, 1);
    for (QWidget *w : std::initializer_list<QWidget *>{m_saveList, m_exportPng, m_exportCsv})
        viewRow->addWidget(w);
    rows->addLayout(computeRow);
    rows->addLayout(statusRow); // not beside the buttons: squeezed there it wrapped a word a line
    rows->addLayout(viewRow);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setWordWrap(true);
    updateComputeButton();
    return row;
}

void EmbeddingsPanel::setSource(const EmbeddingSource &source)
{
    m_source = source;
    m_checkpoint->setRun(m_source.adapter);
    updateComputeButton();
    // What to do next, unless a map or a computation is what the line is about; an error about
    // the previous inputs does not outlive them.
    // A map keeps its own backbone, so it stays explorable (and "Try an image" works) when the
    // form's backbone becomes unusable; the line says that rather than an older message.
    if (isComputing())
        return;
    const QString unusable = tr("This map stays explorable (it keeps the backbone it was computed with); choose a "
                                "usable backbone and target folder in the set-up panel to compute a new one.");
    const bool usable = !m_source.weights.isEmpty() && !m_source.data.isEmpty();
    // That note is about the inputs too: it goes once they are usable again.
    if (m_map.empty() || m_statusIsError || (usable && m_status->text() == unusable))
        setStatus(idleHint());
    else if (!usable)
        setStatus(unusable);
}

void EmbeddingsPanel::setCheckpointStep(std::int64_t step)
{
    m_checkpoint->setRun(m_source.adapter); // the run may have written new ones
    m_checkpoint->setStep(step);
}

void EmbeddingsPanel::setMethod(core::EmbedMethod method) { selectChoice(m_method, method); }

void EmbeddingsPanel::setMaxImages(int images) { m_maxImages->setValue(images); }

void EmbeddingsPanel::updateComputeButton()
{
    const bool ready = !m_source.weights.isEmpty() && !m_source.data.isEmpty();
    m_compute->setText(m_source.adapter.isEmpty() ? tr("Map the base model")
                       : m_map.hasAdapter()       ? tr("Refresh with the current adapter")
                                                  : tr("Map base and adapted"));
    m_compute->setEnabled(ready && !isComputing());
    m_tryImage->setEnabled(!m_map.empty() && !isComputing() && !m_trial->isRunning());
    m_compute->setToolTip(ready ? tr("Images: %1\nAdapter: %2")
                                      .arg(m_source.data, !m_source.adapter.isEmpty() ? m_source.adapter
                                                          : !m_source.noAdapterReason.isEmpty()
                                                              ? m_source.noAdapterReason
                                                              : tr("none yet (base model alone)"))
                                : tr("Choose a backbone and a target folder first"));
}

QString EmbeddingsPanel::statusText() const { return m_status->text(); }

bool EmbeddingsPanel::canCompute() const { return m_compute->isEnabled(); }

bool EmbeddingsPanel::isComputing() const { return m_task && m_task->isRunning(); }

void EmbeddingsPanel::compute()
{
    if (m_source.weights.isEmpty() || m_source.data.isEmpty() || isComputing())
        return;
    core::EmbedJob job;
    job.weights = m_source.weights.toStdString();
    job.arch = m_source.arch.toStdString();
    job.adapter = m_source.adapter.toStdString();
    job.data = m_source.data.toStdString();
    job.method = selectedChoice<core::EmbedMethod>(m_method);
    job.maxImages = m_maxImages->value();
    job.checkpointStep = m_checkpoint->step();
    // The worker hands the preview over through this box; the GUI thread takes it on the next
    // progress report (the full computation goes on reporting after it).
    auto handover = std::make_shared<PreviewHandover>();
    auto *task = new BackgroundTask(
        tr("Computing the embedding map"),
        [job, preview = m_previewImages, handover](const core::ProgressSink &progress, core::StopFlag stop) {
            return QVariant::fromValue(computeProgressiveMap(job, preview, *handover, progress, stop));
        },
        this);
    m_task = task;
    m_showingPreview = false;
    connect(task, &BackgroundTask::progressed, this, [this, handover](const core::Progress &p) {
        if (auto preview = handover->take()) {
            showMap(preview->map);
            m_showingPreview = true;
            setStatus(tr("Preview: a seeded %1 of %2 images. Mapping all of them in the background: %3. "
                         "Cancel keeps the preview.")
                          .arg(QLocale().toString(static_cast<qlonglong>(preview->map.size())),
                               QLocale().toString(static_cast<qlonglong>(preview->total)),
                               QString::fromStdString(preview->estimate)));
            emit previewShown(static_cast<int>(preview->map.size()));
        }
        m_progress->setRange(0, p.total > 0 ? 1000 : 0);
        if (p.total > 0)
            m_progress->setValue(static_cast<int>(1000 * p.done / p.total));
        m_progress->setFormat(QString::fromStdString(p.stage) + (p.total > 0 ? QStringLiteral(" %p%") : QString()));
    });
    connect(task, &BackgroundTask::succeeded, this, [this](const QVariant &result) {
        m_showingPreview = false;
        showMap(result.value<core::EmbeddingMap>());
        if (!m_find->text().trimmed().isEmpty())
            find(m_find->text()); // the query still shown selects on the new map too
        emit computed();
    });
    connect(task, &BackgroundTask::failed, this, [this, task](const TaskError &error) {
        const QString kept = m_showingPreview ? tr("the preview of %1 images stays").arg(m_map.size())
                                              : tr("the previous map stays");
        m_showingPreview = false;
        const QString message = task->isCancelled() ? tr("Cancelled; %1.").arg(kept)
                                                    : tr("%1 (%2)").arg(error.message, kept);
        setStatus(message, !task->isCancelled());
        if (!task->isCancelled())
            emit computeFailed(message);
    });
    connect(task, &BackgroundTask::finished, this, [this, task] {
        task->deleteLater();
        m_cancel->setEnabled(false);
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_progress->setFormat(QString());
        m_progress->hide();
        updateComputeButton();
    });
    m_progress->show();
    m_cancel->setEnabled(true);
    setStatus(tr("Computing %1 map…").arg(m_method->currentText()));
    task->start();
    updateComputeButton();
}

void EmbeddingsPanel::cancel()
{
    if (m_task)
        m_task->cancel();
}

void EmbeddingsPanel::showMap(const core::EmbeddingMap &map)
{
    m_map = map;
    m_picked = m_hovered = -1;
    m_hoverCard->hide();
    m_baseView->setPoints(m_map.basePositions(), {});
    m_adaptedView->setPoints(m_map.hasAdapter() ? m_map.adaptedPositions() : std::vector<float>{}, {});
    m_overlayView->setPoints(m_map.adaptedPositions(), {});
    m_overlayView->setArrowOrigins(m_map.hasAdapter() ? m_map.basePositions() : std::vector<float>{});
    m_selection.clear();
    m_saveList->setEnabled(false);
    updateArrows();
    m_adaptedView->setVisible(m_map.hasAdapter() || m_map.empty());
    m_adaptedView->setView(m_baseView->view()); // one scale for both halves from the start
    m_inspector->setMap(&m_map);
    m_colouring->setItemData(1, m_map.clusterCount() > 0 ? QVariant() : QVariant(0), Qt::UserRole - 1);
    m_colouring->setItemData(2, m_map.hasAdapter() ? QVariant() : QVariant(0), Qt::UserRole - 1);
    if ((m_colouring->currentIndex() == 1 && m_map.clusterCount() == 0) ||
        (m_colouring->currentIndex() == 2 && !m_map.hasAdapter()))
        m_colouring->setCurrentIndex(0);
    m_layout->setEnabled(m_map.hasAdapter());
    if (!m_map.hasAdapter())
        setLayoutMode(Layout::SideBySide);
    m_exportPng->setEnabled(!m_map.empty());
    ++m_mapGeneration;
    m_tryImage->setEnabled(!m_map.empty() && !m_trial->isRunning());
    m_exportCsv->setEnabled(!m_map.empty());
    recolour();

    if (m_map.empty()) {
        m_quality->clear();
    } else {
        const int k = m_map.qualityNeighbours();
        QString quality = tr("%1 images · trustworthiness@%2: base %3").arg(m_map.size()).arg(k).arg(m_map.baseTrustworthiness(), 0, 'f', 3);
        if (m_map.hasAdapter())
            quality += tr(", adapted %1").arg(m_map.adaptedTrustworthiness(), 0, 'f', 3);
        if (m_map.qualityRows() < m_map.size())
            quality += tr(" (on a sample of %1)").arg(m_map.qualityRows());
        if (m_map.approximateNeighbours())
            quality += tr(" · neighbour recall %1").arg(m_map.neighbourRecall(), 0, 'f', 3);
        if (m_map.baseLabelAgreement() >= 0) {
            quality += tr(" · kNN label agreement in the map: base %1").arg(m_map.baseLabelAgreement(), 0, 'f', 3);
            if (m_map.hasAdapter())
                quality += tr(", adapted %1").arg(m_map.adaptedLabelAgreement(), 0, 'f', 3);
        }
        if (m_map.clusterCount() > 0) {
            const auto sizes = m_map.clusterSizes();
            quality += tr(" · %1 of %2 clusters hold images, largest %3")
                           .arg(std::count_if(sizes.begin(), sizes.end(), [](auto s) { return s > 0; }))
                           .arg(m_map.clusterCount())
                           .arg(*std::max_element(sizes.begin(), sizes.end()));
        }
        m_quality->setText(quality);
        setStatus(tr("Features %1 s, map %2 s%3")
                      .arg(m_map.featureSeconds(), 0, 'f', 1)
                      .arg(m_map.projectionSeconds(), 0, 'f', 1)
                      .arg(m_map.adapterStep() >= 0 ? tr("; adapter: %1, its checkpoint at step %2")
                                                          .arg(QFileInfo(m_source.adapter).fileName())
                                                          .arg(m_map.adapterStep())
                           : m_map.hasAdapter() ? tr("; adapter: %1").arg(QFileInfo(m_source.adapter).fileName())
                           : m_source.noAdapterReason.isEmpty()
                               ? tr("; base model alone (no adapter yet)")
                               : tr("; base model alone: %1").arg(m_source.noAdapterReason)));
    }
    m_baseView->setTitle(m_map.empty() || m_map.hasAdapter() ? tr("Base model") : tr("Base model alone"));
    updateComputeButton();
}

void EmbeddingsPanel::setLayoutMode(Layout layout)
{
    m_views->setCurrentIndex(layout == Layout::SideBySide ? 0 : 1);
    const QSignalBlocker block(m_layout);
    m_layout->setCurrentIndex(layout == Layout::SideBySide ? 0 : 1);
}

void EmbeddingsPanel::setColouring(Colouring colouring) { m_colouring->setCurrentIndex(static_cast<int>(colouring)); }

void EmbeddingsPanel::recolour()
{
    const auto n = static_cast<std::size_t>(m_map.size());
    std::vector<QRgb> colours(n, palette::kAdapted.rgb());
    const auto colouring = static_cast<Colouring>(m_colouring->currentIndex());
    if (colouring == Colouring::Displacement && n > 0) {
        // Scaled to the 99th percentile, so one far outlier does not turn every other point dark.
        auto sorted = m_map.displacement();
        std::sort(sorted.begin(), sorted.end());
        const float top = std::max(sorted[static_cast<std::size_t>(0.99 * static_cast<double>(n - 1))], 1e-12f);
        for (std::size_t i = 0; i < n; ++i)
            colours[i] = palette::sequential(m_map.displacement()[i] / top).rgb();
    } else if (colouring == Colouring::Cluster && !m_map.clusters().empty()) {
        for (std::size_t i = 0; i < n; ++i)
            colours[i] = palette::categorical(m_map.clusters()[i]).rgb();
    } else if (!m_map.classNames().empty()) {
        for (std::size_t i = 0; i < n; ++i)
            colours[i] = palette::categorical(m_map.labels()[i]).rgb();
    }
    m_baseView->setColours(colours);
    m_adaptedView->setColours(colours);
    m_overlayView->setColours(colours);
    updateLegend();
}

void EmbeddingsPanel::updateLegend()
{
    const auto colouring = static_cast<Colouring>(m_colouring->currentIndex());
    QStringList items;
    if (m_map.empty()) {
    } else if (colouring == Colouring::Displacement) {
        items << swatch(palette::sequential(0), tr("unmoved")) << swatch(palette::sequential(0.5), tr("median"))
              << swatch(palette::sequential(1), tr("most moved (99th percentile and above)"));
    } else if (colouring == Colouring::Cluster) {
        items << tr("%1 clusters of the run's prototypes; colours repeat every 20, hover names the cluster")
                     .arg(m_map.clusterCount());
    } else if (m_map.classNames().empty()) {
        items << tr("No labels: the folder has no class sub-folders");
    } else {
        for (std::size_t c = 0; c < m_map.classNames().size(); ++c)
            items << swatch(palette::categorical(static_cast<int>(c)), QString::fromStdString(m_map.classNames()[c]));
    }
    m_legend->setText(items.join(QStringLiteral("&nbsp;&nbsp; ")));
}

void EmbeddingsPanel::setArrowMode(ArrowMode mode) { m_arrows->setCurrentIndex(static_cast<int>(mode)); }

void EmbeddingsPanel::updateArrows()
{
    // Each choice does what it says: every image, the most moved, or the selection (none drawn
    // while nothing is selected, and the status says so).
    switch (static_cast<ArrowMode>(m_arrows->currentIndex())) {
    case ArrowMode::All: m_overlayView->setArrowSubset({}); break;
    case ArrowMode::MostMoved: m_overlayView->setArrowSubset(arrowImages(m_map, {}, kArrowMostMoved)); break;
    case ArrowMode::Selection:
        m_overlayView->setArrowSubset(m_selection.isEmpty() ? QVector<int>{-1} : m_selection);
        break;
    }
}

QString EmbeddingsPanel::hoverText() const { return m_hoverCard->isVisible() ? m_hoverText->text() : QString(); }

void EmbeddingsPanel::setStatus(const QString &text, bool error)
{
    m_statusIsError = error;
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: %1").arg(palette::kBad.name()) : QString());
}

} // namespace upstep::ui
