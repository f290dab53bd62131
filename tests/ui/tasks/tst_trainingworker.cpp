// The workbench's training thread on real Fashion-MNIST images with a tiny ViT: signals arrive,
// pause holds the loop, stop writes a checkpoint that a later run resumes, and errors from core
// (a missing folder, a diverging loss) arrive as failed(), never as a crash.
#include "upstep/common/hardware.h"
#include "run/checkpoint.h"
#include "tasks/trainingsession.h"

#include "fixtures.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace upstep;
namespace fs = std::filesystem;

class TestTrainingWorker : public QObject {
    Q_OBJECT

    fs::path root() const { return m_dir.path().toStdString(); }

    ui::TrainingJob job(std::int64_t steps, const std::string &run) const
    {
        ui::TrainingJob j;
        j.config = test::tinyTrainConfig(root(), steps);
        j.config.checkpointEvery = 0;
        j.config.seed = 3;
        j.runDir = QString::fromStdString((root() / run).string());
        return j;
    }

    /// The highest step seen in the spy's "adapting" progress events.
    static std::int64_t lastStep(const QSignalSpy &spy)
    {
        std::int64_t step = -1;
        for (const auto &args : spy) {
            const auto p = args.at(0).value<core::Progress>();
            if (p.stage == "adapting")
                step = std::max(step, p.done);
        }
        return step;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        ui::registerCoreTypes();
        core::setComputeThreads(1);
        test::writeTinyVit(root() / "tiny.safetensors");
        test::importFashionSubset(root() / "target", "train", 96);
    }

    void runEmitsProgressMetricsAndFinished()
    {
        ui::TrainingSession session;
        QSignalSpy progress(&session, &ui::TrainingSession::progressed);
        QSignalSpy metrics(&session, &ui::TrainingSession::metricsReady);
        QSignalSpy trained(&session, &ui::TrainingSession::trainingFinished);
        QSignalSpy failed(&session, &ui::TrainingSession::failed);
        QSignalSpy finished(&session, &ui::TrainingSession::finished);
        QVERIFY(session.start(job(8, "run-signals")));
        QCOMPARE(session.state(), ui::TrainingSession::State::Training);
        QVERIFY(!session.start(job(8, "run-other"))); // one run at a time
        QVERIFY(finished.wait(120000));
        QCOMPARE(failed.count(), 0);
        QCOMPARE(trained.count(), 1);
        const auto summary = trained.at(0).at(0).value<core::TrainSummary>();
        QCOMPARE(summary.status, core::RunStatus::Finished);
        QCOMPARE(summary.steps, std::int64_t{8});
        QCOMPARE(metrics.count(), 5); // steps 0, 2, 4, 6, 8
        QCOMPARE(metrics.last().at(0).value<core::MetricsRecord>().step, std::int64_t{8});
        QCOMPARE(lastStep(progress), std::int64_t{8});
        QCOMPARE(session.state(), ui::TrainingSession::State::Idle);
        QVERIFY(fs::exists(root() / "run-signals" / "adapter.safetensors"));
    }

    void pauseHoldsAndResumeContinues()
    {
        ui::TrainingSession session;
        QSignalSpy progress(&session, &ui::TrainingSession::progressed);
        QSignalSpy finished(&session, &ui::TrainingSession::finished);
        QVERIFY(session.start(job(400, "run-pause")));
        QTRY_VERIFY_WITH_TIMEOUT(lastStep(progress) >= 2, 60000);
        session.pause();
        QCOMPARE(session.state(), ui::TrainingSession::State::Paused);
        QTest::qWait(500); // the iteration in flight finishes
        const auto held = lastStep(progress);
        QTest::qWait(1500);
        QCOMPARE(lastStep(progress), held);
        session.resume();
        QTRY_VERIFY_WITH_TIMEOUT(lastStep(progress) > held, 30000);
        session.stop();
        QVERIFY(finished.wait(60000));
    }

