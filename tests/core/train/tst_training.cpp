// The adaptation engine end to end on real Fashion-MNIST images with a tiny ViT: run folder
// contents, the gate's effect on weights, bit-identical resume, refusal to resume a different
// run, the NaN stop, bad target folders, the config schema and the evaluation report.
#include "upstep/common/error.h"
#include "upstep/eval/evaljob.h"
#include "io/safetensors.h"
#include "method/kmeans.h"
#include "models/backboneloader.h"
#include "models/lora.h"
#include "train/adaptationstep.h"
#include "models/adapterfile.h"
#include "run/checkpoint.h"
#include "run/metricslog.h"
#include "run/runsnapshot.h"
#include "upstep/run/trainconfig.h"
#include "upstep/train/trainer.h"

#include "fixtures.h"
#include "testdata.h"

#include <QtTest>
#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <thread>

using namespace upstep::core;
namespace fs = std::filesystem;

class TestTraining : public QObject {
    Q_OBJECT

    fs::path root() const { return m_dir.path().toStdString(); }

    /// The evaluation of the end-to-end run (endToEndShortAdaptation) on the tiny folders.
    EvalJob e2eEvalJob() const
    {
        EvalJob request;
        request.batchSize = 64;
        request.device = "cpu";
        request.precision = Precision::Fp32;
        request.weights = root() / "tiny.safetensors";
        request.adapter = root() / "run-e2e";
        request.train = root() / "target";
        request.test = root() / "test";
        request.sourceTest = root() / "test";
        request.linearProbeIterations = 20;
        return request;
    }

    TrainConfig smallConfig(std::int64_t steps) const
    {
        auto c = upstep::test::tinyTrainConfig(root(), steps);
        c.checkpointEvery = 4;
        c.workers = 2;
        c.seed = 7;
        return c;
    }

    static std::vector<std::string> readLines(const fs::path &file)
    {
        std::ifstream in(file);
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
        return lines;
    }

    // A fresh run of config in dir, stopped (as by Ctrl-C) once `step` iterations are done.
    static TrainSummary runStoppedAt(std::int64_t step, const TrainConfig &config, const fs::path &dir)
    {
        std::atomic<bool> stop{false};
        TrainCallbacks callbacks;
        callbacks.progress = [&](const Progress &p) {
            if (p.stage == "adapting" && p.done == step)
                stop = true;
        };
        TrainControl control;
        control.stop = &stop;
        return runAdaptation(config, dir, false, callbacks, control);
    }

