// The workbench window offscreen, on a tiny real session (a tiny ViT, Fashion-MNIST images):
// session files round-trip and invalid ones are refused, the folder scan counts bad files, the
// window says once that it is ready to start, the GUI thread stays responsive while a run
// trains, a screenshot during training is not blank, the result card fills in, and both export
// buttons write folders core loads back.
#include "embeddings/embeddingspanel.h"
#include "setup/backbonepanel.h"
#include "upstep/common/hardware.h"
#include "monitor/curvespanel.h"
#include "monitor/liveplot.h"
#include "setup/hyperparameterform.h"
#include "setup/labeledfolderfield.h"
#include "window/mainwindow.h"
#include "models/adapterfile.h"
#include "models/backboneloader.h"
#include "monitor/resultcard.h"
#include "monitor/runcomparison.h"
#include "monitor/runcontrolbar.h"
#include "window/sessionfiles.h"
#include "setup/setuppanel.h"
#include "setup/targetfolderpanel.h"
#include "thumbnails/thumbnailgrid.h"
#include "tasks/trainingsession.h"

#include "fixtures.h"
#include "testdata.h"

#include <QElapsedTimer>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QWheelEvent>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

using namespace upstep;
namespace fs = std::filesystem;

// The longest the GUI thread may wait during a run. Sanitizer builds (scripts/sanitize) run
// 2-3x (ASan) to 5-15x (TSan) slower on every thread, the GUI thread's own work included, so
// their limit is the release limit times five; the release build keeps the 50 ms promise.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr qint64 kStallLimitMs = 250;
#else
constexpr qint64 kStallLimitMs = 50;
#endif

class TestWorkbench : public QObject {
    Q_OBJECT

    fs::path root() const { return m_dir.path().toStdString(); }
    QString path(const std::string &name) const { return QString::fromStdString((root() / name).string()); }

    core::TrainConfig tinySession(std::int64_t steps) const
    {
        auto c = test::tinyTrainConfig(root(), steps);
        c.targetTest = (root() / "test").string();
        c.checkpointEvery = 0;
        c.workers = 1;
        c.seed = 5;
        return c;
    }

    /// The backbone is checked, the folder scanned and the session's runs listed: Start is possible.
    static void waitUntilReady(ui::MainWindow &window)
    {
        QTRY_VERIFY_WITH_TIMEOUT(window.isReady(), 60000);
        QVERIFY(window.controls()->startButton()->isEnabled());
    }

    /// Shows the window at a fixed size with the session loaded, and waits until Start is possible.
    static void openSession(ui::MainWindow &window, const core::TrainConfig &config)
    {
        window.resize(1280, 800);
        window.show();
        window.loadConfig(config);
        waitUntilReady(window);
    }

