// The Curves tab and the result card drawn from hand-made records (no training): sparse series
// raw with markers, a minimum span on the accuracy axis, a visible one-point series, the center
// norm on its own axis, one step range for all plots, an empty-state text; the card's total time
// over resumed segments plus evaluation, its adapter and trainable shares, and why a run has no
// evaluation; its per-class tables, sorted by number and coloured by good or bad; the estimate
// before Start from the newest comparable run.
#include "monitor/classresults.h"
#include "monitor/curvespanel.h"
#include "monitor/healthnote.h"
#include "monitor/liveplot.h"
#include "monitor/resultcard.h"
#include "monitor/runcomparison.h"
#include "monitor/runcontrolbar.h"
#include "monitor/runestimate.h"
#include "widgets/palette.h"

#include <QApplication>
#include <QProgressBar>
#include <QRegularExpression>
#include <QWheelEvent>
#include <QPushButton>
#include <QTableWidget>

#include <QtTest>

#include <cmath>

using namespace upstep;

namespace {

/// The plot holding a series of that name, and the series' index in it.
std::pair<ui::LivePlot *, int> findSeries(const ui::CurvesPanel &panel, const QString &name)
{
    for (auto *plot : panel.plots())
        for (int i = 0; i < plot->seriesCount(); ++i)
            if (plot->seriesName(i) == name)
                return {plot, i};
    return {nullptr, -1};
}

core::MetricsRecord record(std::int64_t step, double elapsed)
{
    core::MetricsRecord r;
    r.step = step;
    r.totalSteps = 400;
    r.loss = 5.0 - 0.001 * static_cast<double>(step) + 0.3 * std::sin(static_cast<double>(step));
    r.clusterLoss = r.loss;
    r.muNorm = 0.9;
    r.centerDrift = 0.001 * static_cast<double>(step) / 400;
    r.featureDrift = 0.01 * static_cast<double>(step) / 400;
    r.elapsedSeconds = elapsed;
    return r;
}

// Run i (folder /nonexistent/run-i), evaluated: target kNN from 0.5 up by gain, source head
// top-1 from 0.9 down by forgot.
core::RunRecord evaluatedRun(int i, double gain, double forgot)
{
    core::RunRecord run;
    run.dir = std::filesystem::path("/nonexistent/run-" + std::to_string(i));
    core::EvalReport report;
    report.base.knnTop1 = 0.5;
    report.adapted = core::ProbeScores{};
    report.adapted->knnTop1 = 0.5 + gain;
    report.source = core::SourceScores{};
    report.source->headTop1Base = 0.9;
    report.source->headTop1Adapted = 0.9 - forgot;
    run.evaluation = report;
    return run;
}

} // namespace

class TestMonitor : public QObject {
    Q_OBJECT

private slots:
    void emptyPlotsSayWhy()
    {
        ui::CurvesPanel panel;
        for (auto *plot : panel.plots())
            QVERIFY(plot->isEmpty());
        panel.addRecord(record(0, 0));
        panel.fitAll();
        QVERIFY(!panel.plots().front()->isEmpty());
    }

    void sparseSeriesAreRawWithMarkersAndAccuracyHasAMinimumSpan()
    {
        ui::CurvesPanel panel;
        panel.resize(900, 600);
        panel.show();
        // The source probe every 50 steps, moving by 0.35 points in all.
        const double probe[] = {0.9100, 0.9080, 0.9065};
        for (std::int64_t step = 0; step <= 100; step += 2) {
            auto r = record(step, static_cast<double>(step));
            if (step % 50 == 0)
                r.sourceProbeTop1 = probe[step / 50];
            panel.addRecord(r);
        }
        QTRY_VERIFY(panel.redrawCount() > 0);
        const auto [plot, series] = findSeries(panel, QStringLiteral("source top-1 %"));
        QVERIFY(plot);
        auto *graph = plot->graph(series);
        QCOMPARE(graph->data()->size(), 3);
        // Drawn as measured: the smoothed curve ended above the last value (90.85 against 90.65).
        QCOMPARE(graph->data()->at(2)->value, 100 * probe[2]);
        QVERIFY(graph->scatterStyle().shape() != QCPScatterStyle::ssNone);
        QVERIFY2(plot->yAxis2->range().size() >= 5 - 1e-9, qPrintable(QString::number(plot->yAxis2->range().size())));
        // Dense series are still smoothed.
        const auto [lossPlot, loss] = findSeries(panel, QStringLiteral("total"));
        QVERIFY(lossPlot->graph(loss)->data()->at(10)->value != lossPlot->seriesY(loss).at(10));
    }

