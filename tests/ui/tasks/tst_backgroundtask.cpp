// BackgroundTask's contract with the window: progress first, then the outcome and finished, and
// by the time a receiver sees the outcome the task no longer counts as running. Panels rely on
// that to clear or keep their status lines (an outcome handled while isRunning() still said true
// left a stale error in the embeddings panel).
#include "tasks/backgroundtask.h"
#include "tasks/taskerror.h"

#include <QtTest>

#include <stdexcept>

using namespace upstep;

class TestBackgroundTask : public QObject {
    Q_OBJECT

    /// Runs work to its end and returns what the receivers saw, in order.
    static QStringList observe(ui::BackgroundTask::Work work)
    {
        ui::BackgroundTask task(QStringLiteral("Testing"), std::move(work));
        QStringList seen;
        QObject::connect(&task, &ui::BackgroundTask::progressed,
                         [&](const core::Progress &p) { seen << QStringLiteral("progress %1").arg(p.done); });
        QObject::connect(&task, &ui::BackgroundTask::succeeded, [&](const QVariant &result) {
            seen << QStringLiteral("succeeded %1 running=%2").arg(result.toInt()).arg(task.isRunning());
        });
        QObject::connect(&task, &ui::BackgroundTask::failed, [&](const ui::TaskError &error) {
            seen << QStringLiteral("failed running=%1: %2").arg(task.isRunning()).arg(error.message);
        });
        QObject::connect(&task, &ui::BackgroundTask::finished,
                         [&] { seen << QStringLiteral("finished running=%1").arg(task.isRunning()); });
        task.start();
        if (!task.isRunning())
            seen << QStringLiteral("not running after start");
        if (!QTest::qWaitFor([&] { return seen.size() > 0 && seen.last().startsWith("finished"); }, 30000))
            seen << QStringLiteral("timed out");
        return seen;
    }

private slots:
    void initTestCase() { ui::registerCoreTypes(); }

    void successComesAfterProgressWithTheTaskSettled()
    {
        const auto seen = observe([](const core::ProgressSink &progress, core::StopFlag) {
            progress({"working", 3, 3});
            return QVariant(42);
        });
        QCOMPARE(seen, (QStringList{"progress 3", "succeeded 42 running=0", "finished running=0"}));
    }

    void failureCarriesTheMessageWithTheTaskSettled()
    {
        const auto seen = observe([](const core::ProgressSink &, core::StopFlag) -> QVariant {
            throw std::runtime_error("the folder vanished");
        });
        QCOMPARE(seen.size(), 2);
        QVERIFY2(seen[0].startsWith("failed running=0") && seen[0].contains("the folder vanished"),
                 qPrintable(seen[0]));
        QCOMPARE(seen[1], QStringLiteral("finished running=0"));
    }
};

QTEST_MAIN(TestBackgroundTask)
#include "tst_backgroundtask.moc"
