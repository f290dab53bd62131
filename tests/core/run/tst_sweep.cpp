// Sweeps without training: a plan's expansion into runs (variants x grid x seeds), its errors,
// the rank correlation and the Pareto front by hand, the table a sweep writes, and the
// workbench's listing of the runs inside a sweep folder.
#include "upstep/common/error.h"
#include "upstep/run/frontier.h"
#include "upstep/run/healthsignal.h"
#include "upstep/run/runpaths.h"
#include "upstep/run/runrecord.h"
#include "upstep/train/sweepplan.h"
#include "upstep/train/sweepreport.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace upstep::core;
namespace fs = std::filesystem;

namespace {

nlohmann::json basePlan()
{
    return nlohmann::json::parse(R"({
        "schema": "upstep.sweep/1",
        "config": {"weights": "base.safetensors", "target": "target", "steps": 40},
        "variants": [{"name": "defaults"}, {"name": "no-gate", "set": {"gate": "none"}}],
        "grid": {"cvr_lambda": [0, 1.5]},
        "seeds": [0, 1],
        "validation": {"folder": "labeled/train", "images": 2000, "source": "source/train"},
        "test": {"train": "labeled/train", "test": "labeled/test", "source": "source/test", "max_train": 500}
    })");
}

EvalReport report(double gain, double forgot)
{
    EvalReport r;
    r.base = {0.5, 0.5};
    r.adapted = ProbeScores{0.5 + gain, 0.5 + gain / 2};
    r.source = SourceScores{};
    r.source->headTop1Base = 0.9;
    r.source->headTop1Adapted = 0.9 - forgot;
    return r;
}

RunRecord runWith(double gain, double forgot, double drift)
{
    RunRecord run;
    MetricsRecord m;
    m.step = 10;
    m.loss = 1.0;
    m.featureDrift = drift;
    m.muNorm = 0.3;
    run.metrics = {m};
    run.evaluation = report(gain, forgot);
    return run;
}

} // namespace

class TestSweep : public QObject {
    Q_OBJECT
private slots:
    void planExpands()
    {
        const auto plan = sweepPlanFromJson(basePlan(), "/plans");
        QCOMPARE(plan.runs.size(), std::size_t{8}); // 2 variants x 2 lambdas x 2 seeds
        // Seed by seed: the four variants' seed 0, then their seed 1.
        QCOMPARE(plan.runs[0].name, std::string("defaults_cvr_lambda=0_seed0"));
        QCOMPARE(plan.runs[5].name, std::string("defaults_cvr_lambda=1.5_seed1"));
        QCOMPARE(plan.runs[5].variant, std::string("defaults_cvr_lambda=1.5"));
        QCOMPARE(plan.runs[5].config.cvrLambda, 1.5);
        QCOMPARE(plan.runs[5].config.seed, std::uint64_t{1});
        QCOMPARE(plan.runs[2].config.gate, GatePolicy::None);
        QCOMPARE(plan.runs[0].config.gate, GatePolicy::Alternate);
        QCOMPARE(plan.runs[0].config.steps, std::int64_t{40});
        // Paths are read against the plan's folder.
        QCOMPARE(plan.runs[0].config.weights, std::string("/plans/base.safetensors"));
        QVERIFY(plan.validation && plan.test);
        QCOMPARE(plan.validation->test, fs::path("/plans/labeled/train"));
        QVERIFY(plan.validation->train.empty()); // halves of the validation folder
        // "images": 2000 in all, half memory and half queries.
        QCOMPARE(plan.validation->maxTrain, std::int64_t{1000});
        QCOMPARE(plan.validation->maxTest, std::int64_t{1000});
        QCOMPARE(plan.test->maxTrain, std::int64_t{500});
        const auto job = sweepEvalJob(*plan.test, plan.runs[5], "/sweeps/x/run");
        QCOMPARE(job.adapter, fs::path("/sweeps/x/run"));
        QCOMPARE(job.seed, std::uint64_t{0}); // the plan's eval_seed for every run, not the run's seed
        QCOMPARE(job.weights, fs::path("/plans/base.safetensors"));

        // Without variants, grid or seeds: one run, "defaults", its own seed.
        auto single = basePlan();
        for (const auto *key : {"variants", "grid", "seeds", "validation", "test"})
            single.erase(key);
        const auto one = sweepPlanFromJson(single, "/plans");
        QCOMPARE(one.runs.size(), std::size_t{1});
        QCOMPARE(one.runs[0].name, std::string("defaults"));
        QVERIFY(!one.validation && !one.test);

        // A variant's paths are read against the plan's folder too; the copy in a sweep folder
        // names that folder; eval_seed sets every run's scoring seed.
        auto moved = basePlan();
        moved["variants"][1]["set"]["target"] = "other";
        moved["plan_folder"] = "/elsewhere";
        moved["eval_seed"] = 7;
        const auto elsewhere = sweepPlanFromJson(moved, "/plans");
        QCOMPARE(elsewhere.runs[2].config.target, std::string("/elsewhere/other"));
        QCOMPARE(elsewhere.runs[0].config.target, std::string("/elsewhere/target"));
        QCOMPARE(sweepEvalJob(*elsewhere.validation, elsewhere.runs[2], "/r").seed, std::uint64_t{7});

        // A variant's own seeds replace the plan's for it alone.
        auto mixed = basePlan();
        mixed.erase("grid");
        mixed["variants"][0]["seeds"] = {3, 4, 5};
        const auto seeded = sweepPlanFromJson(mixed, "/plans");
        QCOMPARE(seeded.runs.size(), std::size_t{5});
        QCOMPARE(seeded.runs[1].name, std::string("no-gate_seed0"));
        QCOMPARE(seeded.runs[4].name, std::string("defaults_seed5"));
    }