    void onePointIsVisibleAndStepsAreShared()
    {
        ui::CurvesPanel panel;
        panel.resize(900, 600);
        panel.show();
        panel.addRecord(record(0, 0)); // images/s starts at step 2: one point of it at first
        auto r = record(2, 1);
        r.imagesPerSecond = 100;
        panel.addRecord(r);
        QTRY_VERIFY(panel.redrawCount() > 0);
        const auto [plot, series] = findSeries(panel, QStringLiteral("images/s"));
        QCOMPARE(plot->graph(series)->data()->size(), 1);
        QVERIFY(plot->graph(series)->scatterStyle().shape() != QCPScatterStyle::ssNone);
        for (std::int64_t step = 4; step <= 40; step += 2) {
            auto more = record(step, static_cast<double>(step));
            more.imagesPerSecond = 100;
            panel.addRecord(more);
        }
        const int before = panel.redrawCount();
        QTRY_VERIFY(panel.redrawCount() > before);
        QCOMPARE(plot->graph(series)->scatterStyle().shape(), QCPScatterStyle::ssNone);
        // Every plot shows the same steps, the rate plot (which starts at step 2) included.
        for (auto *p : panel.plots())
            QCOMPARE(p->xAxis->range(), panel.plots().front()->xAxis->range());
    }

    void centerNormHasItsOwnAxis()
    {
        ui::CurvesPanel panel;
        const auto [normPlot, norm] = findSeries(panel, QStringLiteral("center norm"));
        const auto [driftPlot, drift] = findSeries(panel, QStringLiteral("center drift"));
        QVERIFY(normPlot && driftPlot);
        QVERIFY(normPlot->graph(norm)->valueAxis() != driftPlot->graph(drift)->valueAxis());
    }

    void scatterPointsShowTheirRun()
    {
        // Three evaluated runs listed newest first; the scatter sorts its points by forgetting,
        // and a click on a point shows that point's run, not the one at the same list index.
        std::vector<core::RunRecord> runs;
        const double forgot[] = {0.05, 0.01, 0.03};
        for (int i = 0; i < 3; ++i)
            runs.push_back(evaluatedRun(i, 0.01 * (i + 1), forgot[i]));
        ui::RunComparison comparison;
        comparison.resize(500, 600);
        comparison.show();
        QVERIFY(QTest::qWaitForWindowExposed(&comparison));
        comparison.setRuns(runs, QString());
        QCOMPARE(comparison.scatterPointCount(), 3);
        QCOMPARE(comparison.rowOfScatterPoint(0), 1); // the least forgetting, drawn leftmost
        QCOMPARE(comparison.rowOfScatterPoint(2), 0);
        comparison.scatter()->replot();
        QSignalSpy shown(&comparison, &ui::RunComparison::runShown);
        auto *graph = comparison.scatter()->graph(0);
        const auto at = graph->coordsToPixels(100 * forgot[2], 100 * 0.03).toPoint();
        QTest::mouseClick(comparison.scatter(), Qt::LeftButton, {}, at);
        QCOMPARE(shown.count(), 1);
        QCOMPARE(shown.at(0).at(0).value<core::RunRecord>().dir, runs[2].dir);
    }

