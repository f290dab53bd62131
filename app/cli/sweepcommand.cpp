// `upstep sweep PLAN --out DIR`: the runs of a sweep plan (upstep/train/sweepplan.h), one after
// another, into DIR/<run>; each is scored on the plan's validation split (validation.json) and
// test folders (eval.json), and DIR/sweep.md and DIR/sweep.csv are rewritten after every step.
// Finished runs and scores are kept and skipped when the same command runs again; a stopped run
// resumes from its checkpoint. Ctrl-C stops at the next safe point.
#include "commands.h"

#include "stopsignal.h"
#include "terminalprogress.h"
#include "upstep/common/error.h"
#include "upstep/eval/evaljob.h"
#include "upstep/io/atomicfile.h"
#include "upstep/run/runpaths.h"
#include "upstep/run/runrecord.h"
#include "upstep/train/sweepreport.h"
#include "upstep/train/trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

namespace upstep::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct SweepArgs {
    std::string plan, out;
    bool list = false;
    bool tablesOnly = false;
};

constexpr const char *kValidationFile = "validation.json";
constexpr const char *kScoringFile = "scoring.json"; ///< how each score file was made

// What a score depends on besides the run: the folders, sizes and seed of its evaluation.
nlohmann::json scoringOf(const core::EvalJob &job)
{
    return {{"train", job.train.string()},
            {"test", job.test.string()},
            {"source", job.sourceTest.string()},
            {"max_train", job.maxTrain},
            {"max_test", job.maxTest},
            {"max_source", job.maxSource},
            {"seed", job.seed},
            {"linear_probe", job.linearProbe}};
}

// Settings that do not change a run's result: a folder trained with other values of these is
// still this run.
bool changesResults(const std::string &key)
{
    return key != "threads" && key != "workers" && key != "log_every" && key != "checkpoint_every" &&
           key != "keep_checkpoints" && key != "decoded_cache";
}

// A labeled folder a score needs, checked before any run trains: a typo found after an hour of
// training would waste it.
void requireLabeledFolder(const fs::path &folder, const char *what)
{
    if (folder.empty())
        return;
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw core::InputError(std::string("the sweep's ") + what + " folder " + folder.string() + " does not exist");
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec))
            return;
    throw core::InputError(std::string("the sweep's ") + what + " folder " + folder.string() +
                           " has no class sub-folders: a labeled folder holds one sub-folder of images per class");
}

