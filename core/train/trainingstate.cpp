#include "train/trainingstate.h"

#include "models/backboneloader.h"
#include "models/lora.h"
#include "upstep/common/error.h"

#include <sstream>

namespace upstep::core {

Checkpoint captureTrainingState(BackboneImpl &backbone, AdaptationStep &adaptation, Tuning tuning, std::int64_t step)
{
    Checkpoint c;
    c.step = step;
    if (tuning == Tuning::Full)
        c.backbone = backboneTensors(backbone);
    else
        c.lora = loraTensors(backbone);
    for (const auto &item : adaptation.streams().head().named_parameters())
        c.head[item.key()] = item.value().detach();
    c.offline = adaptation.streams().offlineWeights();
    c.centerMu = adaptation.center().mu();
    c.centerMu0 = adaptation.center().mu0();
    c.prototypes = adaptation.streams().head().prototypes.detach();
    if (const auto *head = adaptation.headCenter()) {
        c.headCenterMu = head->mu();
        c.headCenterMu0 = head->mu0();
    }
    c.gateState = adaptation.gate().state();
    torch::serialize::OutputArchive archive;
    adaptation.optimizer().save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    c.optimizerArchive = bytes.str();
    c.cpuRngState = at::detail::getDefaultCPUGenerator().get_state();
    return c;
}

RestoredState restoreTrainingState(const Checkpoint &checkpoint, BackboneImpl &backbone, AdaptationStep &adaptation,
                                   Tuning tuning, torch::Device device, const std::filesystem::path &checkpoints,
                                   const std::function<void()> &placePrototypes)
{
    RestoredState restored;
    if (tuning == Tuning::Full) {
        loadStateStrict(backbone, checkpoint.backbone, listCheckpoints(checkpoints).back());
        backbone.to(device);
    } else {
        restored.loraOnAllProjections = loadLoraTensors(backbone, checkpoint.lora);
    }
    restoreParameters(adaptation.streams().head(), checkpoint.head, checkpoints);
    if (checkpoint.prototypes.defined()) {
        torch::NoGradGuard noGrad;
        auto &prototypes = adaptation.streams().head().prototypes;
        if (checkpoint.prototypes.sizes() != prototypes.sizes())
            throw InputError("the checkpoint's prototypes do not match this run's prototype count");
        prototypes.copy_(checkpoint.prototypes.to(prototypes.device(), torch::kFloat32));
    } else if (placePrototypes) {
        placePrototypes(); // a checkpoint without them: the same sample gives the same centroids
    }
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> offline;
    for (const auto &weights : checkpoint.offline)
        offline.push_back(weights.to(device));
    adaptation.streams().restoreOffline(offline);
    adaptation.center().restore(checkpoint.centerMu0, checkpoint.centerMu);
    if (auto *head = adaptation.headCenter()) {
        if (!checkpoint.headCenterMu.defined())
            throw InputError("the checkpoint holds no head-space center, which this run's cvr_space head needs");
        head->restore(checkpoint.headCenterMu0, checkpoint.headCenterMu);
    }
    adaptation.gate().restore(checkpoint.gateState);
    torch::serialize::InputArchive archive;
    std::istringstream optimizerBytes(checkpoint.optimizerArchive);
    archive.load_from(optimizerBytes, device);
    adaptation.optimizer().load(archive);
    auto generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(checkpoint.cpuRngState);
    restored.step = checkpoint.step;
    return restored;
}

} // namespace upstep::core
