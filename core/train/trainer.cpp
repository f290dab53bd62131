#include "upstep/train/trainer.h"

#include "common/runtime.h"
#include "upstep/common/hardware.h"
#include "common/torchcompat.h"
#include "data/fixedsample.h"
#include "data/imageloader.h"
#include "upstep/io/imagefolder.h"
#include "models/adapterfile.h"
#include "models/lora.h"
#include "models/backboneloader.h"
#include "train/adaptationstep.h"
#include "upstep/train/memoryestimate.h"
#include "run/checkpoint.h"
#include "run/metricslog.h"
#include "train/learningrate.h"
#include "train/pendinglosses.h"
#include "train/trainingstate.h"
#include "run/runfingerprint.h"
#include "run/runlock.h"
#include "upstep/io/outputpath.h"

#include <chrono>
#include <cmath>
#include <set>
#include <sstream>
#include <thread>

namespace upstep::core {

namespace {

// The loader of a run's target: shuffled whole batches of two augmented views (and the small
// crops), as docs/METHOD.md §4 describes. One place, so that `upstep cache` asks for the side the
// run will need (trainingDecodeSide).
LoaderConfig trainingLoaderConfig(const TrainConfig &config, const Preprocessing &preprocessing)
{
    LoaderConfig loader;
    loader.batchSize = config.batchSize;
    loader.shuffle = true;
    loader.dropLast = true;
    loader.seed = config.seed;
    loader.workers = config.workers;
    loader.preprocessing = preprocessing;
    AugmentConfig augment;
    augment.scaleMin = config.scaleMin;
    augment.horizontalFlip = config.horizontalFlip;
    if (!config.colorJitter)
        augment.jitterProbability = augment.grayscaleProbability = 0;
    loader.augment = augment;
    loader.views = 2;
    loader.smallCrops = config.smallCrops;
    return loader;
}

using Clock = std::chrono::steady_clock;

// The base model for a scope: LoRA off, and on again however the scope is left.
class BaseModelScope {
public:
    explicit BaseModelScope(torch::nn::Module &model) : m_model(model) { setLoraEnabled(m_model, false); }
    ~BaseModelScope() { setLoraEnabled(m_model, true); }
    BaseModelScope(const BaseModelScope &) = delete;
    BaseModelScope &operator=(const BaseModelScope &) = delete;

private:
    torch::nn::Module &m_model;
};

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// Everything one adaptation run holds; the loop below drives it.
class AdaptationRun {
public:
    AdaptationRun(const TrainConfig &config, const std::filesystem::path &runDir, bool resume,
                  const TrainCallbacks &callbacks, const TrainControl &control);
    TrainSummary run();

private:
    TrainSummary runLogged();
    void note(const std::string &message) const
    {
        if (m_callbacks.log)
            m_callbacks.log(message);
    }
    void stage(const std::string &what) const
    {
        if (m_callbacks.progress)
            m_callbacks.progress({what, 0, 0, "steps"});
    }
    static TrainConfig withAbsolutePaths(TrainConfig config);
    void prepare();
    void prepareData();
    void prepareModel();
    void prepareProbes();
    void placePrototypes();
    void noteMemoryEstimate() const;
    void restore();
    void iterate(std::int64_t step, const Batch &batch, double lr);
    MetricsRecord record(std::int64_t step, double lr);
    void checkFinite();
    void reportDecodeFailures();
    void saveCheckpoint(std::int64_t step);
    void writeOutputs(std::int64_t step);
    TrainSummary loop(const std::function<void(const MetricsRecord &)> &emit);

    TrainConfig m_config;
    RunPaths m_paths;
    std::unique_ptr<RunFolderLock> m_lock;
    bool m_resume;
    const TrainCallbacks &m_callbacks;
    const TrainControl &m_control;

    torch::Device m_device = torch::kCPU;
    torch::ScalarType m_dtype = torch::kFloat32;
    ImageFolder m_target;
    RunFingerprint m_fingerprint;
    std::unique_ptr<ImageLoader> m_loader;
    std::int64_t m_batchesPerEpoch = 0;
    std::int64_t m_totalSteps = 0;
    std::int64_t m_startStep = 0;

    BackbonePtr m_backbone;
    std::unique_ptr<AdaptationStep> m_step;

    torch::Tensor m_probe, m_probeBase;
    torch::Tensor m_sourceImages, m_sourceLabels;

