#pragma once
// The UpStep adaptation loop (docs/METHOD.md §3-§5): LoRA + projection head train with AdamW on a
// cosine schedule, the gate decides per iteration whether to back-propagate, the center vector
// anchors the target distribution, and everything lands in a run folder:
//   RUN/config.json          the TrainConfig (same schema as the workbench's sessions)
//   RUN/metrics.jsonl        one MetricsRecord per logging step
//   RUN/checkpoints/         step-NNNNNNNN.safetensors, atomic, the newest few kept
//   RUN/adapter.safetensors  the adapter (PEFT names), at every stop and at the end
//   RUN/summary.json         steps, kept/skipped, parameters, wall time, images/s
//   RUN/eval.json            the end-of-run evaluation, when the config names a target test folder
//
// On CPU with the same seed and thread count, a run resumed from a checkpoint ends with an
// adapter bit-identical to an uninterrupted run's: the data order and augmentation derive from
// (seed, epoch, index), and a checkpoint holds every other piece of state.
//
// Threading: runAdaptation() runs on the calling thread (plus the loader's workers). The
// callbacks run on that thread too. The stop and pause flags may be set from any thread.

#include "upstep/common/error.h"
#include "upstep/common/progress.h"
#include "upstep/io/imagefolder.h"
#include "upstep/models/archspec.h"
#include "upstep/run/metricsrecord.h"
#include "upstep/run/trainconfig.h"
#include "upstep/run/trainsummary.h"
#include "upstep/run/runpaths.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>

namespace upstep::core {

struct TrainCallbacks {
    ProgressSink progress;                              ///< setup stages, then one event per step
    std::function<void(const MetricsRecord &)> metrics; ///< every logEvery steps and at the end
    std::function<void(const std::string &)> log;       ///< one-line notes (resumed, skipped files...)
};

struct TrainControl {
    StopFlag stop = nullptr;                   ///< checkpoint, write the adapter and return
    const std::atomic<bool> *pause = nullptr;  ///< wait between iterations while set
    /// Fault injection for tests of the divergence path: the loss of this step becomes NaN.
    std::int64_t injectNanAtStep = -1;
    /// A scan of config.target made earlier (the workbench's, when the folder was chosen). The
    /// run uses it instead of scanning again when it was made with targetScanOptions() and
    /// isScanCurrent() holds; otherwise it scans, so the result never depends on this.
    std::shared_ptr<const ImageFolder> targetScan;
};

/// How a run scans its target folder: file names, then each file's first bytes, so that a file
/// whose content is no image is listed as skipped before training (a truncated image is still
/// found only when decoded).
ScanOptions targetScanOptions();

/// The shorter side a run with this config needs its target images decoded at (the decoded-image
/// cache's side): the evaluation resize and the smallest training crops' cover.
int trainingDecodeSide(const TrainConfig &config, const Preprocessing &preprocessing);

/// The loss became NaN or infinite. The newest checkpoint on disk predates it.
class TrainingDiverged : public Error {
public:
    TrainingDiverged(std::int64_t step, const std::string &message)
        : Error(message, ErrorKind::Diverged), m_step(step) {}
    std::int64_t step() const { return m_step; }

private:
    std::int64_t m_step;
};

/// Adapts config.weights to config.target into runDir. resume continues from the newest
/// checkpoint in runDir, and refuses one made with another base model, rank or target set.
/// Throws InputError/IoError/FormatError before any training for unusable inputs, and
/// TrainingDiverged when the loss stops being finite.
TrainSummary runAdaptation(const TrainConfig &config, const std::filesystem::path &runDir, bool resume,
                           const TrainCallbacks &callbacks = {}, const TrainControl &control = {});

} // namespace upstep::core