    // The frontier: the runs no other run beats on both gain and forgetting are joined in the
    // accent (graph 2) and bold in the table; Export adapter exports the selected run.
    void frontierIsMarkedAndExportable()
    {
        std::vector<core::RunRecord> runs{evaluatedRun(0, 0.04, 0.05), evaluatedRun(1, 0.02, 0.01),
                                          evaluatedRun(2, 0.01, 0.03), evaluatedRun(3, 0.03, 0.06)};
        for (auto &run : runs) {
            run.summary = core::TrainSummary{};
            run.summary->status = core::RunStatus::Finished;
        }
        ui::RunComparison comparison;
        comparison.resize(500, 600);
        comparison.show();
        QVERIFY(QTest::qWaitForWindowExposed(&comparison));
        comparison.setRuns(runs, QString());
        auto *front = comparison.scatter()->graph(2);
        QCOMPARE(front->dataCount(), 2);
        QCOMPARE(front->data()->at(0)->key, 1.0);   // run 1: least forgetting
        QCOMPARE(front->data()->at(1)->value, 4.0); // run 0: most gain
        const auto bold = [&](int row) {
            return comparison.table()->item(row, ui::RunComparison::kGain)->font().bold();
        };
        QVERIFY(bold(0) && bold(1) && !bold(2) && !bold(3));

        QPushButton *exportButton = nullptr;
        for (auto *button : comparison.findChildren<QPushButton *>())
            if (button->text().startsWith(QStringLiteral("Export")))
                exportButton = button;
        QVERIFY(exportButton && !exportButton->isEnabled());
        comparison.table()->selectRow(0);
        QVERIFY(exportButton->isEnabled());
        QSignalSpy exported(&comparison, &ui::RunComparison::exportRequested);
        exportButton->click();
        QCOMPARE(exported.count(), 1);
        QCOMPARE(exported.at(0).at(0).value<core::RunRecord>().dir, runs[0].dir);
        // A run that fine-tuned the whole backbone has no adapter: nothing to export, and the
        // button says why.
        auto withFull = runs;
        withFull[3].config.tuning = core::Tuning::Full;
        comparison.setRuns(withFull, QString());
        comparison.table()->selectRow(3);
        QVERIFY(!exportButton->isEnabled());
        QVERIFY(exportButton->toolTip().contains(QStringLiteral("model.safetensors")));
        QVERIFY(comparison.table()->item(3, ui::RunComparison::kSettings)->text().startsWith(QStringLiteral("whole")));
        comparison.setRuns(runs, QString());
        // A run another process is writing says so instead of showing its stale status.
        comparison.setRunsInUse({QString::fromStdString(runs[2].dir.string())});
        comparison.setRuns(runs, QString());
        QCOMPARE(comparison.table()->item(2, ui::RunComparison::kStatus)->text(), QStringLiteral("in use elsewhere"));
        QVERIFY(comparison.isInUse(QString::fromStdString(runs[2].dir.string())));
        // This window's own run holds its lock too, so a probe finds it held: it is never "in
        // use elsewhere", while it runs or after it ends.
        const auto own = QString::fromStdString(runs[1].dir.string());
        comparison.setActiveRun(own);
        comparison.setRunsInUse({own, QString::fromStdString(runs[2].dir.string())});
        QVERIFY(!comparison.isInUse(own));
        QVERIFY(comparison.isInUse(QString::fromStdString(runs[2].dir.string())));
        comparison.setActiveRun({});
        comparison.setRuns(runs, QString());
        QVERIFY(!comparison.isInUse(own));
        QVERIFY(comparison.table()->item(1, ui::RunComparison::kStatus)->text() != QStringLiteral("in use elsewhere"));
        comparison.setActiveRun(own);
        comparison.setRunsInUse({own});
        comparison.setActiveRun({});
        QVERIFY(!comparison.isInUse(own));
        comparison.setRunsInUse({});
        comparison.setRuns(runs, QString());

        // A click on a frontier point (drawn over graph 0, with its own point order) shows that
        // run: run 0 is frontier point 1, and graph 0's point 1 is run 2.
        comparison.scatter()->replot();
        QSignalSpy shown(&comparison, &ui::RunComparison::runShown);
        const auto at = front->coordsToPixels(5.0, 4.0).toPoint(); // run 0
        QTest::mouseClick(comparison.scatter(), Qt::LeftButton, {}, at);
        QCOMPARE(shown.count(), 1);
        QCOMPARE(shown.at(0).at(0).value<core::RunRecord>().dir, runs[0].dir);
    }

