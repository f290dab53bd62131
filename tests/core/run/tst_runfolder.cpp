// The run folder's formats as core/run/ owns them: the checkpoint's tensor names (the on-disk
// layout other tools and older runs depend on), its typed round trip and refusal of a checkpoint
// that misses a piece; the metrics log's tolerance of a torn line and its truncation on resume;
// the config writer.
#include "io/safetensors.h"
#include "run/checkpoint.h"
#include "run/metricslog.h"
#include "upstep/common/error.h"
#include "upstep/run/trainconfig.h"

#include "testdata.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

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
        std::ofstream(file, std::ios::app) << "{\"step\": 40, \"lo"; // a writer killed mid-line
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
