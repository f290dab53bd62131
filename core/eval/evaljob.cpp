#include "upstep/eval/evaljob.h"

#include "common/runtime.h"
#include "eval/featureextractor.h"
#include "eval/knnclassifier.h"
#include "eval/linearprobe.h"
#include "upstep/io/atomicfile.h"

#include "upstep/common/error.h"
#include "upstep/common/hardware.h"
#include "common/torchcompat.h"
#include "data/imageloader.h"
#include "upstep/io/imagefolder.h"
#include "models/adapterfile.h"
#include "upstep/run/runpaths.h"
#include "models/backboneloader.h"
#include "run/runfingerprint.h"
#include "run/runsnapshot.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>

namespace upstep::core {

namespace {

namespace F = torch::nn::functional;

/// The job with its names resolved into what the feature, kNN and probe code take.
struct ResolvedEvalJob : EvalJob {
    explicit ResolvedEvalJob(const EvalJob &job)
        : EvalJob(job), features(featureOptionsFor(job.device, job.precision, job.batchSize))
    {
        linear.iterations = job.linearProbeIterations;
    }
    FeatureOptions features;
    KnnConfig knn;
    LinearProbeConfig linear;
};

torch::Tensor normalized(const torch::Tensor &f) { return F::normalize(f, F::NormalizeFuncOptions().dim(1)); }

ImageList seededSubset(const ImageList &images, std::int64_t max, std::uint64_t seed, int salt)
{
    if (max <= 0 || static_cast<std::int64_t>(images.size()) <= max)
        return images;
    std::mt19937_64 rng(sampleSeed(seed, -3, salt));
    return seededDraw(images, static_cast<std::size_t>(max), rng);
}

/// A seeded split into two halves, each kept in path order.
std::pair<ImageList, ImageList> seededHalves(const ImageList &images, std::uint64_t seed)
{
    if (images.size() < 2)
        throw InputError("evaluation without a train folder needs at least two labeled test images");
    std::vector<std::size_t> order(images.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::mt19937_64 rng(sampleSeed(seed, -3, 4));
    std::shuffle(order.begin(), order.end(), rng);
    const auto half = static_cast<std::ptrdiff_t>(images.size() / 2);
    // Each half's indices in order first: select then meets the folders one after another.
    std::sort(order.begin(), order.begin() + half);
    std::sort(order.begin() + half, order.end());
    auto first = images.select({order.begin(), order.begin() + half});
    auto second = images.select({order.begin() + half, order.end()});
    first.sortByPath();
    second.sortByPath();
    return {std::move(first), std::move(second)};
}

ImageFolder labeledFolder(const std::filesystem::path &dir, const ProgressSink &progress, StopFlag stop)
{
    ScanOptions options;
    options.withLabels = true;
    auto folder = scanImageFolder(dir, options, progress, stop);
    if (folder.classNames.empty())
        throw InputError(dir.string() + ": evaluation needs labels, as one sub-folder per class");
    return folder;
}

struct Features {
    torch::Tensor values; ///< [N, D] float32
    torch::Tensor labels; ///< [N]
};

Features featuresOf(BackboneImpl &model, const ImageList &images, const ResolvedEvalJob &request,
                    const std::string &what, const ProgressSink &progress, StopFlag stop)
{
    const ProgressSink relabel = [&](const Progress &p) {
        if (progress)
            progress({what, p.done, p.total, p.unit});
    };
    auto result = extractFeatures(model, images, request.features, relabel, stop);
    std::vector<std::int64_t> labels;
    for (std::size_t i = 0; i < result.images.size(); ++i)
        labels.push_back(result.images.label(i));
    return {result.features, torch::tensor(labels, torch::kInt64)};
}

/// The scores, and the kNN's prediction for every test row (for the per-class table).
struct ProbeResult {
    ProbeScores scores;
    torch::Tensor knnPredictions;
};

ProbeResult probe(const torch::Tensor &train, const torch::Tensor &trainLabels, const torch::Tensor &test,
                  const torch::Tensor &testLabels, const ResolvedEvalJob &request)
{
    ProbeResult result;
    auto knn = knnClassify(train, trainLabels, test, testLabels, request.knn);
    result.scores.knnTop1 = knn.top1;
    result.knnPredictions = std::move(knn.predictions);
    if (request.linearProbe)
        result.scores.linearTop1 =
            linearProbe(train, trainLabels, test, testLabels, request.linear).top1; // it normalises, chunk by chunk
    return result;
}

/// Predictions with the labels they are scored against.
struct Scored {
    torch::Tensor predictions, labels;
    double top1() const { return top1Accuracy(predictions, labels); }
};

Scored headPredictions(BackboneImpl &model, const Features &f, const ResolvedEvalJob &request)
{
    compat::InferenceGuard inference;
    const auto logits = model.headForward(f.values.to(request.features.device, request.features.dtype));
    return {logits.argmax(1).to(torch::kCPU), f.labels};
}

/// kNN within one folder: a seeded half is the memory, the other half is scored.
Scored splitKnn(const Features &f, const ResolvedEvalJob &request)
{
    const auto n = f.values.size(0);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(sampleSeed(request.seed, -4, 0));
    const auto order = at::randperm(n, generator);
    const auto memory = order.slice(0, 0, n / 2), queries = order.slice(0, n / 2);
    const auto queryLabels = f.labels.index_select(0, queries);
    auto knn = knnClassify(f.values.index_select(0, memory), f.labels.index_select(0, memory),
                           f.values.index_select(0, queries), queryLabels, request.knn);
    return {std::move(knn.predictions), queryLabels};
}

/// Top-1 by class of base (and adapted, when defined) predictions of the same labeled rows.
std::vector<ClassScores> perClassTop1(const std::vector<std::string> &names, const torch::Tensor &labels,
                                      const torch::Tensor &base, const torch::Tensor &adapted)
{
    std::vector<ClassScores> classes;
    for (std::size_t c = 0; c < names.size(); ++c) {
        const auto label = static_cast<std::int64_t>(c);
        const auto rows = labels.eq(label);
        const auto images = rows.sum().item<std::int64_t>();
        if (images == 0)
            continue; // a class the seeded subset left out has no score
        const auto top1 = [&](const torch::Tensor &predictions) {
            return predictions.masked_select(rows).eq(label).sum().item<double>() / static_cast<double>(images);
        };
        ClassScores scores;
        scores.name = names[c];
        scores.images = images;
        scores.base = top1(base);
        if (adapted.defined())
            scores.adapted = top1(adapted);
        classes.push_back(std::move(scores));
    }
    return classes;
}

/// What the base model contributes to an evaluation; the same for every run scored against it.
struct BaseSide {
    Features train, test, source; ///< source: empty without a source folder
    ProbeResult probe;
    std::optional<Scored> sourceKnn, sourceHead;
};

BaseSide computeBaseSide(BackboneImpl &base, const ImageList &train, const ImageList &test,
                         const ImageList &sourceImages, const ResolvedEvalJob &request, const ProgressSink &progress,
                         StopFlag stop)
{
    BaseSide side;
    side.train = featuresOf(base, train, request, "base features (train)", progress, stop);
    side.test = featuresOf(base, test, request, "base features (test)", progress, stop);
    if (side.train.values.size(0) == 0 || side.test.values.size(0) == 0)
        throw InputError("no readable images in the train or test folder");
    side.probe = probe(side.train.values, side.train.labels, side.test.values, side.test.labels, request);
    if (!request.sourceTest.empty()) {
        side.source = featuresOf(base, sourceImages, request, "base features (source)", progress, stop);
        if (side.source.values.size(0) < 2)
            throw InputError(request.sourceTest.string() + ": fewer than two readable images");
        side.sourceKnn = splitKnn(side.source, request);
        if (base.hasHead())
            side.sourceHead = headPredictions(base, side.source, request);
    }
    return side;
}

void hashImages(const ImageList &images, std::uint64_t &hash)
{
    for (std::size_t i = 0; i < images.size(); ++i) {
        const auto path = images.pathString(i);
        const auto label = images.label(i);
        hash = fnv1a(path.data(), path.size() + 1, hash); // with the terminator: no two lists run together
        hash = fnv1a(&label, sizeof label, hash);
    }
}

/// Everything the base side depends on: the weights' content fingerprint, the architecture, the
/// exact image lists and the settings that shape features and scores.
std::string baseSideKey(const ResolvedEvalJob &request, const ImageList &train, const ImageList &test,
                        const ImageList &source)
{
    std::uint64_t hash = fnv1a(nullptr, 0);
    for (const auto *images : {&train, &test, &source}) {
        hashImages(*images, hash);
        const auto count = images->size();
        hash = fnv1a(&count, sizeof count, hash);
    }
    // The fingerprint hashes only the file's name, size and ends; the absolute path and the
    // modification time tell apart two same-sized files of one architecture (two variants'
    // `weights`) and a file rewritten in place.
    std::error_code ec;
    const auto weights = std::filesystem::absolute(request.weights, ec).lexically_normal();
    const auto modified = std::filesystem::last_write_time(weights, ec).time_since_epoch().count();
    std::ostringstream key;
    key << weights.string() << '|' << modified << '|' << fingerprintWeights(request.weights) << '|' << request.arch
        << '|' << request.seed << '|' << request.features.device << '|' << request.features.dtype << '|'
        << request.features.batchSize << '|' << request.knn.k << '|' << request.knn.temperature << '|'
        << request.linearProbe << '|' << request.linear.iterations << '|' << !request.sourceTest.empty() << '|' << hash;
    return key.str();
}

} // namespace

/// The last few base sides, newest last: a sweep alternates between its validation and test
/// scoring, so two must stay; a handful bounds the memory.
struct EvalBaseMemo::Store {
    static constexpr std::size_t kKept = 4;
    std::vector<std::pair<std::string, BaseSide>> sides;
    int reuses = 0;