    // Without labels, the result card says which monitor ranked this session's evaluated runs,
    // or that there are too few of them, or that none does.
    void healthNoteNamesThePredictorOrSaysNone()
    {
        // Run i: less gain, more forgetting and more feature drift as i grows.
        std::vector<core::RunRecord> runs;
        const auto addRun = [&](int i) {
            runs.push_back(evaluatedRun(i, 0.05 - 0.005 * i, 0.01 * (i + 1)));
            runs.back().metrics = {record(400, 10)};
            runs.back().metrics.back().featureDrift = 0.1 * (i + 1);
        };
        for (int i = 0; i < 4; ++i)
            addRun(i);
        core::RunRecord unlabeled;
        unlabeled.dir = "/nonexistent/unlabeled";
        unlabeled.metrics = {record(400, 10)};
        unlabeled.metrics.back().featureDrift = 0.25;
        QVERIFY(ui::healthNote(unlabeled, runs).contains(QStringLiteral("10 or more")));
        for (int i = 4; i < 10; ++i)
            addRun(i);
        const auto note = ui::healthNote(unlabeled, runs);
        QVERIFY2(note.contains(QStringLiteral("higher feature drift went with less target gain")), qPrintable(note));
        QVERIFY2(note.contains(QStringLiteral("higher than in 2 of the 10 evaluated runs")), qPrintable(note));
        // Low drift, and drift goes with less gain and more forgetting: the conclusion says so.
        QVERIFY2(note.startsWith(QStringLiteral("Probably more target gain and less forgetting than most")),
                 qPrintable(note));
        unlabeled.metrics.back().featureDrift = 0.55; // above 5 of 10: the middle, no claim
        QVERIFY2(ui::healthNote(unlabeled, runs).startsWith(QStringLiteral("Probably in the middle")),
                 qPrintable(ui::healthNote(unlabeled, runs)));
        unlabeled.metrics.back().featureDrift = 0.25;
        QVERIFY2(!note.contains(QStringLiteral("No monitor predicts the target gain")), qPrintable(note));
        // The strongest monitor ranks only the forgetting (drift follows it exactly, not the
        // gain); the loss ranks the gain (Spearman -0.99): the note speaks for the gain with it.
        {
            const double gains[] = {0.03, 0.01, 0.05, 0.02, 0.04, 0.0, 0.045, 0.015, 0.035, 0.025};
            std::vector<core::RunRecord> split;
            for (int i = 0; i < 10; ++i) {
                split.push_back(evaluatedRun(i, gains[i], 0.01 * (i + 1)));
                split.back().metrics = {record(400, 10)};
                split.back().metrics.back().featureDrift = 0.1 * (i + 1);
                split.back().metrics.back().loss = i == 1 ? 0.84 : 1.0 - 10 * gains[i]; // one swap
            }
            auto quiet = unlabeled;
            quiet.metrics.back().loss = 0.52; // lower than all but one run: more gain, probably
            const auto splitNote = ui::healthNote(quiet, split);
            QVERIFY2(splitNote.startsWith(QStringLiteral("Probably more target gain and less forgetting than most")),
                     qPrintable(splitNote));
            QVERIFY2(splitNote.contains(QStringLiteral("a higher feature drift went with more forgetting")),
                     qPrintable(splitNote));
            QVERIFY2(splitNote.contains(QStringLiteral("For the gain: its loss (0.52) is higher than in 1 of them, "
                                                       "and a higher loss went with less target gain")),
                     qPrintable(splitNote));
        }
        // Shuffle the drifts against the results: no monitor predicts, and the note says so.
        const double shuffled[] = {0.3, 0.8, 0.1, 1.0, 0.5, 0.2, 0.9, 0.6, 0.4, 0.7}; // Spearman 0.16
        for (int i = 0; i < 10; ++i)
            runs[static_cast<std::size_t>(i)].metrics.back().featureDrift = shuffled[i];
        for (auto &run : runs)
            run.metrics.back().loss = 1.0; // every other monitor constant
        QVERIFY2(ui::healthNote(unlabeled, runs).startsWith(QStringLiteral("No monitor ranks")),
                 qPrintable(ui::healthNote(unlabeled, runs)));
    }

