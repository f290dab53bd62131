// Where outputs may go and how they land: output places checked before the work starts
// (filesystem root, a file in the folder path, a folder that takes no files), folders built
// beside their place and renamed into it, leftovers of killed writers removed, and two files
// made ready and then put in place together.
#include "io/stagingfolder.h"
#include "upstep/common/error.h"
#include "upstep/io/atomicfile.h"
#include "upstep/io/outputpath.h"

#include "testdata.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

using namespace upstep::core;
namespace fs = std::filesystem;

namespace {

// A PID that certainly does not run: a child that has exited and been reaped.
pid_t finishedPid()
{
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child;
}

void expectIoError(const fs::path &target, const QString &problem)
{
    try {
        checkOutputLocation(target);
        QFAIL(qPrintable("accepted " + QString::fromStdString(target.string())));
    } catch (const IoError &e) {
        QVERIFY2(QString(e.what()).contains(problem), e.what());
    }
}

} // namespace

class TestOutputs : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    fs::path root() const { return m_dir.path().toStdString(); }

private slots:
    void trailingSeparatorsAreDropped()
    {
        QCOMPARE(withoutTrailingSeparator("out/").string(), std::string("out"));
        QCOMPARE(withoutTrailingSeparator("a/b//").string(), std::string("a/b"));
        QCOMPARE(withoutTrailingSeparator("/").string(), std::string("/"));
        QCOMPARE(withoutTrailingSeparator("plain").string(), std::string("plain"));
    }

    void badOutputPlacesAreRefusedUpFront()
    {
        expectIoError("/", "filesystem root");
        expectIoError("//", "filesystem root");
        upstep::test::writeBytes(root() / "afile", "x");
        expectIoError(root() / "afile" / "run", "is a file, not a folder");
        expectIoError(root() / "afile" / "deeper" / "run", "is a file, not a folder");
        expectIoError("/proc/upstep-run", "cannot create files in /proc");
        checkOutputLocation(root() / "new" / "deeper" / "run"); // missing folders are made later
        checkOutputLocation(root() / "afile");                  // replacing a file is allowed here
        // An output that is one file may replace a file, never a folder: the write would fail
        // only after the work.
        checkOutputFile(root() / "afile");
        fs::create_directories(root() / "afolder");
        checkOutputLocation(root() / "afolder"); // a run folder written in place
        QVERIFY_THROWS_EXCEPTION(IoError, checkOutputFile(root() / "afolder"));
        try {
            checkOutputFile(root() / "afolder");
        } catch (const IoError &error) {
            QVERIFY2(std::string(error.what()).find("is a folder") != std::string::npos, error.what());
        }
        fs::remove(root() / "afolder"); // the next test counts what the folder holds
        for (const auto &entry : fs::directory_iterator(root()))
            QVERIFY2(entry.path().filename().string().rfind(".upstep-write-test", 0) != 0, "probe file left behind");
    }

    void stagingFolderPublishesWholeOrNothing()
    {
        const auto target = root() / "export";
        {
            StagingFolder staging(target);
            upstep::test::writeBytes(staging.path() / "a.txt", "half");
            // destroyed without publish: a failure or an exception
        }
        QVERIFY(!fs::exists(target));
        QCOMPARE(std::distance(fs::directory_iterator(root()), fs::directory_iterator()),
                 std::ptrdiff_t(fs::exists(root() / "afile") ? 1 : 0));
        {
            StagingFolder staging(target);
            upstep::test::writeBytes(staging.path() / "a.txt", "first");
            staging.publish(false);
        }
        QCOMPARE(upstep::test::readBytes(target / "a.txt"), std::string("first"));
        {
            StagingFolder staging(target);
            QVERIFY_THROWS_EXCEPTION(InputError, staging.publish(false));
            upstep::test::writeBytes(staging.path() / "b.txt", "second");
            staging.publish(true);
        }
        QVERIFY(!fs::exists(target / "a.txt"));
        QCOMPARE(upstep::test::readBytes(target / "b.txt"), std::string("second"));
    }

    void leftoversOfKilledWritersAreRemoved()
    {
        const auto target = root() / "peft";
        const auto dead = std::to_string(finishedPid());
        const auto alive = std::to_string(::getppid());
        fs::create_directories(root() / ("peft.partial-" + dead));
        fs::create_directories(root() / ("peft.old-" + dead)); // with peft present: a leftover
        fs::create_directories(root() / "peft");
        fs::create_directories(root() / ("peft.partial-" + alive)); // a live writer's: kept
        fs::create_directories(root() / "peft.partial-notapid");
        StagingFolder staging(target);
        QVERIFY(!fs::exists(root() / ("peft.partial-" + dead)));
        QVERIFY(!fs::exists(root() / ("peft.old-" + dead)));
        QVERIFY(fs::exists(root() / ("peft.partial-" + alive)));
        QVERIFY(fs::exists(root() / "peft.partial-notapid"));

        // Killed between moving the previous output aside and putting the new one in place: the
        // previous output is the only copy, and it is moved back.
        fs::create_directories(root() / ("merged.old-" + dead));
        upstep::test::writeBytes(root() / ("merged.old-" + dead) / "model.safetensors", "previous");
        StagingFolder again(root() / "merged/"); // a trailing slash names the same folder
        QCOMPARE(upstep::test::readBytes(root() / "merged" / "model.safetensors"), std::string("previous"));
        QCOMPARE(again.path(), root() / ("merged.partial-" + std::to_string(::getpid())));
    }

    // sync() then commit(): the first file waits, ready, until the second is in place.
    void twoFilesLandTogether()
    {
        const auto index = root() / "pair.csv";
        const auto data = root() / "pair.bin";
        upstep::test::writeBytes(index, "old index");
        upstep::test::writeBytes(data, "old data");
        {
            AtomicFileWriter first(index);
            first.write("new index");
            first.sync();
            QCOMPARE(upstep::test::readBytes(index), std::string("old index"));
            // the second write fails here (a full disk): the first is dropped with it
        }
        QCOMPARE(upstep::test::readBytes(index), std::string("old index"));
        AtomicFileWriter first(index);
        first.write("new index");
        first.sync();
        writeFileAtomically(data, "new data");
        first.commit();
        QCOMPARE(upstep::test::readBytes(index), std::string("new index"));
        QCOMPARE(upstep::test::readBytes(data), std::string("new data"));
    }
};

QTEST_GUILESS_MAIN(TestOutputs)
#include "tst_outputs.moc"