    /// Distinct colours in a sample of the image: a blank or single-colour grab has very few.
    static int colourCount(const QImage &image)
    {
        std::set<QRgb> colours;
        for (int y = 0; y < image.height(); y += 3)
            for (int x = 0; x < image.width(); x += 3)
                colours.insert(image.pixel(x, y));
        return static_cast<int>(colours.size());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("UpStepTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_workbench"));
        QSettings().clear();
        QSettings().setValue(QStringLiteral("runsFolder"), path("runs"));
        // One torch thread and one loader thread leave the second core to the GUI thread, which is
        // what the responsiveness probe measures (not the machine's scheduling of 2 cores).
        core::setComputeThreads(1);
        test::writeTinyVit(root() / "tiny.safetensors");
        test::importFashionSubset(root() / "target", "train", 96);
        test::importFashionSubset(root() / "test", "t10k", 60);
        // Written a minute ago, as a user's folders are: a scan of a folder changed within the last
        // seconds is never reused (coarse file-system clocks), and the runs below reuse the panel's.
        const auto past = fs::file_time_type::clock::now() - std::chrono::minutes(1);
        for (const auto &entry : fs::recursive_directory_iterator(root() / "target"))
            if (entry.is_directory())
                fs::last_write_time(entry.path(), past);
        fs::last_write_time(root() / "target", past);
    }

    void sessionFileRoundTrip()
    {
        ui::MainWindow window;
        auto config = tinySession(50);
        config.loraRank = 4;
        config.cvrLambda = 3;
        config.gate = core::GatePolicy::None;
        config.offline = core::OfflineStream::Shared;
        config.learningRate = 0.002;
        window.loadConfig(config);
        const auto file = path("session.json");
        QVERIFY(window.saveSessionTo(file));

        const auto loaded = core::loadTrainConfig(file.toStdString()); // the CLI's reader
        QCOMPARE(loaded.loraRank, 4);
        QCOMPARE(loaded.cvrLambda, 3.0);
        QCOMPARE(loaded.gate, core::GatePolicy::None);
        QCOMPARE(loaded.offline, core::OfflineStream::Shared);
        QCOMPARE(loaded.steps, std::int64_t{50});
        QCOMPARE(loaded.learningRate, 0.002);
        QCOMPARE(loaded.prototypes, 32); // a field the form does not show survives
        QCOMPARE(loaded.targetTest, config.targetTest);

        ui::MainWindow reopened;
        QVERIFY(reopened.openSession(file));
        const auto shown = reopened.setup()->config();
        QCOMPARE(nlohmann::json(core::trainConfigToJson(shown)), nlohmann::json(core::trainConfigToJson(loaded)));
        // The session dialogs open where the last session is, not in the working directory.
        QCOMPARE(ui::sessionDialogFolder(), QFileInfo(file).absolutePath());
    }

    void invalidSessionsAreRefused_data()
    {
        // A valid session with one field spoiled, or a file that is not JSON at all.
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("rank 0") << "lora_rank" << "0" << "rank";
        QTest::addRow("unknown key") << "lora_rnak" << "8" << "lora_rnak";
        QTest::addRow("wrong type") << "steps" << R"("many")" << "steps";
        QTest::addRow("bad gate") << "gate" << R"("sometimes")" << "gate";
        QTest::addRow("negative lr") << "learning_rate" << "-1" << "learning";
        QTest::addRow("not json") << QString() << QString() << "session";
    }

    void invalidSessionsAreRefused()
    {
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, mentions);
        ui::MainWindow window;
        window.loadConfig(tinySession(50));
        const auto before = core::trainConfigToJson(window.setup()->config());
        auto json = before;
        std::string content = "{ lora_rank: 8";
        if (!key.isEmpty()) {
            json[key.toStdString()] = nlohmann::json::parse(value.toStdString());
            content = json.dump();
        }
        const auto file = path("bad-session.json");
        test::writeBytes(file.toStdString(), content);
        QSignalSpy errors(&window, &ui::MainWindow::errorShown);
        QVERIFY(!window.openSession(file));
        QCOMPARE(errors.count(), 1);
        QVERIFY2(errors.at(0).at(0).toString().contains(mentions, Qt::CaseInsensitive),
                 qPrintable(errors.at(0).at(0).toString()));
        QCOMPARE(core::trainConfigToJson(window.setup()->config()), before); // nothing changed
    }

    void fieldsRefuseInvalidValues()
    {
        ui::HyperparameterForm form;
        auto *rank = form.findChild<QSpinBox *>(QStringLiteral("loraRank"));
        QVERIFY(rank);
        QCOMPARE(rank->minimum(), 1);
        rank->setValue(0);
        QCOMPARE(rank->value(), 1);
        rank->findChild<QLineEdit *>()->selectAll();
        QTest::keyClicks(rank, QStringLiteral("-5"));
        QTest::keyClick(rank, Qt::Key_Enter);
        QVERIFY(rank->value() >= 1);
        QCOMPARE(form.config().loraRank, rank->value());

        auto config = tinySession(10);
        config.loraRank = 100000; // out of range on load: clamped to the field's limit
        form.setConfig(config);
        QVERIFY(form.config().loraRank <= 256);
        core::validateTrainConfig(form.config()); // what the form produces is always valid

        // An arrow click counts at once (the estimate and the unsaved mark follow it); typing
        // counts when committed; loading a whole config is one change for the caller, not many.
        QSignalSpy changed(&form, &ui::HyperparameterForm::changed);
        rank->stepDown(); // from the maximum the load clamped to
        QCOMPARE(changed.count(), 1);
        rank->findChild<QLineEdit *>()->selectAll();
        QTest::keyClicks(rank, QStringLiteral("12"));
        QCOMPARE(changed.count(), 1);
        QTest::keyClick(rank, Qt::Key_Enter);
        QCOMPARE(changed.count(), 2);
        QCOMPARE(form.config().loraRank, 12);
        form.setConfig(tinySession(10));
        QCOMPARE(changed.count(), 2);

        // A wheel turn over a field without focus (scrolling the panel) changes nothing; once the
        // field has focus, the wheel steps it.
        const auto wheel = [&] {
            QWheelEvent event(QPointF(5, 5), rank->mapToGlobal(QPointF(5, 5)), QPoint(), QPoint(0, 120), Qt::NoButton,
                              Qt::NoModifier, Qt::NoScrollPhase, false);
            QCoreApplication::sendEvent(rank, &event);
        };
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        const int before = rank->value();
        wheel();
        QCOMPARE(rank->value(), before);
        QCOMPARE(changed.count(), 2);
        form.activateWindow();
        rank->setFocus();
        if (rank->hasFocus()) { // offscreen platforms may refuse focus
            wheel();
            QCOMPARE(rank->value(), before + 1);
        } else {
            qWarning("the platform gave the field no focus: the focused wheel step was not checked");
        }
    }

    void folderScanCountsBadFiles()
    {
        const auto folder = root() / "mixed";
        fs::create_directories(folder);
        int copied = 0;
        for (const auto &entry : fs::recursive_directory_iterator(root() / "test")) {
            if (entry.is_regular_file() && copied < 5)
                fs::copy_file(entry.path(), folder / ("ok-" + std::to_string(copied++) + ".png"));
        }
        test::writeBytes(folder / "notes.txt", "not an image");
        test::writeBytes(folder / "empty.png", "");
        test::writeBytes(folder / "garbage.png", std::string(256, 'x'));

        ui::TargetFolderPanel panel;
        QSignalSpy finished(&panel, &ui::TargetFolderPanel::scanFinished);
        panel.setFolder(QString::fromStdString(folder.string()));
        QVERIFY(finished.wait(30000));
        QVERIFY(panel.isUsable());
        QCOMPARE(panel.imageCount(), qint64{5});
        QCOMPARE(panel.unreadable().size(), std::size_t{3});
        std::set<std::string> reasons;
        for (const auto &skipped : panel.unreadable())
            reasons.insert(skipped.path.filename().string() + ": " + skipped.reason);
        QVERIFY(reasons.count("notes.txt: not an image file type"));
        QVERIFY(reasons.count("empty.png: empty file"));
        QVERIFY(reasons.count("garbage.png: content is not a known image format (corrupt or misnamed)"));
        QVERIFY(panel.statusText().contains(QStringLiteral("5 images")));
        QCOMPARE(panel.grid()->model()->rowCount(), 5);

        // A truncated PNG passes the scan (its signature is right) and fails only when decoded:
        // "Check every image" finds it, as `upstep scan` does.
        const auto whole = test::readBytes(folder / "ok-0.png");
        test::writeBytes(folder / "truncated.png", whole.substr(0, whole.size() / 2));
        panel.setFolder({});
        panel.setFolder(QString::fromStdString(folder.string()));
        QVERIFY(finished.wait(30000));
        QCOMPARE(panel.imageCount(), qint64{6});
        QSignalSpy checked(&panel, &ui::TargetFolderPanel::checkFinished);
        panel.checkImages();
        QVERIFY(checked.wait(30000));
        QCOMPARE(panel.imageCount(), qint64{5});
        QCOMPARE(panel.unreadable().size(), std::size_t{4});
        QCOMPARE(panel.unreadable().back().path.filename().string(), std::string("truncated.png"));
        QVERIFY(panel.statusText().contains(QStringLiteral("5 images")));
        QCOMPARE(panel.grid()->model()->rowCount(), 5);

        // A target with class sub-folders is scanned without labels, yet its line counts them.
        panel.setFolder(QString::fromStdString((root() / "test").string()));
        QVERIFY(finished.wait(30000));
        QCOMPARE(panel.statusText(), QStringLiteral("10 classes · 60 images · 4 to 8 per class"));
        QCOMPARE(panel.grid()->model()->rowCount(), 60);
    }

    void backboneCheckRejectsNonModel()
    {
        ui::BackbonePanel panel;
        QSignalSpy checked(&panel, &ui::BackbonePanel::checked);
        test::writeBytes(root() / "not-a-model.safetensors", "definitely not safetensors");
        panel.setFile(path("not-a-model.safetensors"));
        QVERIFY(checked.wait(30000));
        QCOMPARE(checked.last().at(0).toBool(), false);
        // Plain words first; the parser's "header length ... exceeds the limit" only under Details.
        QVERIFY2(panel.statusText().startsWith(QStringLiteral("This is not model weights")),
                 qPrintable(panel.statusText()));
        QVERIFY(!panel.statusText().contains(QStringLiteral("header length")));
        panel.setFile(path("no-such-model.safetensors")); // answered at once, without a background check
        QCOMPARE(checked.last().at(0).toBool(), false);
        QCOMPARE(panel.statusText(), QStringLiteral("File not found."));
        panel.setFile(path("tiny.safetensors"));
        QVERIFY(checked.wait(30000));
        QCOMPARE(checked.last().at(0).toBool(), true);
        QVERIFY(panel.summary()->parameters > 0);
        // A model folder (as Hugging Face's) is read through the weights file in it; an empty one
        // is refused with what was looked for.
        fs::create_directories(root() / "model-folder");
        fs::copy_file(root() / "tiny.safetensors", root() / "model-folder" / "model.safetensors",
                      fs::copy_options::overwrite_existing);
        panel.setFile(path("model-folder"));
        QVERIFY(checked.wait(30000));
        QCOMPARE(checked.last().at(0).toBool(), true);
        fs::create_directories(root() / "empty-folder");
        panel.setFile(path("empty-folder"));
        QVERIFY(checked.wait(30000));
        QCOMPARE(checked.last().at(0).toBool(), false);
        QVERIFY2(panel.statusText().contains(QStringLiteral("model.safetensors")), qPrintable(panel.statusText()));
    }

    void thumbnailsShowOnFirstVisitOfTheImagesTab()
    {
        // The grid lives in a tab that is hidden while the folder is scanned; its first visit must
        // paint thumbnails without a resize of the window (issue 13).
        ui::MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.loadConfig(tinySession(10));
        waitUntilReady(window);
        auto *grid = window.setup()->target()->grid();
        QVERIFY(!grid->isVisible());
        window.tabs()->setCurrentWidget(grid);
        QVERIFY(grid->isVisible());
        // Fashion-MNIST thumbnails are grey levels: a grid that paints them has many distinct greys.
        const auto state = [grid] {
            return QStringLiteral("%1 rows, first cell %2,%3 %4x%5, viewport %6x%7")
                .arg(grid->model()->rowCount())
                .arg(grid->visualRect(grid->model()->index(0, 0)).x())
                .arg(grid->visualRect(grid->model()->index(0, 0)).y())
                .arg(grid->visualRect(grid->model()->index(0, 0)).width())
                .arg(grid->visualRect(grid->model()->index(0, 0)).height())
                .arg(grid->viewport()->width())
                .arg(grid->viewport()->height());
        };
        QTRY_VERIFY2_WITH_TIMEOUT(colourCount(grid->viewport()->grab().toImage()) > 20, qPrintable(state()), 20000);
        const auto first = grid->visualRect(grid->model()->index(0, 0));
        QVERIFY2(first.isValid() && grid->viewport()->rect().contains(first.center()),
                 "the first thumbnail is not laid out inside the visible grid");
    }

    void setupPanelChecksBeforeStart()
    {
        ui::MainWindow window;
        openSession(window, tinySession(10));
        auto *setup = window.setup();
        const int narrow = setup->minimumSizeHint().width();

        // A labeled folder is summarised under its field...
        QTRY_VERIFY_WITH_TIMEOUT(setup->targetTest()->statusText().contains(QStringLiteral("10 classes")), 30000);
        QVERIFY2(setup->targetTest()->statusText().contains(QStringLiteral("60 images")),
                 qPrintable(setup->targetTest()->statusText()));
        // ...and one without class sub-folders is refused when chosen, not after a run trained.
        const auto flat = root() / "flat";
        fs::create_directories(flat);
        for (const auto &entry : fs::recursive_directory_iterator(root() / "test"))
            if (entry.is_regular_file() && entry.path().extension() == ".png")
                fs::copy_file(entry.path(), flat / entry.path().filename(), fs::copy_options::skip_existing);
        setup->targetTest()->setPath(QString::fromStdString(flat.string()));
        QTRY_VERIFY_WITH_TIMEOUT(setup->missing().contains(QStringLiteral("no class sub-folders")), 30000);
        QTRY_VERIFY(!window.controls()->startButton()->isEnabled());
        setup->targetTest()->setPath(path("test"));
        QTRY_VERIFY_WITH_TIMEOUT(window.controls()->startButton()->isEnabled(), 30000);

        // A long error wraps under its field instead of widening the panel past its buttons.
        const auto longPath = path(std::string(300, 'x'));
        setup->target()->setFolder(longPath);
        QTRY_VERIFY(setup->target()->statusText() == QStringLiteral("Folder not found."));
        QVERIFY2(setup->minimumSizeHint().width() <= narrow,
                 qPrintable(QStringLiteral("%1 > %2").arg(setup->minimumSizeHint().width()).arg(narrow)));
        QVERIFY(setup->width() < 600);
        setup->target()->setFolder(path("target"));
        QTRY_VERIFY_WITH_TIMEOUT(window.controls()->startButton()->isEnabled(), 30000);
    }

    void settingsLockDuringARunAndUnsavedChangesAreMarked()
    {
        ui::MainWindow window;
        // The status bar is there from the start: made by its first message, it moved the bottom row.
        QVERIFY(window.findChild<QStatusBar *>());
        openSession(window, tinySession(400));
        QVERIFY(!window.isWindowModified());
        auto *rank = window.setup()->settings()->findChild<QSpinBox *>(QStringLiteral("loraRank"));
        QVERIFY(rank);
        // Changed with the arrows, the field never left: quitting still sees the change.
        rank->setValue(rank->value() + 1);

        // Quitting with unsaved changes asks first; Cancel keeps the window.
        bool asked = false;
        QTimer::singleShot(200, this, [&asked] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                asked = true;
                box->button(QMessageBox::Cancel)->click();
            }
        });
        QVERIFY(!window.close());
        QVERIFY(asked);
        QVERIFY(window.isVisible());
        QVERIFY(window.isWindowModified()); // the title shows the unsaved mark

        QVERIFY(window.saveSessionTo(path("locked-session.json")));
        QVERIFY(!window.isWindowModified());

        QSignalSpy finished(&window, &ui::MainWindow::runFinished);
        window.startRun();
        QVERIFY(window.setup()->isLocked());
        QVERIFY(!rank->isEnabled()); // a changed rank would not apply to this run or its resume
        QVERIFY(!window.openSession(path("locked-session.json"))); // nor would a whole other session
        // The refusal leaves the run as it was: still running, and Stop still works.
        QVERIFY(window.state() == ui::AppState::Training || window.state() == ui::AppState::Evaluating);
        QVERIFY(window.controls()->stopButton()->isEnabled());
        window.controls()->stopButton()->click();
        QVERIFY(finished.wait(60000));
        QVERIFY(!window.setup()->isLocked());
        QVERIFY(rank->isEnabled());
    }

    void fitsAScreenOf1440By900()
    {
        // The window's smallest layout must leave the control bar (Start, Stop) on a 1440x900
        // screen with a title bar and a panel (about 60 px): no minimum above 840 px.
        ui::MainWindow window;
        window.loadConfig(tinySession(10));
        const auto minimum = window.minimumSizeHint();
        QVERIFY2(minimum.height() <= 840, qPrintable(QStringLiteral("minimum height %1").arg(minimum.height())));
        QVERIFY2(minimum.width() <= 1360, qPrintable(QStringLiteral("minimum width %1").arg(minimum.width())));
    }

    void readyOnceInputsAreChecked()
    {
        ui::MainWindow window;
        QSignalSpy ready(&window, &ui::MainWindow::ready);
        window.loadConfig(tinySession(10));
        QVERIFY(!window.isReady()); // the backbone check and the folder scan run in the background
        QVERIFY(ready.wait(60000));
        QCOMPARE(ready.count(), 1);
        QVERIFY(window.isReady());
        QVERIFY(!window.setup()->isBusy());
        QVERIFY(!window.isListingRuns());
        QVERIFY(window.controls()->startButton()->isEnabled());

        // Checking the inputs again does not emit it a second time.
        QSignalSpy scanned(window.setup()->target(), &ui::TargetFolderPanel::scanFinished);
        window.setup()->target()->setFolder(path("test"));
        QVERIFY(scanned.wait(30000));
        QTRY_VERIFY_WITH_TIMEOUT(!window.isListingRuns(), 30000);
        QCOMPARE(ready.count(), 1);
        QVERIFY(window.isReady());
    }

    void trainsResponsivelyShowsResultsAndExports()
    {
        ui::MainWindow window;
        openSession(window, tinySession(60));

        // Probe the GUI thread every 10 ms for the whole run: the longest gap between two ticks.
        QElapsedTimer sinceTick;
        qint64 worstGap = 0;
        QTimer probe;
        probe.setInterval(10);
        QString worstWhen; // what the window was doing when the longest gap ended
        connect(&probe, &QTimer::timeout, this, [&] {
            const auto gap = sinceTick.restart();
            if (gap > worstGap) {
                worstGap = gap;
                worstWhen = QStringLiteral("%1, %2 records, result card %3")
                                .arg(ui::appStateName(window.state()))
                                .arg(window.curves()->recordCount())
                                .arg(window.resultCard()->hasResult() ? "shown" : "empty");
            }
        });
        QSignalSpy finished(&window, &ui::MainWindow::runFinished);
        sinceTick.start();
        probe.start();
        window.startRun();
        QCOMPARE(window.state(), ui::AppState::Training);
        // Paused while it still measures the base model, before its first record: held while the
        // runs table is checked (a fast run cannot end first), and listed as paused from the start.
        window.pauseRun();
        // The run used the panel's scan of the unchanged target, and the runs table lists it,
        // paused, then running again.
        QTRY_VERIFY2_WITH_TIMEOUT(window.logText().contains(
                                      QStringLiteral("using the scan made when the target folder was chosen")),
                                  qPrintable(window.logText()), 30000);
        const auto activeRow = [&] {
            for (int row = 0; row < window.comparison()->runCount(); ++row)
                if (QString::fromStdString(window.comparison()->run(row).dir.string()) == window.lastRunDir())
                    return row;
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(activeRow() >= 0, 30000);
        const auto activeStatus = [&] {
            return window.comparison()->table()->item(activeRow(), ui::RunComparison::kStatus)->text();
        };
        QCOMPARE(activeStatus(), QStringLiteral("paused"));
        window.resumeRun();
        QCOMPARE(activeStatus(), QStringLiteral("running"));
        QTRY_VERIFY_WITH_TIMEOUT(window.curves()->recordCount() >= 3, 60000);
        window.pauseRun();
        QCOMPARE(activeStatus(), QStringLiteral("paused"));
        window.resumeRun();

        QVERIFY(window.curves()->redrawCount() > 0);
        QVERIFY(window.curves()->redrawCount() <= window.curves()->recordCount() + 2); // coalesced, not per point

        QVERIFY(finished.wait(180000));
        probe.stop();
        double replot = 0;
        for (auto *plot : window.curves()->plots())
            replot = std::max(replot, plot->replotTime(true));
        qInfo("GUI thread: longest gap between 10 ms probe ticks while training: %lld ms (%s); mean replot of the "
              "slowest plot %.1f ms, %d redraws for %d records",
              worstGap, qPrintable(worstWhen), replot, window.curves()->redrawCount(), window.curves()->recordCount());
        QVERIFY2(worstGap < kStallLimitMs, qPrintable(QStringLiteral("GUI thread stalled for %1 ms").arg(worstGap)));

        QCOMPARE(window.state(), ui::AppState::Idle);
        QVERIFY(window.resultCard()->hasResult());
        QVERIFY(window.resultCard()->figure(QStringLiteral("Target gain (kNN)")).endsWith(QStringLiteral("pts")));
        QCOMPARE(window.resultCard()->figure(QStringLiteral("Back-prop skipped")), QStringLiteral("50 %"));
        const auto run = fs::path(window.lastRunDir().toStdString());
        QVERIFY(fs::exists(run / "eval.json"));
        QVERIFY(window.controls()->exportAdapterButton()->isEnabled());

        // A plot's data as CSV (one row per record, a column per series) and the plot as PNG and PDF.
        auto *loss = window.curves()->plots().front();
        QVERIFY(loss->exportCsv(path("loss.csv")));
        const auto csv = QString::fromStdString(test::readBytes(root() / "loss.csv")).trimmed().split(QLatin1Char('\n'));
        QCOMPARE(csv.front(), QStringLiteral("step,total,cluster,CVR"));
        QCOMPARE(csv.size(), window.curves()->recordCount()); // step 0 has no loss yet: header replaces it
        QVERIFY(loss->exportImage(path("loss.png")) && QImage(path("loss.png")).width() > 0);
        QVERIFY(loss->exportImage(path("loss.pdf")) && fs::file_size(root() / "loss.pdf") > 1000);

        QSignalSpy exported(&window, &ui::MainWindow::exportFinished);
        window.startExport(false, path("export-peft"), false);
        QCOMPARE(window.state(), ui::AppState::Exporting);
        QVERIFY(!window.controls()->startButton()->isEnabled()); // nothing clickable that would do nothing
        QVERIFY(exported.wait(60000));
        QVERIFY2(exported.last().at(0).toBool(), qPrintable(exported.last().at(1).toString()));
        const auto adapter = core::loadAdapter(root() / "export-peft"); // core's loader accepts it
        QCOMPARE(adapter.info.rank, 8);

        window.startExport(true, path("export-merged"), false);
        QVERIFY(exported.wait(60000));
        QVERIFY2(exported.last().at(0).toBool(), qPrintable(exported.last().at(1).toString()));
        const auto merged = core::loadBackbone(root() / "export-merged" / "model.safetensors");
        QVERIFY(merged.model);

        // A second export to the same folder without overwrite is refused and keeps the first.
        window.startExport(false, path("export-peft"), false);
        QVERIFY(exported.wait(60000));
        QVERIFY(!exported.last().at(0).toBool());
        QVERIFY(fs::exists(root() / "export-peft" / "adapter_model.safetensors"));
    }

    void runsTableComparesRunsAndReopens()
    {
        // The session's earlier runs (the tests above trained some): reopening brings the newest
        // back, rows overlay their curves, a row shows its run, names persist, settings compare.
        for (int extra = 0; extra < 2; ++extra) { // two more finished runs beside the evaluated one above
            ui::MainWindow first;
            first.loadConfig(tinySession(10));
            waitUntilReady(first);
            QSignalSpy finished(&first, &ui::MainWindow::runFinished);
            first.startRun();
            QVERIFY(finished.wait(120000));
        }
        ui::MainWindow window;
        openSession(window, tinySession(60));
        auto *runs = window.comparison();
        QVERIFY2(runs->runCount() >= 3, qPrintable(QString::number(runs->runCount())));
        QVERIFY(window.curves()->recordCount() > 0); // the newest run's curves came back
        QVERIFY(window.resultCard()->hasResult());   // and its result card

        // Row 0 is the newest run, the one shown: selecting it draws no second copy of it.
        auto *table = runs->table();
        const auto selectRows = [table](std::initializer_list<int> rows) {
            QItemSelection selection;
            for (const int row : rows)
                selection.select(table->model()->index(row, 0),
                                 table->model()->index(row, ui::RunComparison::kColumnCount - 1));
            table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        };
        selectRows({0, 1, 2});
        QCOMPARE(window.curves()->overlayCount(), 2);
        QVERIFY(table->item(0, ui::RunComparison::kName)->icon().isNull());
        QVERIFY(!table->item(1, ui::RunComparison::kName)->icon().isNull()); // the overlay's legend
        // A new listing keeps both overlays (selectRow() one by one kept only the last).
        runs->setCurrent(window.lastRunDir());
        QCOMPARE(window.curves()->overlayCount(), 2);
        table->clearSelection();
        QCOMPARE(window.curves()->overlayCount(), 0);

        // Showing the evaluated run makes it the one exported, with its own card.
        int evaluated = -1;
        for (int row = 0; row < runs->runCount(); ++row)
            if (runs->run(row).evaluation)
                evaluated = row;
        QVERIFY(evaluated >= 0);
        runs->showRun(evaluated);
        QCOMPARE(window.lastRunDir(), QString::fromStdString(runs->run(evaluated).dir.string()));
        QVERIFY(window.resultCard()->figure(QStringLiteral("Target gain (kNN)")).endsWith(QStringLiteral("pts")));

        // A name typed in the table is kept in the run folder and shown again after a new listing.
        auto *name = table->item(evaluated, ui::RunComparison::kName);
        name->setText(QStringLiteral("baseline"));
        QVERIFY(fs::exists(runs->run(evaluated).dir / "notes.json"));
        ui::MainWindow reopened;
        reopened.loadConfig(tinySession(60));
        waitUntilReady(reopened);
        bool named = false;
        for (int row = 0; row < reopened.comparison()->runCount(); ++row)
            named |= reopened.comparison()->table()->item(row, ui::RunComparison::kName)->text() ==
                     QStringLiteral("baseline");
        QVERIFY(named);

        // The form's rank differs from the run's: the table says so; copying its settings undoes it.
        auto *rank = window.setup()->settings()->findChild<QSpinBox *>(QStringLiteral("loraRank"));
        rank->setValue(5);
        emit rank->editingFinished();
        const auto differs = table->item(evaluated, ui::RunComparison::kDiffers)->text();
        QVERIFY2(differs.contains(QStringLiteral("lora_rank 8 (form 5)")), qPrintable(differs));
        selectRows({evaluated});
        for (auto *button : runs->findChildren<QPushButton *>())
            if (button->text() == QStringLiteral("Copy settings"))
                button->click();
        QCOMPARE(window.setup()->config().loraRank, 8);
        QCOMPARE(table->item(evaluated, ui::RunComparison::kDiffers)->text(), QStringLiteral("same as the form"));
        QCOMPARE(window.setup()->config().target, tinySession(60).target); // the session's paths stay

        // Another backbone is another session: the shown run's card, curves and exports go.
        QVERIFY(window.resultCard()->hasResult());
        fs::copy_file(root() / "tiny.safetensors", root() / "other-backbone.safetensors",
                      fs::copy_options::overwrite_existing);
        window.setup()->backbone()->setFile(path("other-backbone.safetensors"));
        QTRY_VERIFY_WITH_TIMEOUT(!window.resultCard()->hasResult(), 30000);
        QCOMPARE(window.curves()->recordCount(), 0);
        QVERIFY(!window.controls()->exportAdapterButton()->isEnabled());
    }

    void tabsStayPutThroughARun()
    {
        // The result card and the lock note change with each phase; the tabs below them must not
        // move (a jump under the cursor at Start was reported), at the screenshots' size.
        ui::MainWindow window;
        window.resize(1440, 860);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *tabs = window.tabs();
        const auto tabsTop = [&] {
            QApplication::processEvents();
            return tabs->mapTo(&window, QPoint(0, 0)).y();
        };
        const int empty = tabsTop();
        openSession(window, tinySession(40));
        QVERIFY(window.resultCard()->hasResult()); // an earlier test's run, shown again
        QCOMPARE(tabsTop(), empty);
        QSignalSpy finished(&window, &ui::MainWindow::runFinished);
        window.startRun();
        window.pauseRun();
        QTRY_VERIFY_WITH_TIMEOUT(window.curves()->recordCount() >= 1, 60000);
        QCOMPARE(tabsTop(), empty);
        window.resumeRun();
        QVERIFY(finished.wait(180000));
        QCOMPARE(tabsTop(), empty);
    }

    void responsivenessWithTheDefaultThreadCount()
    {
        // As the app runs by default: torch on every core and two loader threads, so the GUI
        // thread competes with training for the cores. The figure is printed (docs/WORKBENCH.md
        // records it); the bound only catches a frozen window, it is not the 50 ms promise above.
        const int threads = core::setComputeThreads(0);
        ui::MainWindow window;
        auto config = tinySession(60);
        config.workers = core::TrainConfig{}.workers;
        openSession(window, config);
        QElapsedTimer sinceTick;
        qint64 worstGap = 0;
        QTimer probe;
        probe.setInterval(10);
        connect(&probe, &QTimer::timeout, this, [&] { worstGap = std::max(worstGap, sinceTick.restart()); });
        QSignalSpy finished(&window, &ui::MainWindow::runFinished);
        sinceTick.start();
        probe.start();
        window.startRun();
        QVERIFY(finished.wait(180000));
        probe.stop();
        core::setComputeThreads(1);
        qInfo("GUI thread with the default thread count (%d torch threads, %d loader threads): longest gap between "
              "10 ms probe ticks while training and evaluating: %lld ms",
              threads, config.workers, worstGap);
        QVERIFY2(worstGap < 1000, qPrintable(QStringLiteral("GUI thread froze for %1 ms").arg(worstGap)));
    }

    void screenshotDuringTraining()
    {
        // Its own run: a full-window grab repaints every widget, which the probe above must not see.
        ui::MainWindow window;
        openSession(window, tinySession(400));
        QSignalSpy finished(&window, &ui::MainWindow::runFinished);
        window.startRun();
        QTRY_VERIFY_WITH_TIMEOUT(window.curves()->recordCount() >= 3, 60000);
        QCOMPARE(window.state(), ui::AppState::Training);
        const auto shot = window.grab().toImage();
        const auto shotFile = path("workbench-training.png");
        QVERIFY(shot.save(shotFile));
        QVERIFY(QImage(shotFile).size() == shot.size());
        QVERIFY2(colourCount(shot) > 40, "the window grab looks blank");
        // Before the first checkpoint the map is of the base model, and says why (it failed with
        // "neither a run folder nor a PEFT adapter folder").
        window.tabs()->setCurrentWidget(window.embeddings());
        QVERIFY(window.embeddings()->source().adapter.isEmpty());
        QVERIFY2(window.embeddings()->source().noAdapterReason.contains(QStringLiteral("no checkpoint yet")),
                 qPrintable(window.embeddings()->source().noAdapterReason));
        window.stopRun();
        QVERIFY(finished.wait(60000));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