    void equalResultsShareOneLabel()
    {
        // Two runs with the same figures (same settings and seed) and one other: one label for the
        // pair ("... and 1 more"), every label inside the plot.
        std::vector<core::RunRecord> runs;
        const double forgot[] = {0.06, 0.06, 0.08}; // the long label left of the middle, by the right edge
        for (int i = 0; i < 3; ++i)
            runs.push_back(evaluatedRun(i, 0.03, forgot[i]));
        ui::RunComparison comparison;
        comparison.resize(260, 600); // as narrow as beside the curves
        comparison.show();
        QVERIFY(QTest::qWaitForWindowExposed(&comparison));
        comparison.setRuns(runs, QString());
        QCOMPARE(comparison.scatterPointCount(), 3);
        comparison.scatter()->replot();
        const QRect area = comparison.scatter()->axisRect()->rect();
        QStringList texts;
        for (int i = 0; i < comparison.scatter()->itemCount(); ++i)
            if (auto *label = qobject_cast<QCPItemText *>(comparison.scatter()->item(i))) {
                texts << label->text().trimmed();
                QVERIFY2(label->left->pixelPosition().x() >= area.left() - 1 &&
                             label->right->pixelPosition().x() <= area.right() + 1,
                         qPrintable(label->text())); // inside the plot, not cut at its edge
            }
        texts.sort();
        QCOMPARE(texts, (QStringList{QStringLiteral("run-0 and 1 more"), QStringLiteral("run-2")}));

        // Redrawing (each listing does) keeps the view, also when every run has the same result.
        std::vector<core::RunRecord> same{evaluatedRun(0, 0.03, 0.02), evaluatedRun(1, 0.03, 0.02)};
        comparison.setRuns(same, QString());
        const auto x = comparison.scatter()->xAxis->range(), y = comparison.scatter()->yAxis->range();
        for (int i = 0; i < 5; ++i)
            comparison.setRuns(same, QString());
        QCOMPARE(comparison.scatter()->xAxis->range(), x);
        QCOMPARE(comparison.scatter()->yAxis->range(), y);
        QVERIFY(y.contains(3) && y.contains(0) && y.size() < 10); // the point and the origin, close up
    }

    void nearbyResultsLabelsNeverOverlap()
    {
        // Three runs a tenth of a point apart (distinct points whose names would print over each
        // other) and two far from them. Each label is clear of the others, every run is named or
        // counted, and the far runs keep names of their own.
        std::vector<core::RunRecord> runs;
        for (int i = 0; i < 3; ++i)
            runs.push_back(evaluatedRun(i, 0.03 + 0.001 * i, 0.02 + 0.001 * i));
        runs.push_back(evaluatedRun(3, 0.01, 0.05));
        runs.push_back(evaluatedRun(4, 0.05, 0.005));
        ui::RunComparison comparison;
        comparison.resize(360, 600);
        comparison.show();
        QVERIFY(QTest::qWaitForWindowExposed(&comparison));
        comparison.setRuns(runs, QString());
        comparison.scatter()->replot();
        std::vector<QRectF> boxes;
        int counted = 0;
        for (int i = 0; i < comparison.scatter()->itemCount(); ++i)
            if (auto *label = qobject_cast<QCPItemText *>(comparison.scatter()->item(i))) {
                boxes.emplace_back(label->topLeft->pixelPosition(), label->bottomRight->pixelPosition());
                const auto more = QRegularExpression(QStringLiteral("and (\\d+) more")).match(label->text());
                counted += 1 + (more.hasMatch() ? more.captured(1).toInt() : 0);
            }
        QCOMPARE(counted, 5);
        QVERIFY(boxes.size() >= 3); // the far runs' names and the group's
        for (std::size_t a = 0; a < boxes.size(); ++a)
            for (std::size_t b = a + 1; b < boxes.size(); ++b)
                QVERIFY2(!boxes[a].adjusted(1, 1, -1, -1).intersects(boxes[b]),
                         qPrintable(QStringLiteral("labels %1 and %2 overlap").arg(a).arg(b)));

        // Narrowed after the listing (the window's layout settling): the labels move inside again.
        comparison.resize(250, 600);
        const auto allInside = [&] {
            QApplication::processEvents();
            comparison.scatter()->replot();
            const QRect area = comparison.scatter()->axisRect()->rect();
            for (int i = 0; i < comparison.scatter()->itemCount(); ++i)
                if (auto *label = qobject_cast<QCPItemText *>(comparison.scatter()->item(i)))
                    if (label->right->pixelPosition().x() > area.right() + 1 ||
                        label->left->pixelPosition().x() < area.left() - 1)
                        return false;
            return true;
        };
        QTRY_VERIFY(allInside());
        comparison.resize(200, 600); // no corner holds a whole name: the names are shortened, not cut
        QTRY_VERIFY(allInside());
    }

