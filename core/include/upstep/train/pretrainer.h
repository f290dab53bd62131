#pragma once
// Supervised training of a whole backbone with its classifier head on a labeled image folder
// (one sub-folder per class): how the demo makes its stand-in for "an ImageNet-pretrained
// model" from MNIST (docs/DATA.md step 1). AdamW, cosine schedule with warm-up, cross-entropy,
// random resized crops; the result is saved with its architecture and class names.
//
// Threading: runs on the calling thread (plus the loader's workers).

#include "upstep/common/choices.h"
#include "upstep/common/progress.h"

#include <filesystem>
#include <string>
#include <vector>

namespace upstep::core {

struct PretrainConfig {
    std::filesystem::path data;   ///< labeled folder
    std::filesystem::path test;   ///< optional labeled folder for the final accuracy
    std::string arch;             ///< parseArchSpec string; num_classes defaults to the folder's class count
    std::filesystem::path out;
    double epochs = 1;
    int batchSize = 128;
    double learningRate = 1e-3;
    double weightDecay = 0.05;
    double warmupFraction = 0.05;
    double scaleMin = 0.6;
    Precision precision = Precision::Auto;
    std::string device = "auto";
    int workers = 2;
    std::uint64_t seed = 0;
};

struct PretrainSummary {
    std::int64_t steps = 0;
    double finalLoss = 0;      ///< mean over the last 50 steps
    double testTop1 = -1;      ///< -1 without a test folder
    double seconds = 0;
    double imagesPerSecond = 0;
    std::vector<std::string> classes;
};

PretrainSummary runPretraining(const PretrainConfig &config, const ProgressSink &progress = {},
                               StopFlag stop = nullptr);

} // namespace upstep::core
