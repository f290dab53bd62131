// The run folder's formats as core/run/ owns them: the checkpoint's tensor names (the on-disk
// layout other tools and older runs depend on), its typed round trip and refusal of a checkpoint
// that misses a piece; the metrics log's tolerance of a torn line and its truncation on resume;
// the config writer.
#include "io/safetensors.h"
#include "run/checkpoint.h"
#include "run/metricslog.h"
#include "run/runlock.h"
#include "upstep/common/error.h"
#include "upstep/run/runfolderuse.h"
#include "upstep/run/trainconfig.h"

#include "testdata.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

using namespace upstep::core;
namespace fs = std::filesystem;

class TestRunFolder : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path root() const { return m_dir.path().toStdString(); }

    static Checkpoint sampleCheckpoint(std::int64_t step)
    {
        Checkpoint c;
        c.step = step;
        c.lora["blocks.0.attn.qkv.lora_A.weight"] = torch::randn({2, 4});
        c.head["projection.weight"] = torch::randn({3, 4});
        c.offline = {torch::randn({5}), torch::randn({6})};
        c.centerMu = torch::randn({4});
        c.centerMu0 = torch::randn({4});
        c.gateState = {1.5, -2.0, 3.25};
        c.optimizerArchive = std::string("opt\0imizer", 10);
        c.cpuRngState = torch::randint(0, 255, {16}, torch::kUInt8);
        c.metadata["upstep.fingerprint"] = "abc";
        return c;
    }