    void controlBarNeverShowsStaleStatus()
    {
        ui::RunControlBar bar;
        auto *progress = bar.findChild<QProgressBar *>();
        QVERIFY(progress);
        const int height = bar.sizeHint().height();
        core::Progress p;
        p.stage = "measuring the base model";
        p.unit = "steps";
        bar.setState(ui::AppState::Training, true, false, false);
        bar.showProgress(p);
        QCOMPARE(progress->format(), QStringLiteral("measuring the base model")); // not ": 0 steps"
        p.stage = "scanning";
        p.done = p.total = 8;
        bar.showProgress(p);
        QVERIFY(progress->format().contains(QStringLiteral("100 %")));
        bar.setState(ui::AppState::Failed, true, false, false);
        QVERIFY2(!progress->format().contains(QStringLiteral("100 %")), qPrintable(progress->format()));
        // A pause says so instead of freezing the ETA.
        bar.setState(ui::AppState::Training, true, false, false);
        bar.showProgress(p);
        bar.setState(ui::AppState::Paused, true, false, false);
        bool paused = false;
        for (const auto *label : bar.findChildren<QLabel *>())
            paused |= label->text() == QStringLiteral("paused");
        QVERIFY(paused);
        // A long hint changes neither the bar's height nor its minimum width.
        const int minimumWidth = bar.minimumSizeHint().width();
        bar.setState(ui::AppState::Idle, true, false, false);
        bar.setHint(QString(400, QLatin1Char('x')));
        QCOMPARE(bar.sizeHint().height(), height);
        QCOMPARE(bar.minimumSizeHint().width(), minimumWidth);
    }

    void resultCardKeepsItsPlaceAndGuidesFirstRuns()
    {
        ui::ResultCard card;
        QVERIFY(!card.hasResult());
        bool guided = false;
        for (const auto *label : card.findChildren<QLabel *>())
            guided |= label->text().startsWith(QStringLiteral("Start here"));
        QVERIFY(guided);
    }

    void resultCardCountsEverySegmentAndNamesShares()
    {
        ui::ResultCard card;
        ui::ResultCard::Result result;
        result.runName = QStringLiteral("run-1");
        result.summary.status = core::RunStatus::Finished;
        result.summary.steps = result.summary.totalSteps = 300;
        result.summary.adapterParameters = 36864;
        result.summary.trainableParameters = 1'550'000;
        result.summary.totalParameters = 4'250'000;
        result.summary.wallSeconds = 50; // the last segment only
        // Three segments: 0-100 s, then a resume 0-70 s, then 0-50 s.
        for (double t : {0.0, 50.0, 100.0, 0.0, 70.0, 0.0, 50.0})
            result.metrics.push_back(record(0, t));
        result.evaluationSeconds = 30;
        core::EvalReport report;
        report.base.knnTop1 = 0.70;
        report.adapted = core::ProbeScores{};
        report.adapted->knnTop1 = 0.73;
        result.evaluation = report;
        card.showResult(result);
        QCOMPARE(card.figure(QStringLiteral("Total time")), QStringLiteral("4:10")); // 220 s + 30 s
        QCOMPARE(card.figure(QStringLiteral("Adapter share")), QStringLiteral("0.87 %"));
        QVERIFY(card.findChildren<QLabel *>().size() > 0);
        bool trainableNamed = false;
        for (const auto *label : card.findChildren<QLabel *>())
            trainableNamed |= label->text().startsWith(QStringLiteral("36.5 % trainable with the projection head"));
        QVERIFY(trainableNamed);

        // A stopped run is not told to give a test folder it had.
        result.summary.status = core::RunStatus::Stopped;
        result.evaluation.reset();
        result.noEvaluation = QStringLiteral("stopped before its end: Resume finishes the run and evaluates it");
        card.showResult(result);
        bool toldWhy = false;
        for (const auto *label : card.findChildren<QLabel *>())
            toldWhy |= label->text() == result.noEvaluation;
        QVERIFY(toldWhy);
        QCOMPARE(card.figure(QStringLiteral("Total time")), QStringLiteral("3:40")); // no evaluation time
    }