    const BaseSide *find(const std::string &key) const
    {
        for (const auto &[k, side] : sides)
            if (k == key)
                return &side;
        return nullptr;
    }
    void keep(std::string key, BaseSide side)
    {
        if (sides.size() == kKept)
            sides.erase(sides.begin());
        sides.emplace_back(std::move(key), std::move(side));
    }
};

EvalBaseMemo::EvalBaseMemo() : m_store(std::make_unique<Store>()) {}
EvalBaseMemo::~EvalBaseMemo() = default;
int EvalBaseMemo::reuses() const { return m_store->reuses; }

EvalReport runEvaluation(const EvalJob &job, const ProgressSink &progress, StopFlag stop,
                         const EvalEstimateSink &estimated, EvalBaseMemo *memo)
{
    const ResolvedEvalJob request(job);
    const auto start = std::chrono::steady_clock::now();
    const auto testFolder = labeledFolder(request.test, progress, stop);
    ImageList train, test;
    if (request.train.empty()) {
        // One labeled folder: a seeded half is the kNN memory and probe training set.
        std::tie(train, test) = seededHalves(testFolder.images, request.seed);
        train = seededSubset(train, request.maxTrain, request.seed, 1);
        test = seededSubset(test, request.maxTest, request.seed, 2);
    } else {
        const auto trainFolder = labeledFolder(request.train, progress, stop);
        if (trainFolder.classNames != testFolder.classNames)
            throw InputError(request.train.string() + " and " + request.test.string() +
                             " have different class folders; kNN and the linear probe need the same classes");
        train = seededSubset(trainFolder.images, request.maxTrain, request.seed, 1);
        test = seededSubset(testFolder.images, request.maxTest, request.seed, 2);
    }
    std::optional<ImageFolder> sourceFolder;
    ImageList sourceImages;
    if (!request.sourceTest.empty()) {
        sourceFolder = labeledFolder(request.sourceTest, progress, stop);
        sourceImages = seededSubset(sourceFolder->images, request.maxSource, request.seed, 3);
    }

    auto base = loadBackbone(request.weights, request.arch).model;
    BackbonePtr adapted;
    if (!request.adapter.empty()) {
        // A run that fine-tuned the whole backbone (tuning full) left a model, not an adapter.
        const RunPaths run(request.adapter);
        std::error_code ec;
        if (std::filesystem::is_directory(request.adapter, ec) && std::filesystem::exists(run.fineTuned(), ec) &&
            !std::filesystem::exists(run.adapter(), ec)) {
            adapted = loadBackbone(run.fineTuned(), request.arch).model;
        } else {
            adapted = loadBackbone(request.weights, request.arch).model;
            applyAdapter(*adapted, loadAdapterOrRun(request.adapter));
        }
    }
    base->eval();
    if (estimated) {
        EvalCostShape shape;
        shape.trainImages = static_cast<std::int64_t>(train.size());
        shape.testImages = static_cast<std::int64_t>(test.size());
        shape.sourceImages = static_cast<std::int64_t>(sourceImages.size());
        shape.featureDim = base->featureDim();
        shape.classes = static_cast<std::int64_t>(testFolder.classNames.size());
        shape.withAdapter = adapted != nullptr;
        shape.linearProbe = request.linearProbe;
        shape.linearIterations = request.linearProbeIterations;
        for (const auto &parameter : base->parameters())
            shape.modelBytes += parameter.numel() * static_cast<std::int64_t>(parameter.element_size());
        estimated(estimateEvalCost(shape, computeThreads()));
    }

    EvalReport report;
    report.classes = testFolder.classNames;
    const auto key = memo ? baseSideKey(request, train, test, sourceImages) : std::string();
    const BaseSide *const reused = memo ? memo->store().find(key) : nullptr;
    std::optional<BaseSide> computed;
    if (reused)
        ++memo->store().reuses;
    else
        computed = computeBaseSide(*base, train, test, sourceImages, request, progress, stop);
    const BaseSide &side = reused ? *reused : *computed;
    const auto &baseTrain = side.train, &baseTest = side.test;
    report.trainImages = baseTrain.values.size(0);
    report.testImages = baseTest.values.size(0);
    report.base = side.probe.scores;
    torch::Tensor adaptedKnnPredictions;
    if (adapted) {
        adapted->eval();
        const auto adaptedTrain = featuresOf(*adapted, train, request, "adapted features (train)", progress, stop);
        const auto adaptedTest = featuresOf(*adapted, test, request, "adapted features (test)", progress, stop);
        if (adaptedTrain.values.size(0) != baseTrain.values.size(0) || adaptedTest.values.size(0) != baseTest.values.size(0))
            throw Error("the base and adapted passes decoded different images; is the folder changing?");
        auto adaptedProbe = probe(adaptedTrain.values, adaptedTrain.labels, adaptedTest.values, adaptedTest.labels,
                                  request);
        report.adapted = adaptedProbe.scores;
        adaptedKnnPredictions = std::move(adaptedProbe.knnPredictions);
        const auto ensembleTrain = torch::cat({normalized(baseTrain.values), normalized(adaptedTrain.values)}, 1);
        const auto ensembleTest = torch::cat({normalized(baseTest.values), normalized(adaptedTest.values)}, 1);
        report.ensemble = probe(ensembleTrain, baseTrain.labels, ensembleTest, baseTest.labels, request).scores;
    }
    report.perClass = perClassTop1(report.classes, baseTest.labels, side.probe.knnPredictions, adaptedKnnPredictions);
    if (sourceFolder) {
        const auto &images = sourceImages;
        SourceScores source;
        const auto &baseSource = side.source;
        source.images = baseSource.values.size(0);
        const auto &knnBase = *side.sourceKnn;
        source.knnTop1Base = knnBase.top1();
        const auto &headBase = side.sourceHead;
        if (headBase)
            source.headTop1Base = headBase->top1();
        std::optional<Scored> headAdapted, knnAdapted;
        if (adapted) {
            const auto adaptedSource = featuresOf(*adapted, images, request, "adapted features (source)", progress, stop);
            if (adaptedSource.values.size(0) != baseSource.values.size(0))
                throw Error("the base and adapted passes decoded different source images; is the folder changing?");
            if (adapted->hasHead()) {
                headAdapted = headPredictions(*adapted, adaptedSource, request);
                source.headTop1Adapted = headAdapted->top1();
            }
            knnAdapted = splitKnn(adaptedSource, request);
            source.knnTop1Adapted = knnAdapted->top1();
        }
        // By class, with the measure the forgetting figure uses: the head's where there is one.
        source.perClassFromHead = headBase.has_value();
        const auto &byClassBase = headBase ? *headBase : knnBase;
        const auto &byClassAdapted = headBase ? headAdapted : knnAdapted;
        source.perClass = perClassTop1(sourceFolder->classNames, byClassBase.labels, byClassBase.predictions,
                                       byClassAdapted ? byClassAdapted->predictions : torch::Tensor());
        report.source = source;
    }
    if (memo && computed)
        memo->store().keep(key, std::move(*computed));
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

EvalJob evalJobForRun(const TrainConfig &config, const std::filesystem::path &runDir)
{
    EvalJob job;
    job.weights = config.weights;
    job.arch = config.arch;
    job.adapter = runDir;
    job.test = config.targetTest;
    job.sourceTest = config.sourceProbe;
    job.seed = config.seed;
    job.device = config.device;
    job.precision = config.precision;
    return job;
}

} // namespace upstep::core
