#pragma once
// The evaluation protocol of METHOD.md §6 and DATA.md: weighted kNN and a linear probe on a
// labeled train/test pair, for the base model, the adapted one and their ensemble
// (concat(norm(f_base), norm(f_adapted))); and forgetting on a labeled source test folder: top-1
// of the base model's own classifier head on base and on adapted features, and source kNN before
// and after (memory and queries are a seeded half/half split of that folder).
//
// Threading: runs on the caller's thread (plus the loaders' workers).

#include "common/progress.h"
#include "eval/evalreport.h"
#include "eval/featureextractor.h"
#include "eval/knnclassifier.h"
#include "eval/linearprobe.h"

#include <filesystem>
#include <optional>

namespace upstep::core {

struct EvalRequest {
    std::filesystem::path weights;
    std::string arch;
    std::filesystem::path adapter; ///< run folder, PEFT folder or adapter file; empty: base only
    std::filesystem::path train; ///< labeled kNN memory and probe training set; empty: a seeded half of test
    std::filesystem::path test, sourceTest;
    std::int64_t maxTrain = 0; ///< seeded subset sizes; 0: everything
    std::int64_t maxTest = 0;
    std::int64_t maxSource = 0;
    std::uint64_t seed = 0;
    FeatureOptions features;
    KnnConfig knn;
    LinearProbeConfig linear;
    bool linearProbe = true;
};

EvalReport evaluateAdaptation(const EvalRequest &request, const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