    void plotsFollowTheDataAndEachRunIsFitted()
    {
        // The plots follow new data; a wheel zoom stops that for the run shown, and the next run
        // (clear) is fitted again, so its curves are never left outside a stale view.
        ui::CurvesPanel panel;
        panel.resize(900, 600);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto *loss = panel.plots().front();
        panel.addRecord(record(0, 0));
        panel.addRecord(record(10, 1));
        QTRY_VERIFY(loss->yAxis->range().upper > 4);
        auto high = record(20, 2);
        high.loss = high.clusterLoss = 50;
        panel.addRecord(high);
        QTRY_VERIFY(loss->yAxis->range().upper > 20); // the smoothed curve rises to about 28

        const QPointF centre = loss->rect().center();
        QWheelEvent wheel(centre, loss->mapToGlobal(centre), {}, {0, 120}, Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(loss, &wheel);
        panel.clear();
        // Until the next run's first record, neutral axes: not the last run's steps and losses.
        QCOMPARE(loss->xAxis->range(), QCPRange(0, 1));
        QCOMPARE(loss->yAxis->range(), QCPRange(0, 1));
        for (std::int64_t step : {0, 10, 20}) {
            auto r = record(step, 0);
            r.loss = r.clusterLoss = 500;
            panel.addRecord(r);
        }
        QTRY_VERIFY(loss->yAxis->range().contains(500));
    }

    void pausingNeverLeavesTheFocusOnStop()
    {
        // Space presses the focused button: after Pause the focus must be on Resume, not Stop.
        ui::RunControlBar bar;
        bar.show();
        QApplication::setActiveWindow(&bar);
        QVERIFY(QTest::qWaitForWindowActive(&bar));
        bar.setState(ui::AppState::Training, true, false, false);
        bar.pauseButton()->setFocus();
        QTRY_VERIFY(bar.pauseButton()->hasFocus());
        bar.setState(ui::AppState::Paused, true, false, false);
        QVERIFY(bar.resumeButton()->hasFocus());
        bar.setState(ui::AppState::Training, true, false, false);
        QVERIFY(bar.pauseButton()->hasFocus());
    }

    void resultCardOpensPerClassTables()
    {
        ui::ResultCard card;
        ui::ResultCard::Result result;
        result.runName = QStringLiteral("run-2");
        result.summary.status = core::RunStatus::Finished;
        core::EvalReport report;
        report.base.knnTop1 = 0.5;
        report.adapted = core::ProbeScores{};
        report.adapted->knnTop1 = 0.6;
        report.testImages = 30;
        result.evaluation = report;
        card.showResult(result);
        QVERIFY(!card.showClassResults()); // an eval.json written before per-class scores existed

        report.perClass = {{"Sneaker", 10, 0.9, 0.7}, {"Shirt", 20, 0.3, 0.6}};
        report.source = core::SourceScores{};
        report.source->images = 40;
        report.source->perClassFromHead = true;
        report.source->perClass = {{"7", 40, 0.95, 0.90}};
        result.evaluation = report;
        card.showResult(result);
        auto *dialog = card.showClassResults();
        QVERIFY(dialog);
        auto *target = dialog->targetTable();
        QCOMPARE(target->rowCount(), 2);
        QCOMPARE(target->item(0, 0)->text(), QStringLiteral("Sneaker")); // the folder's order first
        target->sortItems(4, Qt::DescendingOrder); // by gain, largest first: numbers, not text
        QCOMPARE(target->item(0, 0)->text(), QStringLiteral("Shirt"));
        QCOMPARE(target->item(0, 4)->text(), QStringLiteral("+30.0"));
        QCOMPARE(target->item(1, 4)->text(), QStringLiteral("-20.0"));
        QCOMPARE(target->item(0, 4)->foreground().color(), ui::palette::kGood);
        QCOMPARE(target->item(1, 4)->foreground().color(), ui::palette::kBad);
        auto *source = dialog->sourceTable();
        QCOMPARE(source->rowCount(), 1);
        QCOMPARE(source->item(0, 4)->text(), QStringLiteral("+5.0")); // a drop of 5 points: forgetting
        QCOMPARE(source->item(0, 4)->foreground().color(), ui::palette::kBad);

        // Showing another run's result follows it; clearing the card closes the tables.
        report.perClass.pop_back();
        result.evaluation = report;
        card.showResult(result);
        QCOMPARE(target->rowCount(), 1);
        card.clear();
        QVERIFY(!dialog->isVisible());
    }

    void estimateComesFromTheNewestComparableRun()
    {
        core::TrainConfig form;
        form.weights = "base.safetensors";
        form.target = "target";
        form.targetTest = "test";
        form.steps = 200;
        form.batchSize = 32;
        std::vector<core::RunRecord> runs;
        QVERIFY(!ui::estimateRun(form, 1000, runs));
        QCOMPARE(ui::startHint({}, std::nullopt, false).text, QStringLiteral("Ready: press Start"));
        QVERIFY(ui::startHint({}, std::nullopt, false).detail.contains(QStringLiteral("the first run measures")));
        QVERIFY(ui::startHint({}, std::nullopt, true)
                    .detail.contains(QStringLiteral("no earlier run of this session has these settings")));
        // Before any run has measured it, the memory comes from the model, and says so.
        core::MemoryEstimate modelled;
        modelled.activations = 3LL << 30;
        const auto withMemory = ui::startHint({}, std::nullopt, false, modelled);
        QVERIFY2(withMemory.text.startsWith(QStringLiteral("Ready: press Start · about 3.6 GB of memory (estimated)")),
                 qPrintable(withMemory.text));
        const auto tooLarge = ui::startHint({}, std::nullopt, false, modelled, 2'000'000'000);
        QVERIFY2(tooLarge.text.contains(QStringLiteral("about 3.6 GB, over this machine's 2.0 GB")),
                 qPrintable(tooLarge.text));
        QVERIFY(tooLarge.detail.contains(QStringLiteral("lower the batch size")));
        QVERIFY(withMemory.detail.contains(QStringLiteral("modelled from the backbone")));

        core::RunRecord otherBatch; // newest, but a step of it costs something else
        otherBatch.dir = "/runs/run-3";
        otherBatch.config = form;
        otherBatch.config.batchSize = 64;
        otherBatch.summary = core::TrainSummary{};
        otherBatch.summary->steps = 100;
        otherBatch.summary->wallSeconds = 100;
        core::RunRecord resumed; // another budget and seed: the same cost per step
        resumed.dir = "/runs/run-2";
        resumed.config = form;
        resumed.config.steps = 150;
        resumed.config.seed = 9;
        resumed.summary = core::TrainSummary{};
        resumed.summary->steps = 150;
        resumed.summary->resumedFrom = 100; // its wall time covers the last 50 steps only
        resumed.summary->wallSeconds = 25;
        resumed.summary->peakResidentBytes = std::int64_t{2} << 30;
        resumed.evaluation = core::EvalReport{};
        resumed.evaluation->seconds = 12;
        runs = {otherBatch, resumed};

        auto estimate = ui::estimateRun(form, 1000, runs);
        QVERIFY(estimate);
        QCOMPARE(estimate->basedOn, QStringLiteral("run-2"));
        QCOMPARE(estimate->trainingSeconds, 100.0); // 200 steps at 0.5 s
        QCOMPARE(estimate->evaluationSeconds, 12.0);
        QCOMPARE(ui::estimateText(*estimate),
                 QStringLiteral("about 1:40 training + 0:12 evaluation, 2.0 GiB peak memory (measured on run-2)"));
        const auto hint = ui::startHint(QStringLiteral("run-1"), estimate, true);
        QCOMPARE(hint.text, QStringLiteral("Ready: Start a new run (about 1:52, 2.0 GiB), or Resume run-1"));
        QVERIFY(hint.detail.contains(ui::estimateText(*estimate)));

        form.steps = 0; // 2 epochs of 1,000 images in batches of 32: 62 steps
        form.epochs = 2;
        QCOMPARE(ui::estimateRun(form, 1000, runs)->trainingSeconds, 31.0);
        form.targetTest.clear(); // no evaluation next time
        QCOMPARE(ui::estimateRun(form, 1000, runs)->evaluationSeconds, -1.0);
        form.loraRank = 16; // nothing comparable
        QVERIFY(!ui::estimateRun(form, 1000, runs));
    }
};

QTEST_MAIN(TestMonitor)
#include "tst_monitor.moc"