    void planErrorsNameTheProblem()
    {
        const auto refuses = [](nlohmann::json plan, const QString &needle) {
            try {
                sweepPlanFromJson(plan, "/plans");
            } catch (const InputError &e) {
                QVERIFY2(QString(e.what()).contains(needle), e.what());
                return;
            }
            QFAIL(qPrintable("accepted a plan that should fail with " + needle));
        };
        auto plan = basePlan();
        plan["variants"][1]["set"]["cvr_lamda"] = 2;
        refuses(plan, "cvr_lamda");
        plan = basePlan();
        plan["variants"][1]["name"] = "defaults";
        refuses(plan, "share the folder");
        plan = basePlan();
        plan["grid"]["gate"] = nlohmann::json::array();
        refuses(plan, "at least one value");
        plan = basePlan();
        plan["seeds"] = {-1};
        refuses(plan, "seeds");
        plan = basePlan();
        plan["sweeps"] = 1;
        refuses(plan, "unknown sweep key 'sweeps'");
        plan = basePlan();
        plan["variants"][0]["set"] = {{"lora_rank", 0}};
        refuses(plan, "LoRA rank");
        plan = basePlan();
        plan.erase("config");
        refuses(plan, "config");
        plan = basePlan();
        plan.erase("grid");
        plan.erase("seeds");
        plan["variants"][0]["name"] = "..";
        refuses(plan, "sweep folder uses that name");
        plan = basePlan();
        plan["validation"]["images"] = 1;
        refuses(plan, "at least 2");
    }

