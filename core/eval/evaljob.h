#pragma once
// A torch-free front of evaluateAdaptation() for the workbench and the `adapt` command: the same
// protocol, with the device and precision given by name.
//
// Threading: runEvaluation() runs on the calling thread (plus the loaders' workers); progress
// runs there too; stop may be set from any thread.

#include "common/progress.h"
#include "eval/evalreport.h"
#include "train/trainconfig.h"

#include <filesystem>

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
    std::string precision = "auto";
    int batchSize = 128;
    bool linearProbe = true;
};

/// Throws like evaluateAdaptation(): InputError for unusable folders, Cancelled on stop.
EvalReport runEvaluation(const EvalJob &job, const ProgressSink &progress = {}, StopFlag stop = nullptr);

/// Writes evalReportToJson(report) to file atomically.
void saveEvalReport(const EvalReport &report, const std::filesystem::path &file);

/// The end-of-run evaluation of a run folder: its config's target test and source probe folders.
EvalJob evalJobForRun(const TrainConfig &config, const std::filesystem::path &runDir);

} // namespace upstep::core
