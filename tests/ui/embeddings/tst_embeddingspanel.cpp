// The Embeddings tab, offscreen, on 120 real Fashion-MNIST images with a tiny ViT: the base model
// alone before a run; a real (short) run's newest checkpoint as the adapter, with clusters; hover,
// click (neighbours in both feature spaces), lasso selection, the most-moved list, linked zoom,
// cancel, PNG and CSV export, and a non-blank screenshot. A 20k-point scatter answers hit tests
// exactly (its draw and hit-test times are printed, not asserted: the machine is shared).
#include "upstep/common/hardware.h"
#include "embeddings/embeddinginspector.h"
#include "embeddings/mapquery.h"
#include "embeddings/selectionhistogram.h"
#include "embeddings/embeddingscatter.h"
#include "embeddings/checkpointchoice.h"
#include "embeddings/embeddingspanel.h"
#include "embeddings/thumbnaillist.h"
#include "tasks/trainingsession.h"
#include "thumbnails/thumbnailcache.h"

#include "fixtures.h"

#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QSet>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QComboBox>
#include <QtTest>

#include <filesystem>

#include <random>

using namespace upstep;
namespace fs = std::filesystem;

class TestEmbeddingsPanel : public QObject {
    Q_OBJECT

    fs::path root() const { return m_dir.path().toStdString(); }
    QString path(const char *name) const { return QString::fromStdString((root() / name).string()); }

    ui::EmbeddingSource source(const QString &adapter = {}) const
    {
        return {path("tiny.safetensors"), {}, path("images"), adapter, {}};
    }

    /// Computes through the panel's own background task, as the button does.
    static bool computeAndWait(ui::EmbeddingsPanel &panel)
    {
        QSignalSpy done(&panel, &ui::EmbeddingsPanel::computed);
        QSignalSpy failed(&panel, &ui::EmbeddingsPanel::computeFailed);
        panel.compute();
        return QTest::qWaitFor([&] { return !done.isEmpty() || !failed.isEmpty(); }, 120000) && !done.isEmpty();
    }