private slots:
    void checkpointFileLayout()
    {
        const auto dir = root() / "layout";
        const auto file = saveCheckpoint(dir, sampleCheckpoint(7), 2);
        QCOMPARE(file.filename().string(), std::string("step-00000007.safetensors"));
        const auto raw = loadSafetensors(file);
        std::vector<std::string> names;
        for (const auto &[name, _] : raw.tensors)
            names.push_back(name);
        QCOMPARE(names, (std::vector<std::string>{"center/mu", "center/mu0", "gate/state", "head/projection.weight",
                                                  "lora/blocks.0.attn.qkv.lora_A.weight", "offline/0", "offline/1",
                                                  "optimizer/archive", "rng/cpu"}));
        QCOMPARE(raw.tensors.at("gate/state").scalar_type(), torch::kFloat64);
        QCOMPARE(raw.tensors.at("optimizer/archive").scalar_type(), torch::kUInt8);
        QCOMPARE(raw.metadata.at("upstep.step"), std::string("7"));
        QCOMPARE(raw.metadata.at("upstep.fingerprint"), std::string("abc"));
    }

    void checkpointRoundTripKeepsNewest()
    {
        const auto dir = root() / "roundtrip";
        QVERIFY(!loadLatestCheckpoint(dir));
        for (std::int64_t step : {10, 20, 30})
            saveCheckpoint(dir, sampleCheckpoint(step), 2);
        QCOMPARE(listCheckpoints(dir).size(), std::size_t{2});
        const auto written = sampleCheckpoint(40);
        saveCheckpoint(dir, written, 2);
        const auto read = loadLatestCheckpoint(dir);
        QVERIFY(read);
        QCOMPARE(read->step, std::int64_t{40});
        QVERIFY(torch::equal(read->lora.at("blocks.0.attn.qkv.lora_A.weight"),
                             written.lora.at("blocks.0.attn.qkv.lora_A.weight")));
        QVERIFY(torch::equal(read->head.at("projection.weight"), written.head.at("projection.weight")));
        QCOMPARE(read->offline.size(), std::size_t{2});
        QVERIFY(torch::equal(read->offline[1], written.offline[1]));
        QVERIFY(torch::equal(read->centerMu0, written.centerMu0));
        QCOMPARE(read->gateState, written.gateState);
        QCOMPARE(read->optimizerArchive, written.optimizerArchive);
        QVERIFY(torch::equal(read->cpuRngState, written.cpuRngState));
    }

    void checkpointMissingPieceIsAFormatError()
    {
        const auto dir = root() / "damaged";
        const auto file = saveCheckpoint(dir, sampleCheckpoint(5), 1);
        auto raw = loadSafetensors(file);
        raw.tensors.erase("center/mu0");
        saveSafetensors(file, raw.tensors, raw.metadata);
        try {
            loadLatestCheckpoint(dir);
            QFAIL("no exception");
        } catch (const FormatError &e) {
            QVERIFY2(std::string(e.what()).find("center/mu0") != std::string::npos, e.what());
        }
    }

    void metricsLogSkipsTornLinesAndTruncates()
    {
        const auto file = root() / "metrics.jsonl";
        {
            MetricsLog log(file, false);
            for (std::int64_t step : {0, 10, 20, 30}) {
                MetricsRecord r;
                r.step = step;
                r.loss = 1.0 / (1 + step);
                log.append(r);
            }
        }
        std::ofstream(file, std::ios::app) << "{\"step\": \"x\"}\n[1]\n" // foreign lines
                                           << "{\"step\": 40, \"lo";     // a writer killed mid-line
        const auto records = readMetricsLog(file);
        QCOMPARE(records.size(), std::size_t{4});
        QCOMPARE(records.back().step, std::int64_t{30});
        QCOMPARE(records[1].loss, 1.0 / 11);

        truncateMetricsLog(file, 10);
        const auto kept = readMetricsLog(file);
        QCOMPARE(kept.size(), std::size_t{2});
        QCOMPARE(kept.back().step, std::int64_t{10});

        MetricsLog resumed(file, true);
        MetricsRecord r;
        r.step = 20;
        resumed.append(r);
        QCOMPARE(readMetricsLog(file).size(), std::size_t{3});
        QVERIFY(readMetricsLog(root() / "missing.jsonl").empty());
    }

    void configNumbersAreNeverWrappedOrTruncated_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("problem");
        QTest::addRow("batch over int") << R"({"batch_size": 4294967328})"
                                        << "'batch_size' is out of range";
        QTest::addRow("fractional steps") << R"({"steps": 20.9})"
                                          << "'steps' must be a whole number";
        QTest::addRow("negative seed") << R"({"seed": -1})"
                                       << "'seed' is out of range";
        QTest::addRow("number overflow") << R"({"epochs": 1e999})"
                                         << "not valid JSON";
        QTest::addRow("string for a number") << R"({"lora_rank": "8"})"
                                             << "'lora_rank' must be a number";
        QTest::addRow("number for a string") << R"({"weights": 3})"
                                             << "'weights' has the wrong type";
    }

    void configNumbersAreNeverWrappedOrTruncated()
    {
        QFETCH(QString, json);
        QFETCH(QString, problem);
        const auto file = root() / "bad-config.json";
        upstep::test::writeBytes(file, json.toStdString());
        try {
            loadTrainConfig(file.string());
            QFAIL("accepted");
        } catch (const FormatError &e) {
            const QString message = e.what();
            QVERIFY2(message.contains(problem) && message.contains("bad-config.json"), qPrintable(message));
        }
        upstep::test::writeBytes(file, R"({"steps": 20.0, "seed": 18446744073709551615})");
        const auto whole = loadTrainConfig(file.string());
        QCOMPARE(whole.steps, std::int64_t{20});
        QCOMPARE(whole.seed, std::uint64_t{18446744073709551615ull});
    }

    void configValuesAreBoundedBeforeAnythingIsAllocated_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("problem");
        QTest::addRow("epochs 1e18") << "epochs" << 1e18 << "epochs must be at most";
        QTest::addRow("prototypes 1e9") << "prototypes" << 1e9 << "over the limit";
        QTest::addRow("workers 1e6") << "workers" << 1e6 << "workers must lie in";
        QTest::addRow("sinkhorn 1e9") << "sinkhorn_iterations" << 1e9 << "at most 1000";
        QTest::addRow("threads 100000") << "threads" << 1e5 << "threads must lie in";
        QTest::addRow("source probe -5") << "source_probe_images" << -5.0 << "source_probe_images must lie in";
        QTest::addRow("batch 1e6") << "batch_size" << 1e6 << "GB";
        QTest::addRow("steps 1e12") << "steps" << 1e12 << "steps must be at most";
    }

    void configValuesAreBoundedBeforeAnythingIsAllocated()
    {
        QFETCH(QString, key);
        QFETCH(double, value);
        QFETCH(QString, problem);
        auto json = trainConfigToJson(TrainConfig{});
        json["weights"] = "w.safetensors";
        json["target"] = "images";
        json["steps"] = 10;
        json[key.toStdString()] = static_cast<std::int64_t>(value);
        try {
            validateTrainConfig(trainConfigFromJson(json));
            QFAIL("accepted");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains(problem), e.what());
        }
    }

    // flock() locks belong to an open file, so a second lock in this process is refused just as
    // another process's would be.
    void runFolderLockRefusesASecondWriter()
    {
        const auto folder = root() / "locked-run";
        QVERIFY(!runFolderInUse(folder)); // never locked: no run.lock
        {
            RunFolderLock first(folder);
            QVERIFY(fs::is_directory(folder));
            QVERIFY(runFolderInUse(folder)); // what a run list shows as "in use elsewhere"
            try {
                RunFolderLock second(folder);
                QFAIL("two writers held one run folder");
            } catch (const InputError &e) {
                const QString message = e.what();
                QVERIFY2(message.contains("is in use by another process (PID " + QString::number(::getpid()) + ")"),
                         qPrintable(message));
            }
        }
        QVERIFY(!runFolderInUse(folder)); // released with its holder; run.lock stays
        RunFolderLock again(folder); // released with its holder
        again.releaseAndRemoveIfUnused();
        QVERIFY(fs::exists(folder)); // it did not create the folder, so it keeps it

        const auto fresh = root() / "refused-run";
        RunFolderLock refused(fresh);
        refused.releaseAndRemoveIfUnused(); // as when the run is refused before writing anything
        QVERIFY(!fs::exists(fresh));
    }

    // A window listing its runs probes each lock with a brief shared lock; a run that starts in
    // that moment waits for the probe instead of being refused.
    void runFolderLockWaitsOutABriefProbe()
    {
        const auto folder = root() / "probed-run";
        {
            RunFolderLock made(folder);
        } // leaves run.lock behind, as a finished run does
        const int probe = ::open((folder / RunFolderLock::kFileName).c_str(), O_RDONLY | O_CLOEXEC);
        QVERIFY(probe >= 0);
        QVERIFY(::flock(probe, LOCK_SH | LOCK_NB) == 0);
        std::thread release([probe] {
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            ::close(probe);
        });
        try {
            RunFolderLock writer(folder);
            QVERIFY(runFolderInUse(folder));
        } catch (const std::exception &e) {
            release.join();
            QFAIL(e.what());
        }
        release.join();
    }

    void staleTemporariesAreRemoved()
    {
        const auto folder = root() / "killed-run";
        fs::create_directories(folder / "checkpoints");
        for (const auto &file :
             {folder / ".config.json.tmp123456", folder / "checkpoints" / ".step-00000010.safetensors.tmp42",
              folder / "checkpoints" / "step-00000010.safetensors", folder / "notes.tmp1", folder / ".hidden.tmpx"})
            upstep::test::writeBytes(file, "x");
        removeStaleTemporaries(folder);
        QVERIFY(!fs::exists(folder / ".config.json.tmp123456"));
        QVERIFY(!fs::exists(folder / "checkpoints" / ".step-00000010.safetensors.tmp42"));
        QVERIFY(fs::exists(folder / "checkpoints" / "step-00000010.safetensors"));
        QVERIFY(fs::exists(folder / "notes.tmp1")); // not an atomic writer's name
        QVERIFY(fs::exists(folder / ".hidden.tmpx"));
    }

    void configWriterRoundTrips()
    {
        TrainConfig config;
        config.weights = "base.safetensors";
        config.target = "images";
        config.loraRank = 4;
        config.gate = GatePolicy::None;
        const auto file = root() / "config.json";
        saveTrainConfig(config, file);
        const auto read = loadTrainConfig(file.string());
        QCOMPARE(read.loraRank, 4);
        QCOMPARE(read.gate, GatePolicy::None);
        QCOMPARE(trainConfigToJson(read), trainConfigToJson(config));
    }
};

QTEST_GUILESS_MAIN(TestRunFolder)
#include "tst_runfolder.moc"