std::string fileText(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A folder that already holds a run of another configuration is never reused: its scores would
// be reported under this run's name.
void requireSameSettings(const core::SweepRun &run, const fs::path &dir)
{
    const core::RunPaths paths(dir);
    if (!fs::exists(paths.config()))
        return;
    const auto stored = core::trainConfigToJson(core::loadTrainConfig(paths.config().string()));
    const auto wanted = core::trainConfigToJson(run.config);
    for (const auto &[key, value] : wanted.items()) {
        const auto it = stored.find(key);
        if (changesResults(key) && (it == stored.end() || *it != value))
            throw core::InputError(dir.string() + " holds a run whose " + key + " is " +
                                   (it == stored.end() ? std::string("unset") : it->dump()) + ", not " + value.dump() +
                                   "; remove that folder or give the variant another name");
    }
}

std::optional<core::EvalReport> readReport(const fs::path &file)
{
    if (!fs::exists(file))
        return std::nullopt;
    return core::evalReportFromJson(nlohmann::json::parse(fileText(file)));
}

class Sweep {
public:
    explicit Sweep(const SweepArgs &args) : m_args(args), m_plan(core::loadSweepPlan(args.plan)), m_root(args.out) {}

    void list() const
    {
        for (std::size_t i = 0; i < m_plan.runs.size(); ++i)
            std::cout << m_plan.runs[i].name << "\t" << (m_root / m_plan.runs[i].name).string() << "\n";
        std::cerr << m_plan.runs.size() << " runs" << (m_plan.validation ? ", scored on validation" : "")
                  << (m_plan.test ? (m_plan.validation ? " and test" : ", scored on test") : "") << "\n";
    }

    void run()
    {
        for (const auto &r : m_plan.runs)
            requireSameSettings(r, m_root / r.name);
        for (const auto *job :
             {m_plan.validation ? &*m_plan.validation : nullptr, m_plan.test ? &*m_plan.test : nullptr})
            if (job) {
                requireLabeledFolder(job->train, "scoring train");
                requireLabeledFolder(job->test, "scoring");
                requireLabeledFolder(job->sourceTest, "scoring source");
            }
        fs::create_directories(m_root);
        writePlanCopy();
        auto &stop = stopOnSignals();
        const auto start = Clock::now();
        int done = 0, ranHere = 0;
        for (std::size_t i = 0; i < m_plan.runs.size(); ++i) {
            const auto &r = m_plan.runs[i];
            std::cerr << "[" << i + 1 << "/" << m_plan.runs.size() << "] " << r.name;
            bool worked = false;
            try {
                worked = runOne(r, stop);
            } catch (const core::Cancelled &) { // stopped while scanning or loading
                writeTables();
                throw;
            }
            writeTables();
            if (core::stopRequested(&stop)) {
                std::cerr << "sweep stopped; run the same command again to continue (finished runs are kept)\n";
                throw core::Cancelled();
            }
            ++done;
            if (worked)
                ++ranHere;
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            const auto left = m_plan.runs.size() - i - 1;
            if (ranHere > 0 && left > 0)
                std::cerr << "  " << done << " of " << m_plan.runs.size() << " runs done, about "
                          << formatDuration(seconds / ranHere * static_cast<double>(left)) << " left\n";
        }
        std::cerr << "table: " << (m_root / "sweep.md").string() << " and sweep.csv\n";
        std::cout << core::sweepMarkdown(results());
    }

    void tablesOnly() const
    {
        if (!fs::is_directory(m_root))
            throw core::InputError(m_root.string() + " holds no sweep yet");
        writeTables();
        std::cout << core::sweepMarkdown(results());
    }

private:
    // The plan as this folder ran it, with the folder its relative paths were read against, so
    // that `upstep sweep DIR/sweep.json --out DIR` continues it from anywhere.
    void writePlanCopy() const
    {
        auto plan = nlohmann::json::parse(fileText(m_args.plan));
        if (!plan.contains("plan_folder"))
            plan["plan_folder"] = fs::absolute(m_args.plan).parent_path().lexically_normal().string();
        const auto file = m_root / core::kSweepPlanFile;
        if (fs::exists(file) && nlohmann::json::parse(fileText(file), nullptr, false) != plan)
            std::cerr << "the plan differs from the one " << m_root.string()
                      << " ran before: runs whose settings match are kept, the others are added\n";
        core::writeFileAtomically(file, plan.dump(2) + "\n");
    }

    // Trains and scores one run as far as it still needs; true when there was work to do.
    bool runOne(const core::SweepRun &r, std::atomic<bool> &stop)
    {
        const auto dir = m_root / r.name;
        const core::RunPaths paths(dir);
        TerminalProgress progress;
        bool worked = false;
        auto record = fs::exists(paths.config()) ? std::optional(core::loadRunRecord(dir)) : std::nullopt;
        const auto status = record ? record->status() : core::RunStatus::Incomplete;
        if (status == core::RunStatus::Diverged) {
            std::cerr << ": diverged earlier (" << record->summary->message << "); left as it is (remove "
                      << dir.string() << " to try it again)\n";
            return false;
        }
        if (status != core::RunStatus::Finished) {
            const bool resume = record && record->hasCheckpoint;
            std::cerr << (resume ? ": resuming\n" : ": adapting\n");
            core::TrainCallbacks callbacks;
            callbacks.progress = progress.sink();
            callbacks.log = [&](const std::string &message) {
                progress.finish();
                std::cerr << "  " << message << "\n";
            };
            core::TrainControl control;
            control.stop = &stop;
            try {
                const auto summary = core::runAdaptation(r.config, dir, resume, callbacks, control);
                progress.finish();
                if (summary.status != core::RunStatus::Finished)
                    return true; // stopped: the caller sees the flag
            } catch (const core::TrainingDiverged &e) {
                progress.finish();
                std::cerr << "  diverged: " << e.what() << "\n";
                return true;
            }
            worked = true;
        } else {
            std::cerr << ": trained earlier";
        }
        // A score is kept only when it was made as the plan asks now (scoring.json says how).
        auto scoring = fs::exists(dir / kScoringFile)
                           ? nlohmann::json::parse(fileText(dir / kScoringFile), nullptr, false)
                           : nlohmann::json::object();
        if (!scoring.is_object())
            scoring = nlohmann::json::object();
        const auto score = [&](const std::optional<core::EvalJob> &templ, const fs::path &file, const char *key,
                               const char *what) {
            if (!templ || core::stopRequested(&stop))
                return;
            const auto job = core::sweepEvalJob(*templ, r, dir);
            const bool current = fs::exists(file) && scoring.contains(key) && scoring[key] == scoringOf(job);
            if (current)
                return;
            std::cerr << (worked ? "  " : ", ") << "scoring on " << what
                      << (fs::exists(file) ? " (the plan scores it differently now)" : "") << "\n";
            worked = true;
            try {
                const auto report = core::runEvaluation(job, progress.sink(), &stop, {}, &m_baseMemo);
                progress.finish();
                core::saveEvalReport(report, file);
                scoring[key] = scoringOf(job);
                core::writeJsonAtomically(dir / kScoringFile, scoring);
            } catch (const core::Cancelled &) {
                progress.finish();
            }
        };
        score(m_plan.validation, dir / kValidationFile, "validation", "the validation split");
        score(m_plan.test, paths.evaluation(), "test", "the test folders");
        if (!worked)
            std::cerr << (m_plan.validation || m_plan.test ? ", scored earlier: kept\n" : ": kept\n");
        else if (const auto line = summaryLine(dir); !line.empty())
            std::cerr << "  " << line << "\n";
        return worked;
    }

    static std::string summaryLine(const fs::path &dir)
    {
        const auto record = core::loadRunRecord(dir);
        if (!record.evaluation)
            return {};
        char text[160];
        std::snprintf(text, sizeof text, "test kNN gain %+.2f points, forgetting %+.2f points",
                      100 * core::targetGain(*record.evaluation), 100 * core::forgetting(*record.evaluation));
        return text;
    }

    std::vector<core::SweepResult> results() const
    {
        std::vector<core::SweepResult> out;
        for (const auto &r : m_plan.runs) {
            core::SweepResult result{r, std::nullopt, std::nullopt};
            const auto dir = m_root / r.name;
            try {
                if (fs::exists(core::RunPaths(dir).config()))
                    result.record = core::loadRunRecord(dir);
                result.validation = readReport(dir / kValidationFile);
            } catch (const std::exception &e) {
                std::cerr << "  " << dir.string() << " cannot be read back (" << e.what()
                          << "); left out of the table\n";
            }
            out.push_back(std::move(result));
        }
        return out;
    }

    void writeTables() const
    {
        const auto all = results();
        core::writeFileAtomically(m_root / "sweep.md", "# Sweep " + m_root.filename().string() + "\n\nPlan: " +
                                                           m_args.plan + "\n\n" + core::sweepMarkdown(all));
        core::writeFileAtomically(m_root / "sweep.csv", core::sweepCsv(all));
    }

    const SweepArgs &m_args;
    core::SweepPlan m_plan;
    fs::path m_root;
    // Every run is scored against the same base model on the same images: its side of the
    // scores is computed once per sweep process.
    core::EvalBaseMemo m_baseMemo;
};

} // namespace

void addSweepCommand(CLI::App &app)
{
    auto args = std::make_shared<SweepArgs>();
    auto *cmd = app.add_subcommand(
        "sweep", "Run the variants of a sweep plan one after another on one target, score them and write one table "
                 "(resumable: finished runs are kept)");
    cmd->add_option("plan", args->plan, "Sweep plan (JSON; docs/TRAINING.md, Sweeps)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--out", args->out,
                    "Sweep folder: one run folder per run, sweep.md and sweep.csv. Inside the workbench's runs "
                    "folder (~/.cache/upstep/runs), its runs appear in the workbench's run comparison")
        ->required();
    cmd->add_flag("--list", args->list, "Print the runs the plan expands to, and do nothing else");
    cmd->add_flag("--tables-only", args->tablesOnly,
                  "Write sweep.md and sweep.csv from what the sweep folder holds now, and train or score nothing");
    cmd->callback([args] {
        Sweep sweep(*args);
        if (args->list)
            sweep.list();
        else if (args->tablesOnly)
            sweep.tablesOnly();
        else
            sweep.run();
    });
}

} // namespace upstep::cli