    /// A plain mouse move with no button held, delivered to the view as the window system would.
    static void hover(ui::EmbeddingScatter *view, const QPointF &at)
    {
        QMouseEvent move(QEvent::MouseMove, at, view->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(view, &move);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        ui::registerCoreTypes();
        core::setComputeThreads(2);
        test::writeTinyVit(root() / "tiny.safetensors");
        test::importFashionSubset(root() / "images", "t10k", 120);
        test::importFashionSubset(root() / "target", "train", 96);

        // A real run through the workbench's session, checkpointing every 3 steps.
        ui::TrainingJob job;
        job.config = test::tinyTrainConfig(root(), 6);
        job.config.checkpointEvery = 3;
        job.runDir = path("run");
        ui::TrainingSession session;
        QSignalSpy finished(&session, &ui::TrainingSession::finished);
        QVERIFY(session.start(job));
        QVERIFY(finished.wait(120000));
    }

    void baseModelAloneBeforeARun()
    {
        ui::EmbeddingsPanel panel;
        panel.resize(1200, 700);
        panel.show();
        panel.setSource(source());
        QVERIFY(computeAndWait(panel));
        QCOMPARE(panel.map().size(), 120);
        QVERIFY(!panel.map().hasAdapter());
        QVERIFY(!panel.adaptedView()->isVisible()); // nothing to compare with yet
        // The tab fits beside the set-up panel on a 1280 px screen.
        QVERIFY2(panel.minimumSizeHint().width() <= 900, qPrintable(QString::number(panel.minimumSizeHint().width())));
        QCOMPARE(panel.baseView()->pointCount(), 120);
        QVERIFY(panel.map().clusters().empty());
    }

    void runCheckpointHoverClickLassoAndExports()
    {
        ui::EmbeddingsPanel panel;
        panel.resize(1400, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.setSource(source(path("run")));
        QVERIFY(computeAndWait(panel));
        const auto &map = panel.map();
        QVERIFY(map.hasAdapter());
        QCOMPARE(map.adapterStep(), 6); // the run's newest checkpoint
        QVERIFY(map.clusterCount() > 0);
        QVERIFY(panel.adaptedView()->isVisible());
        QCOMPARE(panel.adaptedView()->pointCount(), 120);

        // Hover: the point under the cursor, its thumbnail card with the path.
        auto *base = panel.baseView();
        QSignalSpy hovered(&panel, &ui::EmbeddingsPanel::hoveredImage);
        const int target = 17;
        const QPointF at = base->widgetPosition(target);
        hover(base, at);
        QVERIFY(!hovered.isEmpty());
        const int under = hovered.last().at(0).toInt();
        QVERIFY(under >= 0);
        QVERIFY(QLineF(base->widgetPosition(under), at).length() < 1.0); // target or one drawn on top of it
        QVERIFY(panel.hoverCard()->isVisible());
        QCOMPARE(panel.adaptedView()->echo(), under); // the same image is ringed in the other map
        QVERIFY(panel.hoverText().contains(QString::fromStdString(map.path(under))));
        hover(base, QPointF(2, 2)); // the margin: no point
        QCOMPARE(hovered.last().at(0).toInt(), -1);
        QVERIFY(!panel.hoverCard()->isVisible());
        QCOMPARE(panel.adaptedView()->echo(), -1);

        // Click: neighbours in base and adapted feature space, nearest first, as core computes them.
        QSignalSpy picked(&panel, &ui::EmbeddingsPanel::picked);
        QTest::mouseClick(base, Qt::LeftButton, {}, base->widgetPosition(under).toPoint());
        QCOMPARE(picked.size(), 1);
        QCOMPARE(picked.last().at(0).toInt(), under);
        for (const bool adaptedSpace : {false, true}) {
            const auto expected = map.neighbours(under, ui::EmbeddingInspector::kNeighbours, adaptedSpace);
            const auto shown = adaptedSpace ? panel.inspector()->adaptedNeighbours() : panel.inspector()->baseNeighbours();
            QCOMPARE(shown.size(), static_cast<qsizetype>(expected.size()));
            for (std::size_t i = 0; i < expected.size(); ++i)
                QCOMPARE(shown[static_cast<qsizetype>(i)], static_cast<int>(expected[i].index));
        }

        // "Try an image": a file outside the map, its nearest map images in both spaces, as core finds them.
        std::string outside;
        for (const auto &entry : std::filesystem::recursive_directory_iterator(root() / "target"))
            if (entry.is_regular_file()) {
                outside = entry.path().string();
                break;
            }
        QSignalSpy tried(&panel, &ui::EmbeddingsPanel::tried);
        panel.tryImage(QString::fromStdString(outside));
        QVERIFY(tried.wait(60000));
        QVERIFY(tried.last().at(0).toBool());
        QCOMPARE(panel.inspector()->triedPath(), QString::fromStdString(outside));
        // Its long status line must not squeeze the maps (it once wrapped a word a line beside the
        // buttons, at the width the window's right side has).
        panel.resize(1000, 700);
        QTRY_VERIFY(panel.baseView()->height() > 300);
        panel.resize(1400, 800);
        const auto query = map.neighboursOfImage(outside, ui::EmbeddingInspector::kNeighbours);
        QCOMPARE(panel.inspector()->baseNeighbours().size(), static_cast<qsizetype>(query.base.size()));
        QCOMPARE(panel.inspector()->baseNeighbours().front(), static_cast<int>(query.base.front().index));
        QCOMPARE(panel.inspector()->adaptedNeighbours().front(), static_cast<int>(query.adapted.front().index));
        panel.tryImage(path("tiny.safetensors")); // not an image: said in the status, nothing else changes
        QTRY_COMPARE_WITH_TIMEOUT(tried.size(), 2, 60000);
        QVERIFY(!tried.last().at(0).toBool());
        QCOMPARE(panel.inspector()->triedPath(), QString::fromStdString(outside));

        // Lasso (Shift+drag) around the middle of the adapted map: exactly the points inside.
        auto *adapted = panel.adaptedView();
        // Whole-pixel corners, as mouse events carry them.
        const QRectF box(QRect(adapted->width() * 3 / 10, adapted->height() * 3 / 10, adapted->width() * 4 / 10,
                               adapted->height() * 4 / 10));
        QSet<int> inside;
        for (int i = 0; i < adapted->pointCount(); ++i)
            if (box.contains(adapted->widgetPosition(i)))
                inside.insert(i);
        QVERIFY(!inside.isEmpty());
        QSignalSpy selection(&panel, &ui::EmbeddingsPanel::selectionChanged);
        QTest::mousePress(adapted, Qt::LeftButton, Qt::ShiftModifier, box.topLeft().toPoint());
        for (const QPointF &corner : {box.topRight(), box.bottomRight(), box.bottomLeft()})
            QTest::mouseMove(adapted, corner.toPoint());
        QTest::mouseRelease(adapted, Qt::LeftButton, Qt::ShiftModifier, box.bottomLeft().toPoint());
        QCOMPARE(selection.size(), 1);
        const auto chosen = selection.last().at(0).value<QVector<int>>();
        QCOMPARE(QSet<int>(chosen.begin(), chosen.end()), inside);
        QCOMPARE(panel.inspector()->selectionPaths().size(), inside.size());

        // The most-moved list picks its image when clicked.
        auto *mostMoved = panel.inspector()->findChild<ui::ThumbnailList *>(QStringLiteral("mostMoved"));
        QVERIFY(mostMoved);
        QCOMPARE(mostMoved->count(), ui::EmbeddingInspector::kMostMoved);
        emit mostMoved->itemClicked(mostMoved->item(0));
        QCOMPARE(picked.last().at(0).toInt(), static_cast<int>(map.mostMoved(1).front()));

        // Linked zoom: a wheel turn on one side zooms the other the same way.
        const QRectF before = adapted->view();
        QWheelEvent wheel(QPointF(200, 200), base->mapToGlobal(QPointF(200, 200)), {}, QPoint(0, 240), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(base, &wheel);
        QVERIFY(base->view().width() < before.width());
        QCOMPARE(adapted->view(), base->view());

        // Overlay with arrows, colour by cluster and by displacement; a non-blank screenshot.
        panel.setLayoutMode(ui::EmbeddingsPanel::Layout::Overlay);
        panel.setColouring(ui::EmbeddingsPanel::Colouring::Displacement);
        panel.setColouring(ui::EmbeddingsPanel::Colouring::Cluster);
        QTest::qWait(50);
        const QImage shot = panel.grab().toImage();
        QSet<QRgb> colours;
        for (int y = 0; y < shot.height(); y += 3)
            for (int x = 0; x < shot.width(); x += 3)
                colours.insert(shot.pixel(x, y));
        QVERIFY2(colours.size() > 30, qPrintable(QString::number(colours.size())));
        shot.save(path("embeddings-tab.png"));

        // Exports: a PNG of the view and the points as CSV (header and one row per image).
        QString error;
        QVERIFY2(panel.exportPng(path("view.png"), &error), qPrintable(error));
        QVERIFY(!QImage(path("view.png")).isNull());
        QVERIFY2(panel.exportCsv(path("points.csv"), &error), qPrintable(error));
        QFile csv(path("points.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const auto rows = csv.readAll().trimmed().split('\n');
        QCOMPARE(rows.size(), 121);
        QCOMPARE(rows.front(), QByteArray("path,label,cluster,base_x,base_y,adapted_x,adapted_y,displacement"));
        QVERIFY(!panel.exportCsv(path("no-such-folder/points.csv"), &error)); // a clear error, no crash
        QVERIFY(!error.isEmpty());

        // Find by label, cluster and displacement: exactly the images core's map says match.
        const auto firstClass = QString::fromStdString(map.classNames().front());
        panel.find(QStringLiteral("label:%1").arg(firstClass));
        QVector<int> expected;
        for (int i = 0; i < static_cast<int>(map.size()); ++i)
            if (map.labels()[static_cast<std::size_t>(i)] == 0)
                expected.push_back(i);
        QCOMPARE(panel.selection(), expected);
        const int cluster = map.clusters()[0];
        const float median = [&map] {
            auto d = map.displacement();
            std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
            return d[d.size() / 2];
        }();
        const double limit = median - 1e-6; // at least half the images moved more
        panel.find(QStringLiteral("moved>%1 cluster:%2").arg(limit, 0, 'g', 17).arg(cluster));
        for (const int i : panel.selection()) {
            QCOMPARE(map.clusters()[static_cast<std::size_t>(i)], cluster);
            QVERIFY(map.displacement()[static_cast<std::size_t>(i)] > limit);
        }
        panel.find(QStringLiteral("moved>%1").arg(limit, 0, 'g', 17));
        QVERIFY(panel.selection().size() >= static_cast<int>(map.size()) / 2);
        panel.find(QStringLiteral("cluster:%1").arg(cluster));
        QVERIFY(panel.selection().contains(0)); // image 0 is in its own cluster
        const auto kept = panel.selection();
        QSignalSpy changed(&panel, &ui::EmbeddingsPanel::selectionChanged);
        panel.find(QStringLiteral("cluster:x")); // refused with a message, the selection kept
        QCOMPARE(changed.count(), 0);
        QCOMPARE(panel.selection(), kept);

        // The selection's histogram is in the status line, its arrows alone on the overlay, and its
        // paths can be saved as a list.
        panel.find(QStringLiteral("label:%1").arg(firstClass));
        const auto *histogram = panel.inspector()->histogram();
        QCOMPARE(histogram->labelRows(), static_cast<int>(map.classNames().size())); // every class, even at 0
        QVERIFY(histogram->clusterRows() >= 1);
        QCOMPARE(histogram->clusterRows() + histogram->hiddenClusters(),
                 static_cast<int>(ui::clusterCounts(map, expected).size()));
        // The first label row (under its heading) holds the whole selection; the second none of it.
        const auto rowAt = [&](int row) { return histogram->rowText(row); };
        QVERIFY2(rowAt(1).contains(QStringLiteral(": %1 of the %1 selected (100.0 %)").arg(expected.size())),
                 qPrintable(rowAt(1)));
        QVERIFY2(rowAt(2).contains(QStringLiteral(": 0 of the %1 selected").arg(expected.size())),
                 qPrintable(rowAt(2)));
        QVERIFY(rowAt(0).isEmpty());                      // the heading
        QCOMPARE(panel.overlayView()->arrowCount(), 120); // "all images" means all
        // Picking or trying an image marks its neighbours beside the selection, which stays drawn
        // while the Selection tab still lists it.
        QCOMPARE(panel.baseView()->selectionMarks(), expected);
        panel.tryImage(QString::fromStdString(outside));
        QTRY_COMPARE_WITH_TIMEOUT(tried.size(), 3, 60000);
        QVERIFY(tried.last().at(0).toBool());
        QCOMPARE(panel.baseView()->selectionMarks(), expected);
        QCOMPARE(panel.baseView()->neighbourMarks(), panel.inspector()->baseNeighbours());
        QCOMPARE(panel.adaptedView()->neighbourMarks(), panel.inspector()->adaptedNeighbours());
        QVERIFY(!panel.baseView()->neighbourMarks().isEmpty());
        panel.setArrowMode(ui::EmbeddingsPanel::ArrowMode::Selection);
        QCOMPARE(panel.overlayView()->arrowCount(), static_cast<int>(expected.size()));
        QVERIFY2(panel.saveSelectionList(path("selection.txt"), &error), qPrintable(error));
        QFile list(path("selection.txt"));
        QVERIFY(list.open(QIODevice::ReadOnly));
        const auto lines = list.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), expected.size());
        QCOMPARE(QString::fromUtf8(lines.front()),
                 QString::fromStdString(map.path(expected.front())));
        panel.select({});
        QCOMPARE(panel.overlayView()->arrowCount(), 0); // the selection's: none
        panel.setArrowMode(ui::EmbeddingsPanel::ArrowMode::MostMoved);
        QCOMPARE(panel.overlayView()->arrowCount(), std::min(120, ui::EmbeddingsPanel::kArrowMostMoved));
        panel.setArrowMode(ui::EmbeddingsPanel::ArrowMode::All);
        QCOMPARE(panel.overlayView()->arrowCount(), 120);

        // The run keeps its checkpoints at steps 3 and 6: either can be mapped, and the map says which.
        QVERIFY(panel.isAncestorOf(panel.checkpointChoice())); // in the tool row, not a window of its own
        QVERIFY(panel.checkpointChoice()->isVisibleTo(&panel));
        QCOMPARE(panel.checkpointChoice()->count(), 3); // newest, step 6, step 3
        QCOMPARE(panel.checkpointChoice()->itemText(0), QStringLiteral("newest (step 6)"));
        panel.find(QStringLiteral("label:%1").arg(firstClass));
        panel.setCheckpointStep(3);
        QVERIFY(computeAndWait(panel));
        QCOMPARE(panel.map().adapterStep(), 3);
        QCOMPARE(panel.selection(), expected); // the query still in the Find box selects on the new map
        panel.setCheckpointStep(-1);
        QVERIFY(computeAndWait(panel));
        QCOMPARE(panel.map().adapterStep(), 6);
    }

    void aSampleMapComesFirstThenEveryImage()
    {
        // 120 images with a 40-image preview: the sample's map is shown while the full one is
        // computed, then replaced by the map of every image.
        ui::EmbeddingsPanel panel;
        panel.setSource(source());
        panel.setPreviewImages(40);
        QSignalSpy previews(&panel, &ui::EmbeddingsPanel::previewShown);
        QSignalSpy done(&panel, &ui::EmbeddingsPanel::computed);
        // What the panel shows at the moment the preview is announced.
        std::int64_t shownSize = -1;
        bool stillComputing = false;
        QString status;
        connect(&panel, &ui::EmbeddingsPanel::previewShown, this, [&] {
            shownSize = panel.map().size();
            stillComputing = panel.isComputing() && done.isEmpty();
            status = panel.statusText();
        });
        QVERIFY(computeAndWait(panel));
        QCOMPARE(previews.size(), 1);
        QCOMPARE(previews.front().front().toInt(), 40);
        QCOMPARE(shownSize, std::int64_t{40});
        QVERIFY(stillComputing); // the preview arrived while the full map was still being made
        QVERIFY2(status.startsWith(QStringLiteral("Preview: a seeded 40 of 120 images")), qPrintable(status));
        // with what mapping all of them will cost, the feature time measured on the preview
        QVERIFY2(status.contains(QStringLiteral("features ")) && status.contains(QStringLiteral("GB of memory")),
                 qPrintable(status));
        QCOMPARE(panel.map().size(), 120);
        QCOMPARE(previews.size(), 1);

        // No preview for a folder of at most twice the preview size.
        panel.setPreviewImages(60);
        QVERIFY(computeAndWait(panel));
        QCOMPARE(previews.size(), 1);
        QCOMPARE(panel.map().size(), 120);
    }

    void cancelKeepsThePreviousMap()
    {
        ui::EmbeddingsPanel panel;
        panel.setSource(source());
        QVERIFY(computeAndWait(panel));
        QSignalSpy done(&panel, &ui::EmbeddingsPanel::computed);
        panel.setMethod(core::EmbedMethod::Tsne);
        auto *progress = panel.findChild<QProgressBar *>();
        QVERIFY(progress && !progress->isVisibleTo(&panel)); // no empty box beside a map
        panel.compute();
        QVERIFY(panel.isComputing());
        QVERIFY(progress->isVisibleTo(&panel));
        panel.cancel();
        QVERIFY(QTest::qWaitFor([&] { return !panel.isComputing(); }, 60000));
        // The task's end reaches the panel queued, after it stopped running: wait for it, so the
        // "Cancelled" status it sets cannot land after the checks below.
        QTRY_VERIFY(!progress->isVisibleTo(&panel));
        QVERIFY(done.isEmpty());
        QCOMPARE(panel.map().size(), 120);
        // The form's backbone becomes unusable: the map stays, and the line says what that means
        // instead of keeping a message about the map or a tried image.
        panel.setSource({{}, {}, path("images"), {}, {}});
        QCOMPARE(panel.map().size(), 120);
        QVERIFY(!panel.canCompute());
        QVERIFY2(panel.statusText().contains(QStringLiteral("usable backbone")), qPrintable(panel.statusText()));
        // Usable again: that note goes, and the line says what to press.
        panel.setSource(source());
        QVERIFY2(panel.statusText().startsWith(QStringLiteral("Press")), qPrintable(panel.statusText()));
        QCOMPARE(panel.map().size(), 120);
    }

    void badSourceIsAClearError()
    {
        ui::EmbeddingsPanel panel;
        panel.setSource({path("tiny.safetensors"), {}, path("no-such-folder"), {}, {}});
        QSignalSpy failed(&panel, &ui::EmbeddingsPanel::computeFailed);
        panel.compute();
        QVERIFY(failed.wait(30000));
        QVERIFY(failed.last().at(0).toString().contains("no-such-folder"));
        QVERIFY(panel.map().empty());
        QVERIFY(panel.statusIsError());
        // Usable inputs again: the old error goes, and the line says what to press.
        panel.setSource({path("tiny.safetensors"), {}, path("images"), {}, {}});
        QVERIFY(!panel.statusIsError());
        QVERIFY2(panel.statusText().contains(QStringLiteral("Map the base model")), qPrintable(panel.statusText()));
        QVERIFY(panel.canCompute());
        panel.setSource({{}, {}, path("images"), {}, {}}); // the window's way of saying "no usable backbone"
        QVERIFY(!panel.canCompute());
        QVERIFY(panel.statusText().contains(QStringLiteral("usable backbone")));
    }

    void twentyThousandPointsHitTestExactly()
    {
        std::mt19937 rng(5);
        std::normal_distribution<float> normal;
        const int n = 20000;
        std::vector<float> positions(2 * n);
        for (auto &v : positions)
            v = normal(rng) * 10;
        ui::EmbeddingScatter scatter;
        scatter.resize(900, 700);
        scatter.setPoints(positions, std::vector<QRgb>(n, 0xff1e88e5));
        scatter.setArrowOrigins(std::vector<float>(positions.rbegin(), positions.rend()));
        QElapsedTimer timer;
        timer.start();
        const QImage image = scatter.renderToImage();
        const double drawMs = timer.nsecsElapsed() / 1e6;
        QVERIFY(!image.isNull());
        timer.restart();
        int exact = 0;
        for (int i = 0; i < n; i += 97) {
            const int hit = scatter.pointAt(scatter.widgetPosition(i), 6);
            QVERIFY(hit >= 0);
            exact += QLineF(scatter.widgetPosition(hit), scatter.widgetPosition(i)).length() < 1e-9 ? 1 : 0;
        }
        const double hitUs = timer.nsecsElapsed() / 1e3 / (n / 97 + 1);
        QCOMPARE(exact, n / 97 + 1);
        qInfo("20k points with arrows: draw %.1f ms, hit test %.1f us (not asserted)", drawMs, hitUs);
    }

    void largeMapsDrawASubsetOnlyWhileTheViewMoves()
    {
        // 400,000 points: past kMovingPoints, so a moving view draws every second point, and
        // every point again once the view has rested; an export never draws a subset.
        const int n = 400000;
        std::vector<float> positions(2 * n);
        for (int i = 0; i < n; ++i) {
            positions[2 * i] = static_cast<float>(i % 1000);
            positions[2 * i + 1] = static_cast<float>(i / 1000);
        }
        ui::EmbeddingScatter scatter;
        scatter.resize(900, 700);
        scatter.setPoints(positions, std::vector<QRgb>(n, 0xff1e88e5));
        QVERIFY(scatter.isShowingEveryPoint());
        const auto view = scatter.view();
        scatter.setView(view.adjusted(10, 10, -10, -10));
        QVERIFY(!scatter.isShowingEveryPoint());
        QTRY_VERIFY_WITH_TIMEOUT(scatter.isShowingEveryPoint(), 5000); // the view rested
        scatter.setView(view);
        QVERIFY(!scatter.isShowingEveryPoint());
        const QImage exported = scatter.renderToImage();
        QVERIFY(scatter.isShowingEveryPoint());
        // The export has every point: zoomed so that points are apart, count the blue pixels of
        // one row of points against the same row drawn as a moving view would draw it.
        QVERIFY(!exported.isNull());
        scatter.setView(QRectF(0, 0, 40, 30));
        const QImage moving = scatter.grab().toImage();
        const QImage still = scatter.renderToImage();
        const auto blue = [](const QImage &image) {
            qsizetype count = 0;
            for (int y = 0; y < image.height(); ++y)
                for (int x = 0; x < image.width(); ++x)
                    count += image.pixel(x, y) == 0xff1e88e5;
            return count;
        };
        QVERIFY2(blue(still) > blue(moving) * 3 / 2,
                 qPrintable(QString("%1 vs %2").arg(blue(still)).arg(blue(moving))));
    }

    // Neighbour lists filled before their thumbnails are decoded (a tried image's neighbours)
    // must still lay out whole items: icon and distance, not a clipped strip.
    void listsFilledBeforeTheirThumbnailsLayOutWholeItems()
    {
        ui::ThumbnailCache cache;
        ui::ThumbnailList list(&cache, true);
        list.resize(300, 200);
        list.show();
        QVERIFY(QTest::qWaitForWindowExposed(&list));
        QList<ui::ThumbnailList::Entry> entries;
        for (const auto &file : fs::recursive_directory_iterator(root() / "images"))
            if (file.is_regular_file() && entries.size() < 6)
                entries.push_back({static_cast<int>(entries.size()), QString::fromStdString(file.path().string()),
                                   QStringLiteral("0.%1").arg(entries.size())});
        list.setEntries(entries);
        QCOMPARE(list.count(), 6);
        const int whole = list.iconSize().height() + list.fontMetrics().height();
        for (int row = 0; row < list.count(); ++row)
            QVERIFY2(list.visualItemRect(list.item(row)).height() >= whole,
                     qPrintable(QStringLiteral("row %1: %2 px, needs %3")
                                    .arg(row)
                                    .arg(list.visualItemRect(list.item(row)).height())
                                    .arg(whole)));
    }

    void mapsKeepAnEqualAspectRatio()
    {
        // A unit square's corners: in a wide panel and in a tall one, one data unit spans the same
        // pixels across as up (the map was stretched to the panel's shape before).
        const std::vector<float> square{0, 0, 1, 0, 0, 1, 1, 1};
        for (const QSize size : {QSize(900, 300), QSize(300, 900)}) {
            ui::EmbeddingScatter scatter;
            scatter.resize(size);
            scatter.setPoints(square, std::vector<QRgb>(4, 0xff1e88e5));
            const auto origin = scatter.widgetPosition(0);
            const double across = QLineF(origin, scatter.widgetPosition(1)).length();
            const double up = QLineF(origin, scatter.widgetPosition(2)).length();
            QVERIFY2(std::abs(across - up) < 0.5, qPrintable(QStringLiteral("%1 vs %2 px").arg(across).arg(up)));
            QVERIFY(across > 50); // and the square still fills the short side
            // Every point stays inside the widget, and the round trip through data space is exact.
            for (int i = 0; i < 4; ++i) {
                QVERIFY(scatter.rect().contains(scatter.widgetPosition(i).toPoint()));
                QCOMPARE(scatter.pointAt(scatter.widgetPosition(i), 1), i);
            }
        }
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestEmbeddingsPanel)
#include "tst_embeddingspanel.moc"