    PendingLosses m_pending;
    double m_lastEntropy = MetricsRecord::kUnset;
    std::int64_t m_imagesSeen = 0;
    double m_keptSeconds = 0, m_skippedSeconds = 0;
    std::int64_t m_keptTimed = 0, m_skippedTimed = 0;
    Clock::time_point m_loopStart;
    std::int64_t m_lastCheckpoint = -1;
    std::size_t m_reportedFailures = 0;
    std::set<std::string> m_namedFailures;
};

AdaptationRun::AdaptationRun(const TrainConfig &config, const std::filesystem::path &runDir, bool resume,
                             const TrainCallbacks &callbacks, const TrainControl &control)
    : m_config(withAbsolutePaths(config)), m_paths(withoutTrailingSeparator(runDir)), m_resume(resume),
      m_callbacks(callbacks), m_control(control)
{
    validateTrainConfig(m_config);
    if (m_config.threads > 0)
        configureThreads(m_config.threads);
    m_device = resolveDevice(m_config.device);
    m_dtype = resolvePrecision(m_config.precision, m_device);

    checkOutputLocation(m_paths.root);
    m_lock = std::make_unique<RunFolderLock>(m_paths.root);
    try {
        prepare();
    } catch (...) {
        m_lock->releaseAndRemoveIfUnused();
        throw;
    }
}

void AdaptationRun::prepare()
{
    removeStaleTemporaries(m_paths.root);
    const bool hasRun = !listCheckpoints(m_paths.checkpoints()).empty();
    if (m_resume && !hasRun)
        throw InputError("nothing to resume: " + m_paths.checkpoints().string() + " holds no checkpoint");
    if (!m_resume && hasRun)
        throw InputError(m_paths.root.string() +
                         " already holds a run; pass --resume to continue it, or choose a new run folder");
    prepareData();
    prepareModel();
    prepareProbes();
    if (m_resume)
        restore();
}

// config.json must name its folders absolutely: a run resumed or evaluated from another working
// directory finds them as well.
TrainConfig AdaptationRun::withAbsolutePaths(TrainConfig config)
{
    for (auto *path : {&config.weights, &config.target, &config.sourceProbe, &config.targetTest}) {
        std::error_code ec;
        if (!path->empty())
            if (auto absolute = std::filesystem::absolute(*path, ec); !ec)
                *path = absolute.lexically_normal().string();
    }
    return config;
}

void AdaptationRun::prepareData()
{
    // Checked before any training: a test folder without classes would otherwise fail only at
    // the evaluation after the run.
    for (const auto &[key, folder] :
         {std::pair{"target_test", &m_config.targetTest}, {"source_probe", &m_config.sourceProbe}})
        if (!folder->empty() && std::filesystem::is_directory(*folder) && !hasAnySubfolder(*folder))
            throw InputError(std::string(key) + " " + *folder +
                             " has no class sub-folders: a labeled folder holds one sub-folder of images per class");
    const auto &earlier = m_control.targetScan;
    if (earlier && earlier->root.lexically_normal() == std::filesystem::path(m_config.target).lexically_normal() &&
        earlier->options == targetScanOptions() && isScanCurrent(*earlier)) {
        m_target = *earlier;
        note("using the scan made when the target folder was chosen (" + std::to_string(m_target.images.size()) +
             " images; the folder has not changed since)");
    } else {
        stage("scanning the target folder");
        m_target = scanImageFolder(m_config.target, targetScanOptions(), m_callbacks.progress, m_control.stop);
    }
    if (!m_target.skipped.empty())
        note(std::to_string(m_target.skipped.size()) + " files in the target folder were skipped by the scan");
    if (static_cast<int>(m_target.images.size()) < m_config.batchSize)
        throw InputError(m_config.target + " holds " + std::to_string(m_target.images.size()) +
                         " images, fewer than one batch of " + std::to_string(m_config.batchSize) +
                         "; lower the batch size or add images");
    m_fingerprint = fingerprintRun(m_config, m_config.target, m_target.images);
}

void AdaptationRun::prepareModel()
{
    stage("loading the base model");
    auto loaded = loadBackbone(m_config.weights, m_config.arch);
    m_backbone = loaded.model;
    for (const auto &n : loaded.notes)
        note(n);
    // Adapter A matrices and the head draw from the global generator: seed it first.
    torch::manual_seed(m_config.seed);
    if (m_config.tuning == Tuning::Full) {
        // The baseline without adapters: every weight trains. The classifier head is not on the
        // objective's path, so it gets no gradient and keeps the base model's values.
        std::int64_t count = 0;
        for (auto &parameter : m_backbone->parameters()) {
            parameter.set_requires_grad(true);
            count += parameter.numel();
        }
        note("full fine-tuning: all " + std::to_string(count) +
             " backbone parameters train (no adapter; the result is a whole model, model.safetensors)");
    } else {
        const auto targets = loraPatternsFor(m_config.loraTargets, loaded.transformers.has_value());
        injectLora(*m_backbone, {m_config.loraRank, m_config.loraAlpha, targets});
        note("LoRA on " + describeLoraTargets(*m_backbone, targets));
    }
    m_backbone->to(m_device);
    m_backbone->eval();

    auto loader = trainingLoaderConfig(m_config, m_backbone->spec().preprocessing);
    if (m_config.decodedCache == DecodedCacheMode::Build)
        stage("caching the decoded target images");
    std::string cacheNote;
    loader.cache = decodedCacheForRun(m_config.decodedCache, m_target.images, neededShortSide(loader), m_config.workers,
                                      m_callbacks.progress, m_control.stop, &cacheNote);
    if (!cacheNote.empty())
        note(cacheNote);
    m_loader = std::make_unique<ImageLoader>(m_target.images, loader);
    noteMemoryEstimate();
    m_batchesPerEpoch = m_loader->batchesPerEpoch();
    const double steps = m_config.steps > 0 ? static_cast<double>(m_config.steps)
                                            : std::ceil(m_config.epochs * static_cast<double>(m_batchesPerEpoch));
    if (steps > static_cast<double>(kMaxSteps))
        throw InputError(std::to_string(m_config.epochs) + " epochs of " + std::to_string(m_batchesPerEpoch) +
                         " batches are " + std::to_string(static_cast<long long>(steps)) +
                         " steps, over the limit of " + std::to_string(kMaxSteps));
    m_totalSteps = std::max<std::int64_t>(1, static_cast<std::int64_t>(steps));
}

void AdaptationRun::noteMemoryEstimate() const
{
    std::int64_t parameters = 0, lora = 0;
    for (const auto &parameter : m_backbone->parameters())
        (parameter.requires_grad() ? lora : parameters) += parameter.numel();
    // The projection head and its prototypes are made later, with the step.
    const auto headParameters = projectionHeadParameters(m_backbone->featureDim(), m_config.prototypes);
    const auto estimate = estimateTrainingMemory(m_backbone->spec(), parameters, lora + headParameters, m_config,
                                                 m_dtype == torch::kBFloat16, compat::kFusedAttention,
                                                 m_device.is_cuda());
    note("memory: " + describeMemoryEstimate(estimate));
}

void AdaptationRun::prepareProbes()
{
    stage("measuring the base model on the probe sample");
    const auto &preprocessing = m_backbone->spec().preprocessing;
    auto probe = loadFixedSample(m_target.images, m_config.probeImages, m_config.seed, preprocessing, m_config.workers);
    if (probe.images.size(0) < 2) {
        const auto reason = probe.failed.empty() ? std::string("no images") : probe.failed.front().reason;
        throw InputError(m_config.target + ": the target images cannot be read (" + std::to_string(probe.failed.size()) +
                         " of the " + std::to_string(probe.failed.size() + probe.images.size(0)) +
                         " probe images failed; first: " + reason + ")");
    }
    m_probe = probe.images.to(m_device);
    {
        torch::NoGradGuard noGrad;
        compat::AutocastGuard autocast(m_device, m_dtype);
        const BaseModelScope base(*m_backbone);
        m_probeBase = m_backbone->features(m_probe).to(torch::kFloat32);
    }
    // The head draws its initial weights from the global generator, seeded before the adapters.
    m_step = std::make_unique<AdaptationStep>(m_backbone, m_config, m_probeBase, m_device, m_dtype);
    if (m_config.prototypeInit == PrototypeInit::Kmeans && !m_resume) // a resume restores them
        placePrototypes();

    if (m_config.sourceProbe.empty())
        return;
    if (!m_backbone->hasHead())
        throw InputError("a source probe folder needs base weights with a classifier head; " + m_config.weights +
                         " has none");
    stage("loading the source probe");
    ScanOptions labeled;
    labeled.withLabels = true;
    const auto source = scanImageFolder(m_config.sourceProbe, labeled, m_callbacks.progress, m_control.stop);
    auto sample = loadFixedSample(source.images, m_config.sourceProbeImages, m_config.seed, preprocessing,
                                  m_config.workers);
    m_sourceImages = sample.images.to(m_device);
    m_sourceLabels = sample.labels;
}

// k-means of the base model's features of a seeded target sample, 16 images per prototype (up to
// the whole folder). Checkpoints store the prototypes, so a resume restores them; the same seed,
// folder and base would give the same ones anyway.
void AdaptationRun::placePrototypes()
{
    const auto wanted = std::min<std::size_t>(m_target.images.size(),
                                              static_cast<std::size_t>(m_config.prototypes) * 16);
    stage("placing the prototypes: k-means of " + std::to_string(wanted) + " target images");
    const auto start = Clock::now();
    torch::Tensor features;
    {
        const BaseModelScope base(*m_backbone);
        features = embedFixedSample(m_target.images, static_cast<int>(wanted), m_config.seed,
                                    m_backbone->spec().preprocessing, m_config.workers,
                                    [&](const torch::Tensor &images) {
                                        if (stopRequested(m_control.stop)) // thousands of images: a stop may come
                                            throw Cancelled();
                                        torch::NoGradGuard noGrad;
                                        return m_step->features(images);
                                    });
    }
    if (features.size(0) < m_config.prototypes)
        throw InputError("k-means prototypes need at least one readable target image per prototype: " +
                         std::to_string(features.size(0)) + " images for " + std::to_string(m_config.prototypes) +
                         " prototypes; lower --prototypes or use --prototype-init random");
    const int iterations = m_step->placePrototypes(features);
    char line[160];
    std::snprintf(line, sizeof line, "prototypes: k-means of %lld target images, %d iterations, %.1f s",
                  static_cast<long long>(features.size(0)), iterations, secondsSince(start));
    note(line);
}

void AdaptationRun::restore()
{
    stage("resuming from the newest checkpoint");
    const auto checkpoint = loadLatestCheckpoint(m_paths.checkpoints());
    requireSameRun(readFingerprint(checkpoint->metadata), m_fingerprint);
    std::function<void()> placeAgain;
    if (m_config.prototypeInit == PrototypeInit::Kmeans)
        placeAgain = [this] { placePrototypes(); };
    const auto restored = restoreTrainingState(*checkpoint, *m_backbone, *m_step, m_config.tuning, m_device,
                                               m_paths.checkpoints(), placeAgain);
    if (restored.loraOnAllProjections)
        note("the checkpoint's LoRA updates all of q, k and v (a run from before query and value became the "
             "default for this layout): continuing on all three");
    m_startStep = restored.step;
    m_lastCheckpoint = m_startStep;

    // Metrics logged after the checkpoint would be logged again: drop them.
    truncateMetricsLog(m_paths.metrics(), m_startStep);
    note("resumed from step " + std::to_string(m_startStep) + " of " + std::to_string(m_totalSteps));
}

// Images that fail to decode are left out of their batch; the user learns which and why, as
// they are found (the first ten by name, then a count).
void AdaptationRun::reportDecodeFailures()
{
    constexpr std::size_t kNamed = 10;
    const auto count = m_loader->failureCount();
    if (count <= m_reportedFailures)
        return;
    for (const auto &failure : m_loader->failures()) // ordered by image, not by when it failed
        if (m_namedFailures.size() < kNamed && m_namedFailures.insert(failure.path.string()).second)
            note("skipped " + failure.path.string() + ": " + failure.reason);
    if (count > kNamed)
        note(std::to_string(count) + " target images could not be decoded so far; they are left out");
    m_reportedFailures = count;
}

void AdaptationRun::iterate(std::int64_t step, const Batch &batch, double lr)
{
    const auto start = Clock::now();
    std::vector<torch::Tensor> views, crops;
    for (const auto &v : batch.views)
        views.push_back(v.to(m_device));
    for (const auto &c : batch.crops)
        crops.push_back(c.to(m_device));

    const bool keep = m_step->gateKeeps(step, views, crops);
    if (keep) {
        const auto losses = m_step->kept(step, m_totalSteps, views, crops, lr, step == m_control.injectNanAtStep);
        m_pending.add(step, losses.total, losses.cluster, losses.cvr);
        m_lastEntropy = losses.entropy;
    }
    m_imagesSeen += views[0].size(0);
    const double seconds = secondsSince(start);
    (keep ? m_keptSeconds : m_skippedSeconds) += seconds;
    (keep ? m_keptTimed : m_skippedTimed) += 1;
}

MetricsRecord AdaptationRun::record(std::int64_t step, double lr)
{
    MetricsRecord r;
    r.step = step;
    r.totalSteps = m_totalSteps;
    r.epoch = static_cast<double>(step) / static_cast<double>(m_batchesPerEpoch);
    r.loss = PendingLosses::mean(m_pending.total);
    r.clusterLoss = PendingLosses::mean(m_pending.cluster);
    r.cvrLoss = PendingLosses::mean(m_pending.cvr);
    r.muNorm = m_step->center().norm();
    r.centerDrift = m_step->center().drift();
    {
        torch::NoGradGuard noGrad;
        const auto adapted = m_step->features(m_probe);
        r.featureDrift = (1.0 - torch::cosine_similarity(adapted, m_probeBase, 1)).mean().item<double>();
        if (m_sourceImages.defined() && (step % m_config.sourceProbeEvery == 0 || step == m_totalSteps)) {
            const auto logits = m_backbone->headForward(m_step->features(m_sourceImages));
            r.sourceProbeTop1 = (logits.argmax(1).to(torch::kCPU) == m_sourceLabels).to(torch::kFloat64).mean().item<double>();
        }
    }
    r.clusterEntropy = m_lastEntropy;
    r.maxEntropy = std::log(static_cast<double>(m_config.prototypes));
    r.skippedFraction = m_step->gate().skippedFraction();
    r.learningRate = lr;
    r.elapsedSeconds = secondsSince(m_loopStart);
    r.imagesPerSecond = m_imagesSeen / std::max(r.elapsedSeconds, 1e-9);
    return r;
}

void AdaptationRun::checkFinite()
{
    const auto bad = m_pending.firstNonFinite();
    if (bad < 0)
        return;
    const auto kept = m_lastCheckpoint >= 0 ? "the last good checkpoint (step " + std::to_string(m_lastCheckpoint) +
                                                  ") is kept in " + m_paths.checkpoints().string()
                                            : std::string("no checkpoint was written before it");
    throw TrainingDiverged(bad, "the loss became NaN or infinite at step " + std::to_string(bad) +
                                    "; training stopped, " + kept +
                                    ". Try a lower learning rate or gradient clipping.");
}

void AdaptationRun::saveCheckpoint(std::int64_t step)
{
    checkFinite();
    for (const auto &p : m_step->trainable())
        if (!torch::isfinite(p).all().item<bool>())
            throw TrainingDiverged(step, "adapter weights stopped being finite by step " + std::to_string(step) +
                                             "; the last good checkpoint is kept. Try a lower learning rate.");
    auto c = captureTrainingState(*m_backbone, *m_step, m_config.tuning, step);
    writeFingerprint(m_fingerprint, c.metadata);
    core::saveCheckpoint(m_paths.checkpoints(), c, m_config.keepCheckpoints);
    m_lastCheckpoint = step;
}

void AdaptationRun::writeOutputs(std::int64_t step)
{
    if (m_lastCheckpoint != step)
        saveCheckpoint(step);
    if (m_config.tuning == Tuning::Full) {
        saveBackbone(*m_backbone, m_paths.fineTuned(),
                     {{"upstep.fine_tuned_from", m_config.weights},
                      {"upstep.step", std::to_string(step)},
                      {kBaseFingerprintKey, m_fingerprint.base}});
        return;
    }
    auto adapter = adapterFromModel(*m_backbone, m_config.weights);
    saveAdapterFile(adapter, m_paths.adapter(),
                    {{kArchMetadataKey, archSpecToJson(m_backbone->spec())},
                     {"upstep.step", std::to_string(step)},
                     {kBaseFingerprintKey, m_fingerprint.base}});
}

TrainSummary AdaptationRun::run()
{
    try {
        return runLogged();
    } catch (const IoError &e) { // a full disk: say what survived and how to go on
        throw withKeptState(e, m_lastCheckpoint >= 0
                                   ? "the run's checkpoint of step " + std::to_string(m_lastCheckpoint) +
                                         " is kept; fix the cause (a full disk?) and continue with --resume"
                                   : "the run has no checkpoint yet; fix the cause (a full disk?) and start it "
                                     "again");
    }
}

TrainSummary AdaptationRun::runLogged()
{
    std::filesystem::create_directories(m_paths.root);
    saveTrainConfig(m_config, m_paths.config());
    // A fresh run starts a fresh log; a resumed one continues the log restore() trimmed.
    MetricsLog metrics(m_paths.metrics(), m_resume);
    const auto emit = [&](const MetricsRecord &r) {
        metrics.append(r);
        if (m_callbacks.metrics)
            m_callbacks.metrics(r);
    };

    m_loopStart = Clock::now();
    try {
        return loop(emit);
    } catch (const TrainingDiverged &e) {
        TrainSummary diverged;
        diverged.status = RunStatus::Diverged;
        diverged.divergedAtStep = e.step();
        diverged.message = e.what();
        diverged.lastCheckpoint = m_lastCheckpoint;
        writeTrainSummary(diverged, m_paths.summary());
        throw;
    }
}

TrainSummary AdaptationRun::loop(const std::function<void(const MetricsRecord &)> &emit)
{
    if (m_startStep == 0)
        emit(record(0, 0.0));
    std::int64_t step = m_startStep;
    std::int64_t epoch = step / m_batchesPerEpoch;
    m_loader->startEpoch(epoch, step % m_batchesPerEpoch);
    RunStatus status = RunStatus::Finished;
    double lr = 0;
    while (step < m_totalSteps) {
        if (m_control.pause && m_control.pause->load()) {
            // A pause is not training time: the clock of elapsed_s, wall_s and img/s skips it.
            const auto pausedAt = Clock::now();
            while (m_control.pause->load() && !stopRequested(m_control.stop))
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            m_loopStart += Clock::now() - pausedAt;
        }
        if (stopRequested(m_control.stop)) {
            status = RunStatus::Stopped;
            if (!m_pending.steps.empty()) { // the losses since the last record are not lost
                checkFinite();
                emit(record(step, lr));
                m_pending.clear();
            }
            break;
        }
        auto batch = m_loader->next();
        if (!batch) {
            m_loader->startEpoch(++epoch);
            continue;
        }
        lr = scheduledRate(m_config.lrSchedule, step, m_totalSteps, m_config.learningRate, m_config.warmupFraction);
        if (batch->indices.size() >= 2) // a batch the decoder emptied is counted, not trained on
            iterate(step, *batch, lr);
        ++step;
        if (m_callbacks.progress)
            m_callbacks.progress({"adapting", step, m_totalSteps, "steps"});
        if (step % m_config.logEvery == 0 || step == m_totalSteps) {
            checkFinite();
            reportDecodeFailures();
            emit(record(step, lr));
            m_pending.clear();
        }
        if (m_config.checkpointEvery > 0 && step % m_config.checkpointEvery == 0 && step < m_totalSteps)
            saveCheckpoint(step);
    }
    m_loader->stop();
    const double wall = secondsSince(m_loopStart);
    writeOutputs(step);

    TrainSummary s;
    s.status = status;
    s.steps = step;
    s.totalSteps = m_totalSteps;
    s.keptSteps = m_step->gate().kept();
    s.skippedSteps = m_step->gate().skipped();
    s.resumedFrom = m_resume ? m_startStep : -1;
    s.trainableParameters = m_step->counts().trainable;
    s.totalParameters = m_step->counts().total;
    s.adapterParameters = m_step->adapterParameters();
    s.targetImages = static_cast<std::int64_t>(m_target.images.size());
    s.unreadableImages = static_cast<std::int64_t>(m_loader->failureCount() + m_target.skipped.size());
    s.wallSeconds = wall;
    s.imagesPerSecond = m_imagesSeen / std::max(wall, 1e-9);
    s.keptIterationSeconds = m_keptTimed ? m_keptSeconds / m_keptTimed : 0;
    s.skippedIterationSeconds = m_skippedTimed ? m_skippedSeconds / m_skippedTimed : 0;
    s.precision = choiceName(precisionOf(m_dtype));
    s.device = m_device.str();
    s.threads = torch::get_num_threads();
    s.peakResidentBytes = peakResidentBytes();
    s.adapterFile = m_config.tuning == Tuning::Full ? m_paths.fineTuned() : m_paths.adapter();
    writeTrainSummary(s, m_paths.summary());
    return s;
}

} // namespace

int trainingDecodeSide(const TrainConfig &config, const Preprocessing &preprocessing)
{
    return neededShortSide(trainingLoaderConfig(config, preprocessing));
}

ScanOptions targetScanOptions()
{
    ScanOptions options;
    options.checkSignatures = true;
    return options;
}

TrainSummary runAdaptation(const TrainConfig &config, const std::filesystem::path &runDir, bool resume,
                           const TrainCallbacks &callbacks, const TrainControl &control)
{
    at::init_num_threads();
    AdaptationRun run(config, runDir, resume, callbacks, control);
    return run.run();
}

} // namespace upstep::core
