#include "run/runsnapshot.h"

#include "upstep/common/error.h"
#include "models/adapterfile.h"
#include "models/lora.h"
#include "models/backboneloader.h"
#include "run/checkpoint.h"
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
        throw InputError(path.string() + ": neither a run folder (" + paths.adapter().filename().string() +
                         ") nor a PEFT adapter folder (adapter_config.json)");
    }
    return loadAdapter(path);
}

RunSnapshot loadRunSnapshot(const std::filesystem::path &runFolder, const std::filesystem::path &weights,
                            const std::string &arch)
{
    const RunPaths paths(runFolder);
    const auto config = loadTrainConfig(paths.config().string());
    const auto base = weights.empty() ? std::filesystem::path(config.weights) : weights;
    RunSnapshot snapshot;
    snapshot.model = loadBackbone(base, arch.empty() ? config.arch : arch).model;
    const auto checkpoint = loadLatestCheckpoint(paths.checkpoints());
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
    // initial values are all replaced; the prototypes are rebuilt from the run's seed).
    injectLora(*snapshot.model, {config.loraRank, config.loraAlpha, config.loraTargets});
    loadLoraTensors(*snapshot.model, checkpoint->lora);
    ProjectionHeadConfig headConfig;
    headConfig.prototypes = config.prototypes;
    headConfig.prototypeSeed = config.seed;
    snapshot.head = ProjectionHead(snapshot.model->featureDim(), headConfig);
    restoreParameters(*snapshot.head, checkpoint->head, paths.checkpoints());
    snapshot.model->eval();
    snapshot.head->eval();
    snapshot.step = checkpoint->step;
    return snapshot;
}

} // namespace upstep::core
