#pragma once
// Everything that defines an adaptation run (docs/METHOD.md §8 defaults). This is the config.json
// of a run folder, and the same file the workbench saves and loads: the command line and the
// GUI read one schema. Torch-free, so the UI can edit it without including torch.
//
// Threading: a plain value type.

#include "upstep/common/choices.h"
#include "upstep/common/limits.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace upstep::core {

struct TrainConfig {
    // What to adapt, on what.
    std::string weights;    ///< base model .safetensors
    std::string arch;       ///< optional --arch override
    std::string target;     ///< unlabeled target image folder
    std::string sourceProbe; ///< optional labeled source folder: live source accuracy through the base head
    std::string targetTest;  ///< optional labeled target folder: base/adapted/ensemble accuracy when the run ends

    // Budget: steps wins when both are set; epochs are turned into steps.
    std::int64_t steps = 0;
    double epochs = 0;
    int batchSize = 64;

    // Optimisation.
    double learningRate = 1e-3;
    double weightDecay = 1e-4; ///< head only; LoRA has none
    double warmupFraction = 0.05;
    LrSchedule lrSchedule = LrSchedule::Cosine; ///< after the warm-up
    double gradClip = 3.0;     ///< max global gradient norm; 0 turns clipping off

    // Adapters.
    Tuning tuning = Tuning::Lora; ///< full: every backbone weight trains and no LoRA is made
    int loraRank = 8;
    double loraAlpha = 16;
    std::vector<std::string> loraTargets; ///< empty: qkv (ViT), mlp.fc1/fc2 (ConvNeXt), 3x3 convs (ResNet)

    // Clustering objective.
    int prototypes = 256;
    PrototypeInit prototypeInit = PrototypeInit::Random;
    double sinkhornEpsilon = 0.05;
    int sinkhornIterations = 3;
    double temperature = 0.1;
    OfflineStream offline = OfflineStream::Ema; ///< an EMA of LoRA + head, or the online scores (no grad)
    double emaMomentum = 0.99;   ///< start of the cosine ramp to 1

    // Center vector regularisation and the gate.
    CvrTerm cvrTerm = CvrTerm::Anchor; ///< what CVR penalises: drift from the base center, or its length
    CvrSpace cvrSpace = CvrSpace::Features; ///< whose center: the backbone features' or the head outputs'
    double cvrLambda = 1.0;
    double cvrMomentum = 0.9;
    double cvrBeta = 0.9;
    GatePolicy gate = GatePolicy::Alternate;
    double gateQuantile = 0.5; ///< loss-quantile and center: back-propagate at or above this quantile

    // Views.
    int smallCrops = 0;
    double scaleMin = 0.4;
    bool horizontalFlip = false;
    bool colorJitter = true;

    // Monitors.
    int probeImages = 256; ///< fixed target sample for mu0 and feature drift
    int sourceProbeImages = 512;
    int logEvery = 10;
    int sourceProbeEvery = 50; ///< in steps; a source probe pass costs a forward over its images

    // Execution.
    Precision precision = Precision::Auto;
    std::string device = "auto"; ///< parseDevice(): auto, cpu, cuda or cuda:N
    int threads = 0; ///< 0: leave the process setting alone
    int workers = 2;
    DecodedCacheMode decodedCache = DecodedCacheMode::Auto; ///< the target's decoded-image cache
    std::uint64_t seed = 0;
    int checkpointEvery = 100; ///< in steps; 0: only at stop and at the end
    int keepCheckpoints = 2;
};

nlohmann::json trainConfigToJson(const TrainConfig &config);
/// Unknown keys are refused (a typo must not silently fall back to a default); missing keys
/// keep their defaults. Throws InputError naming the key.
TrainConfig trainConfigFromJson(const nlohmann::json &json);
TrainConfig loadTrainConfig(const std::string &file);
/// The one writer of config.json and session files: trainConfigToJson(config), atomically.
void saveTrainConfig(const TrainConfig &config, const std::filesystem::path &file);
/// Checks ranges (upstep/common/limits.h) and names; throws InputError with the field and the
/// allowed values.
void validateTrainConfig(const TrainConfig &config);

} // namespace upstep::core
