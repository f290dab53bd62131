#include "run/runsnapshot.h"

#include "upstep/common/error.h"
#include "models/adapterfile.h"
#include "models/lora.h"
#include "models/backboneloader.h"
#include "run/checkpoint.h"
#include "run/runfingerprint.h"
#include "upstep/run/trainconfig.h"
#include "upstep/run/runpaths.h"

namespace upstep::core {

bool isRunFolder(const std::filesystem::path &folder)
{
    std::error_code ec;
    const RunPaths paths(folder);
    return std::filesystem::is_regular_file(paths.config(), ec) && std::filesystem::is_directory(paths.checkpoints(), ec);
}

Adapter loadAdapterOrRun(const std::filesystem::path &path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec) && !std::filesystem::exists(path / "adapter_config.json")) {
        const RunPaths paths(path);
        if (std::filesystem::exists(paths.adapter()))
            return loadAdapter(paths.adapter());
        if (std::filesystem::exists(paths.fineTuned()))
            throw InputError(path.string() +
                             " fine-tuned the whole backbone (tuning full), so it has no adapter; its "
                             "weights are " +
                             paths.fineTuned().string() + ", which loads as base weights (--weights)");
        // A run stopped or killed before its end has checkpoints but no adapter file yet: its
        // newest checkpoint is its adapter.
        if (std::filesystem::exists(paths.config())) {
            const auto checkpoint = loadLatestCheckpoint(paths.checkpoints());
            if (!checkpoint)
                throw InputError(path.string() + ": the run has no checkpoint or adapter yet");
            const auto config = loadTrainConfig(paths.config().string());
            if (config.tuning == Tuning::Full)
                throw InputError(path.string() + " fine-tunes the whole backbone and has not finished: resume it to "
                                                 "get its model.safetensors (it has no adapter)");
            return adapterFromTensors(checkpoint->lora, config.loraAlpha, config.weights,
                                      listCheckpoints(paths.checkpoints()).back());
        }
        throw InputError(path.string() + ": neither a run folder (" + paths.adapter().filename().string() +
                         ") nor a PEFT adapter folder (adapter_config.json)");
    }
    return loadAdapter(path);
}

std::string baseWeightsMismatch(const std::filesystem::path &adapter, const std::filesystem::path &weights)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path file = adapter; // the safetensors file whose metadata names the base
    if (fs::is_directory(adapter, ec)) {
        const RunPaths paths(adapter);
        const auto checkpoints = listCheckpoints(paths.checkpoints());
        if (fs::exists(adapter / "adapter_config.json", ec))
            file = adapter / "adapter_model.safetensors";
        else if (fs::exists(paths.adapter(), ec))
            file = paths.adapter();
        else if (!checkpoints.empty())
            file = checkpoints.back();
        else
            return {};
    }
    std::string recorded, now;
    try {
        const auto metadata = readSafetensorsHeader(file).metadata;
        const auto it = metadata.find(kBaseFingerprintKey);
        recorded = it != metadata.end() ? it->second : readFingerprint(metadata).base;
        if (recorded.empty() || recorded == "(unknown)")
            return {};
        now = fingerprintWeights(weights);
    } catch (const Error &) {
        return {}; // a damaged file is reported by the loader that follows
    }
    // The size and hash decide, not the file name: a renamed copy is the same base.
    const auto content = [](const std::string &fingerprint) {
        const auto at = fingerprint.rfind(" (");
        return at == std::string::npos ? fingerprint : fingerprint.substr(at + 1);
    };
    if (content(recorded) == content(now))
        return {};
    return adapter.string() + " was trained on the base weights " + recorded + ", not on " + weights.string() + " " +
           content(now) + "; its results describe another model";
}

RunSnapshot loadRunSnapshot(const std::filesystem::path &runFolder, const std::filesystem::path &weights,
                            const std::string &arch, std::int64_t step)
{
    const RunPaths paths(runFolder);
    const auto config = loadTrainConfig(paths.config().string());
    const auto base = weights.empty() ? std::filesystem::path(config.weights) : weights;
    RunSnapshot snapshot;
    auto loaded = loadBackbone(base, arch.empty() ? config.arch : arch);
    snapshot.model = loaded.model;
    const auto checkpoint = loadCheckpointAtStep(paths.checkpoints(), step);
    if (!checkpoint && step >= 0)
        throw InputError(runFolder.string() + ": the run has no checkpoint at step " + std::to_string(step) +
                         " (it keeps only its newest " + std::to_string(config.keepCheckpoints) + ")");
    if (config.tuning == Tuning::Full && !checkpoint) { // a whole fine-tuned model, no adapter
        if (!std::filesystem::exists(paths.fineTuned()))
            throw InputError(runFolder.string() + ": the run has no checkpoint or model yet");
        snapshot.model = loadBackbone(paths.fineTuned(), arch.empty() ? config.arch : arch).model;
        snapshot.model->eval();
        return snapshot;
    }
    if (!checkpoint) {
        if (!std::filesystem::exists(paths.adapter()))
            throw InputError(runFolder.string() + ": the run has no checkpoint or adapter yet; wait for its first "
                                                  "checkpoint (every " +
                             std::to_string(config.checkpointEvery) + " steps)");
        applyAdapter(*snapshot.model, loadAdapter(paths.adapter()));
        snapshot.model->eval();
        return snapshot;
    }
    // The same construction as the trainer's, then the checkpoint's tensors over it (the random
    // initial values are all replaced; the prototypes come from the checkpoint, or from the run's
    // seed in checkpoints older than k-means prototypes).
    if (config.tuning == Tuning::Full) {
        loadStateStrict(*snapshot.model, checkpoint->backbone, listCheckpoints(paths.checkpoints()).back());
    } else {
        injectLora(*snapshot.model, {config.loraRank, config.loraAlpha,
                                     loraPatternsFor(config.loraTargets, loaded.transformers.has_value())});
        loadLoraTensors(*snapshot.model, checkpoint->lora);
    }
    ProjectionHeadConfig headConfig;
    headConfig.prototypes = config.prototypes;
    headConfig.prototypeSeed = config.seed;
    snapshot.head = ProjectionHead(snapshot.model->featureDim(), headConfig);
    restoreParameters(*snapshot.head, checkpoint->head, paths.checkpoints());
    if (checkpoint->prototypes.defined()) { // k-means prototypes are not the seed's
        torch::NoGradGuard noGrad;
        snapshot.head->prototypes.copy_(checkpoint->prototypes.to(torch::kFloat32));
    }
    snapshot.model->eval();
    snapshot.head->eval();
    snapshot.step = checkpoint->step;
    return snapshot;
}

} // namespace upstep::core
