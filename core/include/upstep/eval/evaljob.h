#pragma once
// The evaluation protocol (docs/METHOD.md §6): weighted kNN and a linear probe on a labeled
// train/test pair, for the base model, the adapted one and their ensemble
// (concat(norm(f_base), norm(f_adapted))); and forgetting on a labeled source test folder: top-1
// of the base model's own classifier head on base and on adapted features, and source kNN before
// and after (memory and queries are a seeded half/half split of that folder). Torch-free: the
// workbench, the command line and the tests all describe the work with one EvalJob.
//
// Threading: runEvaluation() runs on the calling thread (plus the loaders' workers); progress
// runs there too; stop may be set from any thread.

#include "upstep/common/choices.h"
#include "upstep/common/progress.h"
#include "upstep/eval/evalestimate.h"
#include "upstep/run/evalreport.h"
#include "upstep/run/trainconfig.h"

#include <filesystem>
#include <functional>
#include <memory>

namespace upstep::core {

struct EvalJob {
    std::filesystem::path weights;
    std::string arch;
    std::filesystem::path adapter; ///< run folder, PEFT folder or adapter file; empty: base only
    std::filesystem::path train;   ///< labeled kNN memory; empty: a seeded half of test
    std::filesystem::path test;    ///< labeled target test folder
    std::filesystem::path sourceTest; ///< labeled source folder for forgetting; optional
    std::int64_t maxTrain = 0, maxTest = 0, maxSource = 0; ///< seeded subsets; 0: everything
    std::uint64_t seed = 0;
    std::string device = "auto";
    Precision precision = Precision::Auto;
    int batchSize = 128;
    bool linearProbe = true;
    int linearProbeIterations = 200; ///< L-BFGS iterations of the linear probe
};

/// Told what the evaluation will cost once the folders are scanned and the backbone is loaded,
/// before the feature passes start. Runs on runEvaluation's thread.
using EvalEstimateSink = std::function<void(const EvalCostEstimate &)>;

/// The base model's side of evaluations, kept between them: its features, probe scores and
/// head predictions depend only on the base weights, the images and the scoring settings, so a
/// sweep that scores many runs against one base computes them once. An entry is reused only
/// when the weights file (its absolute path, modification time, size and a hash of its first and
/// last MiB), the exact image lists and every setting that shapes the scores match; anything else
/// is computed afresh. Holds a few feature matrices (tens of MB for tens of thousands of images).
///
/// Threading: not synchronised; one memo per thread of evaluations.
class EvalBaseMemo {
public:
    EvalBaseMemo();
    ~EvalBaseMemo();
    EvalBaseMemo(const EvalBaseMemo &) = delete;
    EvalBaseMemo &operator=(const EvalBaseMemo &) = delete;

    int reuses() const; ///< how many evaluations took the base side from here
    struct Store;       ///< defined where the evaluation runs
    Store &store() { return *m_store; }

private:
    std::unique_ptr<Store> m_store;
};

/// Throws InputError for unusable folders or names, FormatError for damaged files, Cancelled on stop.
/// With a memo, the base model's side is taken from it when it matches and left there otherwise.
EvalReport runEvaluation(const EvalJob &job, const ProgressSink &progress = {}, StopFlag stop = nullptr,
                         const EvalEstimateSink &estimated = {}, EvalBaseMemo *memo = nullptr);

/// The end-of-run evaluation of a run folder: its config's target test and source probe folders.
EvalJob evalJobForRun(const TrainConfig &config, const std::filesystem::path &runDir);

} // namespace upstep::core