    void stopWritesCheckpointThatResumes()
    {
        const auto run = root() / "run-stop";
        {
            ui::TrainingSession session;
            QSignalSpy progress(&session, &ui::TrainingSession::progressed);
            QSignalSpy trained(&session, &ui::TrainingSession::trainingFinished);
            QSignalSpy finished(&session, &ui::TrainingSession::finished);
            QVERIFY(session.start(job(40, "run-stop")));
            QTRY_VERIFY_WITH_TIMEOUT(lastStep(progress) >= 3, 60000);
            session.stop();
            QCOMPARE(session.state(), ui::TrainingSession::State::Stopping);
            QVERIFY(finished.wait(60000));
            const auto summary = trained.at(0).at(0).value<core::TrainSummary>();
            QCOMPARE(summary.status, core::RunStatus::Stopped);
            QVERIFY(summary.steps < 40);
            const auto checkpoints = core::listCheckpoints(run / "checkpoints");
            QCOMPARE(checkpoints.size(), std::size_t{1});
            QVERIFY(checkpoints.front().filename().string().find(std::to_string(summary.steps)) != std::string::npos);
        }
        // A new session (as after an app restart) continues from the checkpoint to the end.
        ui::TrainingSession session;
        QSignalSpy trained(&session, &ui::TrainingSession::trainingFinished);
        QSignalSpy finished(&session, &ui::TrainingSession::finished);
        auto resumed = job(40, "run-stop");
        resumed.resume = true;
        QVERIFY(session.start(resumed));
        QVERIFY(finished.wait(120000));
        const auto summary = trained.at(0).at(0).value<core::TrainSummary>();
        QCOMPARE(summary.status, core::RunStatus::Finished);
        QCOMPARE(summary.steps, std::int64_t{40});
        QVERIFY(summary.resumedFrom > 0);
    }

    void destroyedDuringARunStopsWithACheckpoint()
    {
        // Closing the window mid-run destroys the session: it must stop the run (checkpoint on
        // disk) and return, not wait forever for a thread whose quit is queued to this thread.
        {
            ui::TrainingSession session;
            QSignalSpy progress(&session, &ui::TrainingSession::progressed);
            QVERIFY(session.start(job(100000, "run-destroyed")));
            QTRY_VERIFY_WITH_TIMEOUT(lastStep(progress) >= 2, 60000);
        }
        QCOMPARE(core::listCheckpoints(root() / "run-destroyed" / "checkpoints").size(), std::size_t{1});
    }

    void coreErrorArrivesAsSignal()
    {
        ui::TrainingSession session;
        QSignalSpy failed(&session, &ui::TrainingSession::failed);
        QSignalSpy finished(&session, &ui::TrainingSession::finished);
        auto bad = job(4, "run-missing");
        bad.config.target = (root() / "no-such-folder").string();
        QVERIFY(session.start(bad));
        QVERIFY(finished.wait(60000));
        QCOMPARE(failed.count(), 1);
        const auto error = failed.at(0).at(0).value<ui::TaskError>();
        QVERIFY2(error.message.contains(QStringLiteral("no-such-folder")), qPrintable(error.message));
        QCOMPARE(session.state(), ui::TrainingSession::State::Idle);
    }

    void divergenceArrivesAsSignal()
    {
        ui::TrainingSession session;
        QSignalSpy failed(&session, &ui::TrainingSession::failed);
        QSignalSpy finished(&session, &ui::TrainingSession::finished);
        auto diverging = job(10, "run-nan");
        diverging.injectNanAtStep = 4; // a kept (back-propagated) step
        QVERIFY(session.start(diverging));
        QVERIFY(finished.wait(60000));
        QCOMPARE(failed.count(), 1);
        const auto error = failed.at(0).at(0).value<ui::TaskError>();
        QVERIFY2(error.details.contains(QStringLiteral("step")), qPrintable(error.details));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestTrainingWorker)
#include "tst_trainingworker.moc"