    static void requireSameTensors(const TensorMap &a, const TensorMap &b)
    {
        QCOMPARE(a.size(), b.size());
        for (const auto &[name, tensor] : a) {
            QVERIFY2(b.count(name), name.c_str());
            QVERIFY2(torch::equal(tensor, b.at(name)), name.c_str());
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        upstep::test::writeTinyVit(root() / "tiny.safetensors");
        upstep::test::importFashionSubset(root() / "target", "train", 96);
        upstep::test::importFashionSubset(root() / "test", "t10k", 100);
    }

    void endToEndShortAdaptation()
    {
        const auto run = root() / "run-e2e";
        std::vector<MetricsRecord> records;
        TrainCallbacks callbacks;
        callbacks.metrics = [&](const MetricsRecord &r) { records.push_back(r); };
        const auto summary = runAdaptation(smallConfig(12), run, false, callbacks);

        QCOMPARE(summary.status, RunStatus::Finished);
        QCOMPARE(summary.steps, std::int64_t{12});
        QCOMPARE(summary.keptSteps, std::int64_t{6}); // alternate: exactly half
        QCOMPARE(summary.skippedSteps, std::int64_t{6});
        QVERIFY(summary.adapterParameters > 0 && summary.adapterParameters < summary.totalParameters);
        for (const auto *file : {"config.json", "metrics.jsonl", "summary.json", "adapter.safetensors"})
            QVERIFY2(fs::exists(run / file), file);
        QCOMPARE(listCheckpoints(run / "checkpoints").size(), std::size_t{2}); // keep the newest two

        // One record at step 0 and one every 2 steps, with every monitor of docs/METHOD.md §7.
        const auto lines = readLines(run / "metrics.jsonl");
        QCOMPARE(lines.size(), std::size_t{7});
        QCOMPARE(records.size(), lines.size());
        const auto last = nlohmann::json::parse(lines.back());
        for (const auto *key : {"loss", "cluster_loss", "cvr_loss", "mu_norm", "center_drift", "feature_drift",
                                "cluster_entropy", "skipped_fraction", "lr", "images_per_second"})
            QVERIFY2(last.contains(key), key);
        QVERIFY(std::isfinite(last["loss"].get<double>()));
        QVERIFY(last["feature_drift"].get<double>() > 0); // the adapters moved the features
        QCOMPARE(last["skipped_fraction"].get<double>(), 0.5);
        QVERIFY(std::abs(nlohmann::json::parse(lines.front())["feature_drift"].get<double>()) < 1e-6); // base = start

        const auto config = loadTrainConfig((run / "config.json").string());
        QCOMPARE(config.steps, std::int64_t{12});
        QCOMPARE(config.seed, std::uint64_t{7});
        const auto adapter = loadAdapterOrRun(run);
        QCOMPARE(adapter.info.rank, 8);
        QCOMPARE(adapter.tensors.at("base_model.model.blocks.0.attn.qkv.lora_A.weight").sizes(),
                 (torch::IntArrayRef{8, 32}));
        QVERIFY(adapter.tensors.at("base_model.model.blocks.1.attn.qkv.lora_B.weight").abs().sum().item<double>() > 0);
    }

    void evalReportSchema()
    {
        auto request = e2eEvalJob();
        std::optional<EvalCostEstimate> estimate;
        int progressBeforeEstimate = 0, featureProgressBeforeEstimate = 0;
        const auto json = evalReportToJson(runEvaluation(
            request,
            [&](const Progress &p) {
                progressBeforeEstimate += estimate ? 0 : 1;
                featureProgressBeforeEstimate += !estimate && p.stage.find("features") != std::string::npos;
            },
            nullptr, [&](const EvalCostEstimate &e) { estimate = e; }));
        // Told once the folders are scanned, before any feature pass.
        QVERIFY(estimate.has_value());
        QVERIFY(progressBeforeEstimate > 0);
        QCOMPARE(featureProgressBeforeEstimate, 0);
        const auto sourceImages = json["source"]["images"].get<std::int64_t>();
        QCOMPARE(estimate->featurePasses, 2 * (json["train_images"].get<std::int64_t>() +
                                               json["test_images"].get<std::int64_t>() + sourceImages));
        QVERIFY(estimate->knnSeconds > 0 && estimate->linearSeconds > 0 && estimate->peakBytes > 0);
        for (const auto *part : {"base", "adapted", "ensemble"}) {
            QVERIFY2(json.contains(part), part);
            for (const auto *key : {"knn_top1", "linear_top1"}) {
                const double v = json[part][key].get<double>();
                QVERIFY(v >= 0 && v <= 1);
            }
        }
        QVERIFY(json["source"].contains("head_top1_base"));
        QVERIFY(json["source"].contains("head_top1_adapted"));
        QVERIFY(json["source"].contains("knn_top1_adapted"));
        QCOMPARE(json["test_images"].get<int>(), 100);
        QCOMPARE(json["classes"].size(), std::size_t{10});

        // By class: every scored image in one row, and the rows' image-weighted mean is the overall
        // score, because both come from the same predictions.
        const auto weightedMean = [](const nlohmann::json &rows, const char *key, std::int64_t &images) {
            double sum = 0;
            images = 0;
            for (const auto &row : rows) {
                images += row["images"].get<std::int64_t>();
                sum += row["images"].get<double>() * row[key].get<double>();
            }
            return images ? sum / static_cast<double>(images) : -1.0;
        };
        std::int64_t images = 0;
        QCOMPARE(json["per_class"].size(), std::size_t{10});
        QVERIFY(std::abs(weightedMean(json["per_class"], "knn_top1_base", images) -
                         json["base"]["knn_top1"].get<double>()) < 1e-9);
        QCOMPARE(images, std::int64_t{100});
        QVERIFY(std::abs(weightedMean(json["per_class"], "knn_top1_adapted", images) -
                         json["adapted"]["knn_top1"].get<double>()) < 1e-9);
        const auto &first = json["per_class"][0];
        QCOMPARE(first["class"].get<std::string>(), json["classes"][0].get<std::string>());
        QVERIFY(std::abs(first["gain"].get<double>() -
                         (first["knn_top1_adapted"].get<double>() - first["knn_top1_base"].get<double>())) < 1e-12);
        const auto &source = json["source"];
        QCOMPARE(source["per_class_measure"].get<std::string>(), std::string("head_top1"));
        QVERIFY(std::abs(weightedMean(source["per_class"], "top1_base", images) -
                         source["head_top1_base"].get<double>()) < 1e-9);
        QCOMPARE(images, source["images"].get<std::int64_t>());
        QVERIFY(std::abs(weightedMean(source["per_class"], "top1_adapted", images) -
                         source["head_top1_adapted"].get<double>()) < 1e-9);

        // The report reads back as it was written (the workbench compares runs from eval.json).
        QCOMPARE(evalReportToJson(evalReportFromJson(json)), json);

        // Without a train folder a seeded half of the test folder is the memory, the rest is scored.
        request.train.clear();
        request.sourceTest.clear();
        const auto halves = runEvaluation(request);
        QCOMPARE(halves.trainImages, std::int64_t{50});
        QCOMPARE(halves.testImages, std::int64_t{50});
        QVERIFY(halves.adapted && halves.adapted->knnTop1 >= 0 && halves.adapted->knnTop1 <= 1);
    }

    // A memo gives a second evaluation against the same base the base side of the first: the
    // same report without a base feature pass. A change of seed (other images, other splits)
    // is computed afresh, and matches an evaluation without a memo.
    void evalBaseMemoReusesOnlyWhatMatches()
    {
        auto request = e2eEvalJob();
        request.maxTrain = 60;
        const auto scores = [](const EvalReport &report) {
            auto json = evalReportToJson(report);
            json.erase("seconds");
            return json;
        };
        const auto basePasses = [](int &count) {
            return [&count](const Progress &p) { count += p.stage.rfind("base features", 0) == 0; };
        };
        EvalBaseMemo memo;
        int firstPasses = 0, secondPasses = 0, otherPasses = 0;
        const auto first = scores(runEvaluation(request, basePasses(firstPasses), nullptr, {}, &memo));
        const auto second = scores(runEvaluation(request, basePasses(secondPasses), nullptr, {}, &memo));
        QVERIFY(firstPasses > 0);
        QCOMPARE(secondPasses, 0);
        QCOMPARE(memo.reuses(), 1);
        QCOMPARE(second, first);

        request.seed = 3;
        const auto other = scores(runEvaluation(request, basePasses(otherPasses), nullptr, {}, &memo));
        QVERIFY(otherPasses > 0);
        QCOMPARE(memo.reuses(), 1);
        QCOMPARE(other, scores(runEvaluation(request)));
        QVERIFY(other != first);
    }

    void skippedIterationChangesNoWeight()
    {
        auto config = smallConfig(2);
        config.checkpointEvery = 1;
        config.keepCheckpoints = 3;
        const auto run = root() / "run-gate";
        runAdaptation(config, run, false);
        const auto files = listCheckpoints(run / "checkpoints");
        QCOMPARE(files.size(), std::size_t{2});
        const auto afterKept = loadSafetensors(files[0]).tensors;    // step 1: iteration 0 was kept
        const auto afterSkipped = loadSafetensors(files[1]).tensors; // step 2: iteration 1 was skipped
        for (const auto &[name, tensor] : afterKept) {
            if (name.rfind("lora/", 0) == 0 || name.rfind("head/", 0) == 0 || name.rfind("offline/", 0) == 0 ||
                name == "optimizer/archive")
                QVERIFY2(torch::equal(tensor, afterSkipped.at(name)), name.c_str());
        }
        QVERIFY(!torch::equal(afterKept.at("center/mu"), afterSkipped.at("center/mu"))); // mu still moves
        QVERIFY(!torch::equal(afterKept.at("gate/state"), afterSkipped.at("gate/state")));
    }

    void resumeIsBitIdentical()
    {
        const auto config = smallConfig(10);
        runAdaptation(config, root() / "run-straight", false);

        const auto first = runStoppedAt(5, config, root() / "run-resumed");
        QCOMPARE(first.status, RunStatus::Stopped);
        QCOMPARE(first.steps, std::int64_t{5});
        const auto second = runAdaptation(config, root() / "run-resumed", true);
        QCOMPARE(second.status, RunStatus::Finished);
        QCOMPARE(second.resumedFrom, std::int64_t{5});
        QCOMPARE(second.keptSteps, std::int64_t{5});

        requireSameTensors(loadAdapterOrRun(root() / "run-straight").tensors,
                           loadAdapterOrRun(root() / "run-resumed").tensors);
        const auto a = loadSafetensors(listCheckpoints(root() / "run-straight" / "checkpoints").back()).tensors;
        const auto b = loadSafetensors(listCheckpoints(root() / "run-resumed" / "checkpoints").back()).tensors;
        for (const auto *name : {"center/mu", "offline/0", "head/fc3.weight"})
            QVERIFY2(torch::equal(a.at(name), b.at(name)), name);
        // The metrics log continues without duplicate steps; the stop added a record of the steps
        // since the last one (at step 5, between the records every 2 steps).
        const auto straight = readMetricsLog(root() / "run-straight" / "metrics.jsonl");
        const auto resumed = readMetricsLog(root() / "run-resumed" / "metrics.jsonl");
        QCOMPARE(resumed.size(), straight.size() + 1);
        for (std::size_t i = 1; i < resumed.size(); ++i)
            QVERIFY(resumed[i].step > resumed[i - 1].step);
        QVERIFY(std::any_of(resumed.begin(), resumed.end(), [](const auto &r) { return r.step == 5; }));
    }

    // The workbench hands the run the scan it made when the folder was chosen: used while the
    // folder is unchanged (and the run's fingerprint is the same as with a scan of its own, so a
    // resume from the command line accepts it), scanned again once anything was added.
    void earlierScanIsReusedOnlyWhileCurrent()
    {
        const auto target = root() / "target-reuse";
        fs::copy(root() / "target", target, fs::copy_options::recursive);
        const auto past = fs::file_time_type::clock::now() - std::chrono::minutes(5);
        for (const auto &entry : fs::recursive_directory_iterator(target))
            if (entry.is_directory())
                fs::last_write_time(entry.path(), past);
        fs::last_write_time(target, past);
        auto config = smallConfig(4);
        config.target = target.string();

        std::vector<std::string> notes, stages;
        TrainCallbacks callbacks;
        callbacks.log = [&](const std::string &line) { notes.push_back(line); };
        callbacks.progress = [&](const Progress &p) {
            if (stages.empty() || stages.back() != p.stage)
                stages.push_back(p.stage);
        };
        std::atomic<bool> stop{false};
        TrainControl control;
        control.targetScan = std::make_shared<const ImageFolder>(scanImageFolder(target, targetScanOptions()));
        control.stop = &stop;
        const auto stopAtTwo = callbacks.progress;
        callbacks.progress = [&](const Progress &p) {
            stopAtTwo(p);
            if (p.stage == "adapting" && p.done == 2)
                stop = true;
        };
        const auto reused = [&] {
            return std::any_of(notes.begin(), notes.end(),
                               [](const auto &n) { return n.find("using the scan made when") != std::string::npos; });
        };
        const auto first = runAdaptation(config, root() / "run-reuse", false, callbacks, control);
        QVERIFY(reused());
        QCOMPARE(std::count(stages.begin(), stages.end(), std::string("scanning")), 0);
        QCOMPARE(first.targetImages, std::int64_t{96});
        QCOMPARE(first.status, RunStatus::Stopped);
        QCOMPARE(runAdaptation(config, root() / "run-reuse", true).status, RunStatus::Finished);

        // One more image: the earlier scan is stale, so the run lists the folder itself.
        fs::copy_file(control.targetScan->images.front().path, target / "added.png");
        notes.clear();
        stages.clear();
        stop = false;
        const auto second = runAdaptation(config, root() / "run-stale", false, callbacks, control);
        QVERIFY(!reused());
        QCOMPARE(second.targetImages, std::int64_t{97});
    }

    void pauseHoldsTheLoop()
    {
        std::atomic<bool> pause{true};
        std::atomic<std::int64_t> lastStep{0};
        std::atomic<bool> loopStarted{false};
        TrainCallbacks callbacks;
        callbacks.progress = [&](const Progress &p) {
            if (p.stage == "adapting")
                lastStep = p.done;
        };
        callbacks.metrics = [&](const MetricsRecord &) { loopStarted = true; }; // step 0 comes before any step
        TrainControl control;
        control.pause = &pause;
        TrainSummary summary;
        std::exception_ptr error;
        std::atomic<bool> finished{false};
        std::thread worker([&] {
            try {
                summary = runAdaptation(smallConfig(4), root() / "run-pause", false, callbacks, control);
            } catch (...) {
                error = std::current_exception();
            }
            finished = true;
        });
        // Setup runs while paused; once the loop has started, no iteration may run. A tiny-model
        // iteration takes milliseconds, so two seconds would show many.
        for (int i = 0; i < 300 && !loopStarted && !finished; ++i)
            QTest::qWait(100);
        const bool started = loopStarted.load();
        QTest::qWait(2000);
        const auto whilePaused = lastStep.load();
        pause = false;
        worker.join();
        if (error)
            std::rethrow_exception(error);
        QVERIFY(started);
        QCOMPARE(whilePaused, std::int64_t{0});
        QCOMPARE(summary.status, RunStatus::Finished);
        QCOMPARE(summary.steps, std::int64_t{4});
        // The pause is not training time: four tiny steps, not the 2 s the loop was held.
        QVERIFY2(summary.wallSeconds < 2.0, std::to_string(summary.wallSeconds).c_str());
    }

    void resumeRefusesAnotherRun()
    {
        auto config = smallConfig(10);
        config.loraRank = 4;
        try {
            runAdaptation(config, root() / "run-resumed", true);
            QFAIL("resuming with another rank must be refused");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("adapters: the run used rank 8"), e.what());
        }
        try {
            runAdaptation(smallConfig(10), root() / "run-resumed", false);
            QFAIL("starting over an existing run must be refused");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("--resume"), e.what());
        }
    }

    void nanStopsAndKeepsLastGoodCheckpoint()
    {
        const auto run = root() / "run-nan";
        TrainControl control;
        control.injectNanAtStep = 6;
        try {
            runAdaptation(smallConfig(12), run, false, {}, control);
            QFAIL("a NaN loss must stop training");
        } catch (const TrainingDiverged &e) {
            QCOMPARE(e.step(), std::int64_t{6});
            QVERIFY2(QString(e.what()).contains("at step 6"), e.what());
            QVERIFY2(QString(e.what()).contains("step 4"), e.what());
        }
        std::ifstream in(run / "summary.json");
        const auto summary = nlohmann::json::parse(in);
        QCOMPARE(summary["status"].get<std::string>(), std::string("diverged"));
        QCOMPARE(summary["diverged_at_step"].get<int>(), 6);
        const auto files = listCheckpoints(run / "checkpoints");
        QCOMPARE(files.size(), std::size_t{1});
        QVERIFY(files.back().filename() == "step-00000004.safetensors");
        for (const auto &[name, tensor] : loadSafetensors(files.back()).tensors)
            if (tensor.is_floating_point())
                QVERIFY2(torch::isfinite(tensor).all().item<bool>(), name.c_str());
    }

    void badTargetFolders()
    {
        auto config = smallConfig(4);
        fs::create_directories(root() / "empty");
        config.target = (root() / "empty").string();
        QVERIFY_THROWS_EXCEPTION(InputError, runAdaptation(config, root() / "run-empty", false));

        const auto broken = root() / "broken";
        for (int i = 0; i < 20; ++i)
            upstep::test::writeBytes(broken / ("img" + std::to_string(i) + ".png"), "not a png at all");
        config.target = broken.string();
        try {
            runAdaptation(config, root() / "run-broken", false);
            QFAIL("an unreadable target folder must be refused");
        } catch (const InputError &e) {
            // Refused by the scan, which reads each file's first bytes, before any decoding.
            QVERIFY2(QString(e.what()).contains("no readable image files") &&
                         QString(e.what()).contains("content is not a known image format"),
                     e.what());
        }
        QVERIFY(!fs::exists(root() / "run-broken" / "checkpoints"));
    }

    // The variants of docs/METHOD.md §5 and §2 by their definitions, on the tiny ViT: the center
    // gate's signal is CVR's term at lambda 1 in CVR's space; the head space's mu0 is the center
    // of the untrained head's outputs of the base features; k-means prototypes are the spherical
    // k-means centroids of those outputs.
    void variantDefinitions()
    {
        const auto check = [&](CvrSpace space, CvrTerm term) {
            auto loaded = loadBackbone((root() / "tiny.safetensors").string());
            torch::manual_seed(3);
            injectLora(*loaded.model, {});
            auto config = smallConfig(4);
            config.cvrSpace = space;
            config.cvrTerm = term;
            const auto base = torch::randn({24, loaded.model->featureDim()});
            AdaptationStep step(loaded.model, config, base, torch::kCPU, torch::kFloat32);
            torch::NoGradGuard noGrad;
            const auto head = [&](const torch::Tensor &f) { return step.streams().head().forward(f); };
            QVERIFY(torch::allclose(step.center().mu0(), CenterVector::batchCenter(base)));
            const auto batch = torch::randn({16, loaded.model->featureDim()}) + 0.5;
            // The center gate's signal: the change the batch makes to CVR's term at lambda 1 (the
            // term with the batch, minus the term of mu alone), in CVR's space.
            const auto signal = [&](const torch::Tensor &points, const torch::Tensor &mu0) {
                const auto &center = space == CvrSpace::Head ? *step.headCenter() : step.center();
                const auto with = term == CvrTerm::Anchor ? center.anchorLoss(points, 1.0)
                                                          : center.magnitudeLoss(points, 1.0);
                const auto alone = (term == CvrTerm::Anchor ? center.mu() - mu0 : center.mu()).pow(2).sum();
                return (with - alone).item<double>();
            };
            if (space == CvrSpace::Head) {
                QVERIFY(step.headCenter() != nullptr);
                QVERIFY(torch::allclose(step.headCenter()->mu0(), CenterVector::batchCenter(head(base)), 1e-5, 1e-6));
                QCOMPARE_LT(std::abs(step.centerSignal(batch) - signal(head(batch), step.headCenter()->mu0())), 1e-6);
            } else {
                QVERIFY(step.headCenter() == nullptr);
                QCOMPARE_LT(std::abs(step.centerSignal(batch) - signal(batch, step.center().mu0())), 1e-6);
            }
            // k-means prototypes: the centroids of the head's outputs, seeded by the run's seed.
            const auto features = torch::randn({96, loaded.model->featureDim()});
            const auto kmeans = sphericalKmeans(head(features), config.prototypes, config.seed);
            step.placePrototypes(features);
            QVERIFY(torch::allclose(step.streams().head().prototypes, kmeans.centroids, 1e-5, 1e-6));
        };
        check(CvrSpace::Features, CvrTerm::Anchor);
        check(CvrSpace::Features, CvrTerm::Magnitude);
        check(CvrSpace::Head, CvrTerm::Anchor);
        check(CvrSpace::Head, CvrTerm::Magnitude);
    }

    // The new variants together (head-space CVR, the center gate, k-means prototypes, a constant
    // learning rate) train, skip some iterations and resume bit-identically: the head-space center
    // travels in the checkpoint, the prototypes are placed again from the same sample.
    void variantsTrainAndResume()
    {
        auto config = smallConfig(16); // the center gate keeps its first 8 iterations
        config.cvrSpace = CvrSpace::Head;
        config.gate = GatePolicy::Center;
        config.prototypeInit = PrototypeInit::Kmeans;
        config.lrSchedule = LrSchedule::Constant;
        std::vector<std::string> notes;
        TrainCallbacks logged;
        logged.log = [&](const std::string &n) { notes.push_back(n); };
        const auto straight = runAdaptation(config, root() / "run-variants", false, logged);
        QCOMPARE(straight.status, RunStatus::Finished);
        QVERIFY(straight.keptSteps > 0 && straight.skippedSteps > 0); // the center gate skipped some
        QVERIFY(std::any_of(notes.begin(), notes.end(), [](const std::string &n) {
            return n.rfind("prototypes: k-means of 96 target images", 0) == 0;
        }));
        const auto metrics = readMetricsLog(root() / "run-variants" / "metrics.jsonl");
        QCOMPARE(metrics.back().learningRate, config.learningRate); // constant after the warm-up

        QCOMPARE(runStoppedAt(5, config, root() / "run-variants-resumed").status, RunStatus::Stopped);
        QCOMPARE(runAdaptation(config, root() / "run-variants-resumed", true).status, RunStatus::Finished);
        requireSameTensors(loadAdapterOrRun(root() / "run-variants").tensors,
                           loadAdapterOrRun(root() / "run-variants-resumed").tensors);
        const auto a = loadSafetensors(listCheckpoints(root() / "run-variants" / "checkpoints").back()).tensors;
        const auto b = loadSafetensors(listCheckpoints(root() / "run-variants-resumed" / "checkpoints").back()).tensors;
        for (const auto *name : {"center/head_mu", "center/head_mu0", "center/mu", "head/fc3.weight", "gate/state"})
            QVERIFY2(torch::equal(a.at(name), b.at(name)), name);

        // k-means needs an image per prototype.
        config.prototypes = 200;
        try {
            runAdaptation(config, root() / "run-kmeans-few", false);
            QFAIL("k-means of 96 images into 200 prototypes ran");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("lower --prototypes"), e.what());
        }
    }

    // The full fine-tuning baseline: every backbone weight trains, the classifier head (off the
    // objective's path) keeps its values, the result is a whole model that evaluation reads in
    // place of an adapter, and a resume continues bit-identically.
    void fullFineTuningBaseline()
    {
        auto config = smallConfig(6);
        config.tuning = Tuning::Full;
        const auto run = root() / "run-full";
        const auto summary = runAdaptation(config, run, false);
        QCOMPARE(summary.status, RunStatus::Finished);
        QVERIFY(fs::exists(run / "model.safetensors") && !fs::exists(run / "adapter.safetensors"));
        QCOMPARE(summary.adapterFile, run / "model.safetensors");
        const auto base = loadSafetensors(root() / "tiny.safetensors").tensors;
        const auto tuned = loadSafetensors(run / "model.safetensors").tensors;
        std::int64_t backboneParameters = 0;
        for (const auto &[name, tensor] : base)
            backboneParameters += tensor.numel();
        QCOMPARE(summary.adapterParameters, backboneParameters); // every weight trains
        QVERIFY(!torch::equal(base.at("blocks.0.attn.qkv.weight"), tuned.at("blocks.0.attn.qkv.weight")));
        QVERIFY(torch::equal(base.at("head.weight"), tuned.at("head.weight")));
        try {
            loadAdapterOrRun(run);
            QFAIL("a fully fine-tuned run gave an adapter");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("fine-tuned the whole backbone"), e.what());
        }
        EvalJob job;
        job.weights = config.weights;
        job.adapter = run;
        job.test = root() / "test";
        job.device = "cpu";
        const auto report = runEvaluation(job);
        QVERIFY(report.adapted && report.adapted->knnTop1 >= 0);

        QCOMPARE(runStoppedAt(3, config, root() / "run-full-resumed").status, RunStatus::Stopped);
        QCOMPARE(runAdaptation(config, root() / "run-full-resumed", true).status, RunStatus::Finished);
        requireSameTensors(tuned, loadSafetensors(root() / "run-full-resumed" / "model.safetensors").tensors);
    }

    void configSchema()
    {
        auto config = smallConfig(3);
        config.gate = GatePolicy::LossQuantile;
        config.loraTargets = {"qkv"};
        config.cvrSpace = CvrSpace::Head;
        config.prototypeInit = PrototypeInit::Kmeans;
        config.lrSchedule = LrSchedule::Constant;
        const auto back = trainConfigFromJson(trainConfigToJson(config));
        QCOMPARE(trainConfigToJson(back).dump(), trainConfigToJson(config).dump());
        auto json = trainConfigToJson(config);
        json["lora_rnak"] = 4;
        QVERIFY_THROWS_EXCEPTION(InputError, trainConfigFromJson(json));
        json = trainConfigToJson(config);
        json["gate"] = "sometimes";
        QVERIFY_THROWS_EXCEPTION(InputError, validateTrainConfig(trainConfigFromJson(json)));
        for (const auto *key : {"cvr_space", "prototype_init", "lr_schedule"}) {
            json = trainConfigToJson(config);
            json[key] = "nonsense";
            QVERIFY_THROWS_EXCEPTION(InputError, trainConfigFromJson(json));
        }
        json = trainConfigToJson(config);
        json["steps"] = "many";
        QVERIFY_THROWS_EXCEPTION(InputError, trainConfigFromJson(json));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestTraining)
#include "tst_training.moc"