    void spearmanByHand()
    {
        QCOMPARE(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
        QCOMPARE(spearman({1, 2, 3, 4}, {9, 7, 5, 1}), -1.0);
        // Monotone but not linear: still 1 (ranks, not values).
        QCOMPARE(spearman({1, 2, 3, 4, 5}, {1, 4, 9, 16, 1000}), 1.0);
        // Ties take their mean rank: x ranks 1.5 1.5 3 4, y ranks 1 2 3 4.
        const double expected = 0.9486832980505138; // Pearson of those ranks
        QVERIFY(std::abs(spearman({1, 1, 2, 3}, {1, 2, 3, 4}) - expected) < 1e-12);
        // NaN pairs are left out; fewer than three pairs or a constant side: NaN.
        QCOMPARE(spearman({1, NAN, 2, 3}, {1, 5, 2, 3}), 1.0);
        QVERIFY(std::isnan(spearman({1, 2}, {1, 2})));
        QVERIFY(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
    }

    void paretoFrontByHand()
    {
        //                      a     b     c     d    e (NaN)
        const std::vector<double> gain{4.0, 3.0, 2.0, 4.0, NAN};
        const std::vector<double> forgot{5.0, 1.0, 2.0, 6.0, 0.0};
        // a: nothing gains >= 4 with <= 5 forgetting and better; b: least forgetting of those
        // gaining 3; c: dominated by b; d: dominated by a; e: unmeasured.
        QCOMPARE(paretoFront(gain, forgot), (std::vector<bool>{true, true, false, false, false}));
        QCOMPARE(paretoFront({1.0, 1.0}, {2.0, 2.0}), (std::vector<bool>{true, true})); // ties both stay
    }

    void healthSignalRanksMonitors()
    {
        // Feature drift ranks forgetting exactly and gain in reverse; |mu| is the same everywhere.
        std::vector<RunRecord> runs{runWith(0.04, 0.01, 0.1), runWith(0.03, 0.02, 0.2), runWith(0.02, 0.05, 0.3),
                                    runWith(0.01, 0.08, 0.4)};
        runs.push_back(RunRecord{}); // not evaluated: left out
        const auto correlations = healthCorrelations(runs);
        const auto drift = std::find_if(correlations.begin(), correlations.end(),
                                        [](const HealthCorrelation &c) { return c.monitor == "feature drift"; });
        QVERIFY(drift != correlations.end());
        QCOMPARE(drift->gainRuns, 4);
        QCOMPARE(drift->forgettingRuns, 4);
        QCOMPARE(drift->withForgetting, 1.0);
        QCOMPARE(drift->withGain, -1.0);
        const auto mu = std::find_if(correlations.begin(), correlations.end(),
                                     [](const HealthCorrelation &c) { return c.monitor == "center norm"; });
        QVERIFY(std::isnan(mu->withGain));
        // Four runs are too few to name a predictor; ten that keep the order name drift.
        QVERIFY(!bestPredictor(correlations));
        for (int i = 0; i < 6; ++i)
            runs.push_back(runWith(-0.01 * i, 0.1 + 0.01 * i, 0.5 + 0.1 * i));
        const auto best = bestPredictor(healthCorrelations(runs));
        QVERIFY(best);
        QCOMPARE(best->monitor, std::string("feature drift"));
        QCOMPARE(predictiveStrength(*best), 1.0);
        QVERIFY(predictsGain(*best) && predictsForgetting(*best));
        // Forgetting measured on eight runs only: that side does not count, the gain side does.
        for (std::size_t i = 0; i < 2; ++i)
            runs[i].evaluation->source.reset();
        const auto partial = *bestPredictor(healthCorrelations(runs));
        QCOMPARE(partial.gainRuns, 10);
        QCOMPARE(partial.forgettingRuns, 8);
        QVERIFY(predictsGain(partial) && !predictsForgetting(partial));
    }

    void tableMarksFrontierAndPredictor()
    {
        auto plan = basePlan();
        plan.erase("grid");
        plan.erase("seeds");
        const auto expanded = sweepPlanFromJson(plan, "/plans");
        std::vector<SweepResult> results;
        const double gains[] = {0.04, 0.02};
        for (std::size_t i = 0; i < 2; ++i) {
            auto record = runWith(gains[i], 0.01 * static_cast<double>(i + 1), 0.1 * static_cast<double>(i + 1));
            record.config = expanded.runs[i].config;
            results.push_back({expanded.runs[i], record, report(gains[i], 0.01)});
        }
        results.push_back({expanded.runs[0], std::nullopt, std::nullopt});
        results.back().run.name = "not-yet";
        const auto md = sweepMarkdown(results);
        QVERIFY2(md.find("| defaults | incomplete | +4.00 | +1.00 | +4.00 | +2.00 |") != std::string::npos, md.c_str());
        QVERIFY2(md.find("| not-yet | not run |") != std::string::npos, md.c_str());
        // Two evaluated runs are too few for a rank correlation: none is claimed.
        QVERIFY2(md.find("none predicts them well enough") != std::string::npos, md.c_str());
        const auto csv = sweepCsv(results);
        QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), 4L);
        QVERIFY2(csv.find("defaults,defaults,0,incomplete,4.0000,1.0000,4.0000,2.0000") != std::string::npos,
                 csv.c_str());
    }

    void sweepRunsAreListed()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto makeRun = [](const fs::path &run) {
            fs::create_directories(run);
            std::ofstream(RunPaths(run).config()) << "{}";
        };
        makeRun(root / "run-1");
        fs::create_directories(root / "my-sweep");
        std::ofstream(root / "my-sweep" / kSweepPlanFile) << "{}";
        makeRun(root / "my-sweep" / "defaults");
        makeRun(root / "my-sweep" / "no-gate");
        makeRun(root / "other" / "nested"); // not a sweep folder: not looked into
        const auto found = findRunFolders(root);
        QCOMPARE(found.size(), std::size_t{3});
        QVERIFY(std::find(found.begin(), found.end(), root / "my-sweep" / "no-gate") != found.end());
    }
};

QTEST_GUILESS_MAIN(TestSweep)
#include "tst_sweep.moc"
