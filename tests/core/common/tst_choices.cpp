// The choice tables: names round-trip, unknown names are refused with the allowed list, devices
// parse, and TrainConfig and summary.json read and write the names the tables hold.
#include "upstep/common/choices.h"
#include "upstep/run/trainconfig.h"
#include "upstep/run/trainsummary.h"

#include <nlohmann/json.hpp>

#include <QtTest>

using namespace upstep::core;

class TestChoices : public QObject {
    Q_OBJECT

private slots:
    void namesRoundTrip()
    {
        for (const auto &name : choiceNames<GatePolicy>())
            QCOMPARE(choiceName(choiceFromName<GatePolicy>(name)), name);
        QCOMPARE(choiceNames<Precision>(), (std::vector<std::string>{"auto", "fp32", "bf16"}));
        QCOMPARE(choiceList<RunStatus>(), std::string("finished, stopped, diverged or incomplete"));
        QCOMPARE(choiceFromName<OfflineStream>("shared"), OfflineStream::Shared);
        QCOMPARE(choiceName(ExportFormat::Merged), std::string("merged"));
        QCOMPARE(choiceFromName<EmbedMethod>("tsne"), EmbedMethod::Tsne);
    }

    void unknownNameNamesTheChoices()
    {
        try {
            choiceFromName<GatePolicy>("sometimes");
            QFAIL("no exception");
        } catch (const InputError &e) {
            QCOMPARE(std::string(e.what()),
                     std::string("gate must be alternate, loss-quantile, center or none, got 'sometimes'"));
        }
    }

    void devices_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("index");
        QTest::addRow("auto") << "auto" << true << int(DeviceKind::Auto) << -1;
        QTest::addRow("cpu") << "cpu" << true << int(DeviceKind::Cpu) << -1;
        QTest::addRow("cuda") << "cuda" << true << int(DeviceKind::Cuda) << -1;
        QTest::addRow("cuda:1") << "cuda:1" << true << int(DeviceKind::Cuda) << 1;
        QTest::addRow("cuda:") << "cuda:" << false << 0 << 0;
        QTest::addRow("cuda:-1") << "cuda:-1" << false << 0 << 0;
        QTest::addRow("cuda:1x") << "cuda:1x" << false << 0 << 0;
        QTest::addRow("cpu:0") << "cpu:0" << false << 0 << 0;
        QTest::addRow("gpu") << "gpu" << false << 0 << 0;
        QTest::addRow("empty") << "" << false << 0 << 0;
    }

    void devices()
    {
        QFETCH(QString, name);
        QFETCH(bool, valid);
        if (!valid) {
            try {
                parseDevice(name.toStdString());
                QFAIL("no exception");
            } catch (const InputError &e) {
                QCOMPARE(std::string(e.what()), "device must be auto, cpu, cuda or cuda:N, got '" + name.toStdString() + "'");
            }
            return;
        }
        QFETCH(int, kind);
        QFETCH(int, index);
        const auto device = parseDevice(name.toStdString());
        QCOMPARE(int(device.kind), kind);
        QCOMPARE(device.index, index);
        QCOMPARE(QString::fromStdString(deviceName(device)), name);
    }

    void configFilesKeepTheirNames()
    {
        TrainConfig config;
        config.gate = GatePolicy::LossQuantile;
        config.offline = OfflineStream::Shared;
        config.precision = Precision::Bf16;
        const auto json = trainConfigToJson(config);
        QCOMPARE(json["gate"].get<std::string>(), std::string("loss-quantile"));
        QCOMPARE(json["offline"].get<std::string>(), std::string("shared"));
        QCOMPARE(json["precision"].get<std::string>(), std::string("bf16"));
        const auto back = trainConfigFromJson(json);
        QCOMPARE(back.gate, GatePolicy::LossQuantile);
        QCOMPARE(back.offline, OfflineStream::Shared);
        QCOMPARE(back.precision, Precision::Bf16);

        auto bad = json;
        bad["offline"] = "online";
        QVERIFY_THROWS_EXCEPTION(InputError, trainConfigFromJson(bad));
    }

    void summaryHasOneWriterForEveryStatus()
    {
        TrainSummary stopped;
        stopped.status = RunStatus::Stopped;
        stopped.steps = 7;
        const auto json = summaryToJson(stopped);
        QCOMPARE(json["status"].get<std::string>(), std::string("stopped"));
        QCOMPARE(summaryFromJson(json).status, RunStatus::Stopped);
        QCOMPARE(summaryFromJson(json).steps, std::int64_t{7});

        TrainSummary diverged;
        diverged.status = RunStatus::Diverged;
        diverged.divergedAtStep = 12;
        diverged.message = "loss is NaN";
        diverged.lastCheckpoint = 10;
        const auto written = summaryToJson(diverged);
        QCOMPARE(written, (nlohmann::json{{"status", "diverged"}, {"diverged_at_step", 12}, {"message", "loss is NaN"},
                                          {"last_checkpoint", 10}}));
        const auto read = summaryFromJson(written);
        QCOMPARE(read.status, RunStatus::Diverged);
        QCOMPARE(read.divergedAtStep, std::int64_t{12});
        QCOMPARE(read.lastCheckpoint, std::int64_t{10});
        QCOMPARE(summaryFromJson(nlohmann::json::object()).status, RunStatus::Incomplete);
        QCOMPARE(summaryFromJson(nlohmann::json{{"status", "paused-by-a-newer-version"}}).status, RunStatus::Incomplete);
    }
};

QTEST_GUILESS_MAIN(TestChoices)
#include "tst_choices.moc"
