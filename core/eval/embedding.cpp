#include "eval/embedding.h"

#include "upstep/common/error.h"
#include "eval/projection.h"
#include "upstep/io/atomicfile.h"
#include "upstep/io/outputpath.h"
#include "io/stagingfolder.h"
#include "io/csvfield.h"
#include "upstep/io/imagefolder.h"
#include "upstep/io/thumbnail.h"
#include "models/adapterfile.h"
#include "models/backboneloader.h"
#include "run/runsnapshot.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

namespace upstep::core {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string tsvField(std::string text)
{
    std::replace_if(text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
    return text;
}

std::string labelOf(const Embedding &e, std::size_t i)
{
    const int label = e.images.label(i);
    return label >= 0 && label < static_cast<int>(e.classNames.size()) ? e.classNames[static_cast<std::size_t>(label)]
                                                                        : std::string();
}

std::string clusterOf(const Embedding &e, std::size_t i)
{
    return e.clusters.defined() ? std::to_string(e.clusters[static_cast<std::int64_t>(i)].item<std::int64_t>())
                                : std::string();
}

std::string featuresTsv(const torch::Tensor &features)
{
    const auto f = features.contiguous();
    const auto *data = f.data_ptr<float>();
    std::ostringstream out;
    out.precision(7);
    for (std::int64_t i = 0; i < f.size(0); ++i) {
        for (std::int64_t d = 0; d < f.size(1); ++d)
            out << (d ? "\t" : "") << data[i * f.size(1) + d];
        out << "\n";
    }
    return out.str();
}

} // namespace

std::vector<std::int64_t> Embedding::mostMoved(std::int64_t n) const
{
    const auto order = displacement.argsort(0, true);
    const auto count = std::min<std::int64_t>(n, order.size(0));
    std::vector<std::int64_t> result(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i)
        result[static_cast<std::size_t>(i)] = order[i].item<std::int64_t>();
    return result;
}

namespace {

/// The job with its names resolved into what the feature and t-SNE code take.
struct ResolvedEmbedJob : EmbedJob {
    explicit ResolvedEmbedJob(const EmbedJob &job)
        : EmbedJob(job), features(featureOptionsFor(job.device, job.precision, job.batchSize))
    {
        tsne.perplexity = job.perplexity;
        tsne.iterations = job.iterations;
        tsne.exaggerationIterations = job.exaggerationIterations;
        tsne.seed = job.seed;
        umap.neighbours = job.umapNeighbours;
        umap.seed = job.seed;
    }
    FeatureOptions features;
    TsneConfig tsne;
    UmapConfig umap;
};

/// The models a map compares: the base, and the adapted one when the job names an adapter
/// (a run folder's newest checkpoint, with its clustering head).
struct MapModels {
    BackbonePtr base, adapted;
    RunSnapshot run;
    std::vector<BackboneImpl *> pointers() const
    {
        std::vector<BackboneImpl *> models{base.get()};
        if (adapted)
            models.push_back(adapted.get());
        return models;
    }
};

MapModels loadMapModels(const ResolvedEmbedJob &request)
{
    MapModels models;
    models.base = loadBackbone(request.weights, request.arch).model;
    if (isRunFolder(request.adapter)) {
        models.run = loadRunSnapshot(request.adapter, request.weights, request.arch, request.checkpointStep);
        models.adapted = models.run.model;
    } else if (!request.adapter.empty()) {
        models.adapted = loadBackbone(request.weights, request.arch).model;
        applyAdapter(*models.adapted, loadAdapterOrRun(request.adapter));
    }
    return models;
}

} // namespace

std::vector<std::pair<std::int64_t, float>> nearestRows(const torch::Tensor &features, const torch::Tensor &query,
                                                        int k, std::int64_t exclude)
{
    torch::InferenceMode inference;
    auto distances = (features - query).norm(2, 1);
    if (exclude >= 0 && exclude < distances.size(0))
        distances[exclude] = std::numeric_limits<float>::infinity();
    const auto count = std::min<std::int64_t>(k, distances.size(0) - (exclude >= 0 ? 1 : 0));
    std::vector<std::pair<std::int64_t, float>> result;
    if (count <= 0)
        return result;
    const auto [values, indices] = distances.topk(count, 0, false, true);
    for (std::int64_t i = 0; i < count; ++i)
        result.emplace_back(indices[i].item<std::int64_t>(), values[i].item<float>());
    return result;
}

ImageNeighbours neighboursOfImage(const Embedding &embedding, const std::filesystem::path &image, int k)
{
    const ResolvedEmbedJob request(embedding.job);
    auto models = loadMapModels(request);
    if (models.run.model && models.run.step != embedding.adapterStep)
        throw InputError("the run has written a newer checkpoint (step " + std::to_string(models.run.step) +
                         ") than the map shows (step " + std::to_string(embedding.adapterStep) +
                         "): refresh the map first, so both sides use the same adapter");
    const auto features = extractFeaturesOfModels(models.pointers(), {ImageEntry{image, -1}}, request.features);
    if (features.images.empty())
        throw InputError(image.string() + ": cannot be used as an image" +
                         (features.skipped.empty() ? std::string() : " (" + features.skipped.front().reason + ")"));
    ImageNeighbours result;
    result.base = nearestRows(embedding.baseFeatures, features.features.front(), k);
    if (models.adapted)
        result.adapted = nearestRows(embedding.adaptedFeatures, features.features.back(), k);
    return result;
}

Embedding computeEmbedding(const EmbedJob &job, const ProgressSink &progress, StopFlag stop)
{
    validateEmbedJob(job);
    const ResolvedEmbedJob request(job);
    const auto folder = request.scan && request.scan->root == request.data
                            ? request.scan
                            : scanEmbedFolder(request.data, progress, stop);
    auto images = folder->images;
    if (request.maxImages > 0 && static_cast<std::int64_t>(images.size()) > request.maxImages) {
        std::mt19937_64 rng(request.seed);
        images = seededDraw(images, static_cast<std::size_t>(request.maxImages), rng);
    }

    auto models = loadMapModels(request);
    auto start = Clock::now();
    auto features = extractFeaturesOfModels(models.pointers(), images, request.features, progress, stop);
    auto &run = models.run;
    Embedding e;
    e.job = job;
    e.job.scan.reset(); // the map keeps its own images; the whole scan would double them in memory
    e.featureSeconds = secondsSince(start);
    e.images = std::move(features.images);
    e.classNames = folder->classNames;
    e.baseFeatures = features.features.front();
    e.adaptedFeatures = features.features.back();
    e.adapterStep = run.step;
    if (run.head) {
        torch::InferenceMode inference;
        e.clusters = run.head->scores(run.head->forward(e.adaptedFeatures)).argmax(1);
        e.clusterCount = run.head->prototypes.size(0);
    }
    const auto n = e.baseFeatures.size(0);
    if (n < 2 * request.qualityNeighbours + 2)
        throw InputError(request.data.string() + ": too few readable images for a map (" + std::to_string(n) + ")");

    start = Clock::now();
    if (request.method == EmbedMethod::Pca) {
        const auto pca = fitPca(e.baseFeatures, 2);
        e.base = projectPca(pca, e.baseFeatures);
        e.adapted = projectPca(pca, e.adaptedFeatures);
    } else {
        // Images whose features did not change enter the map once and keep their base position.
        const auto change = (e.adaptedFeatures - e.baseFeatures).norm(2, 1);
        const auto scale = e.baseFeatures.norm(2, 1).mean().item<double>();
        const auto changed = (change > 1e-6 * std::max(scale, 1e-30)).nonzero().squeeze(1);
        const auto joint = torch::cat({e.baseFeatures, e.adaptedFeatures.index_select(0, changed)});
        torch::Tensor map;
        if (request.method == EmbedMethod::Umap) {
            auto result = runUmap(joint, request.umap, {}, progress, stop);
            map = result.embedding;
            e.approximateNeighbours = result.approximateNeighbours;
            e.neighbourRecall = result.neighbourRecall;
        } else {
            auto result = runTsne(joint, request.tsne, {}, progress, stop);
            map = result.embedding;
            e.approximateNeighbours = result.approximateNeighbours;
            e.neighbourRecall = result.neighbourRecall;
        }
        e.base = map.slice(0, 0, n).clone();
        e.adapted = e.base.clone();
        e.adapted.index_copy_(0, changed, map.slice(0, n));
    }
    e.projectionSeconds = secondsSince(start);
    e.displacement = (e.adapted - e.base).norm(2, 1);
    const int k = request.qualityNeighbours;
    // Without an adapter (or with one that changed nothing) the two maps are one: judge it once.
    const bool unchanged = torch::equal(e.baseFeatures, e.adaptedFeatures) && torch::equal(e.base, e.adapted);
    if (progress)
        progress({"map quality", 0, 2, "maps"});
    const auto sample = request.qualitySample > 0 ? request.qualitySample : n;
    e.qualityRows = std::min(n, sample);
    e.baseTrustworthiness = sampledTrustworthiness(e.baseFeatures, e.base, k, sample, request.seed);
    if (progress)
        progress({"map quality", 1, 2, "maps"});
    e.adaptedTrustworthiness = unchanged
                                   ? e.baseTrustworthiness
                                   : sampledTrustworthiness(e.adaptedFeatures, e.adapted, k, sample, request.seed);
    if (!e.classNames.empty()) {
        std::vector<std::int64_t> labels;
        for (std::size_t i = 0; i < e.images.size(); ++i)
            labels.push_back(e.images.label(i));
        const auto labelTensor = torch::tensor(labels);
        e.baseLabelAgreement = knnLabelAgreement(e.base, labelTensor, k);
        e.adaptedLabelAgreement = unchanged ? e.baseLabelAgreement : knnLabelAgreement(e.adapted, labelTensor, k);
    }
    if (progress)
        progress({"map quality", 2, 2, "maps"});
    return e;
}

namespace {

std::string embeddingCsvText(const Embedding &e)
{
    std::ostringstream out;
    out.precision(7);
    out << "path,label,cluster,base_x,base_y,adapted_x,adapted_y,displacement\n";
    const auto base = e.base.contiguous(), adapted = e.adapted.contiguous(), moved = e.displacement.contiguous();
    const auto b = base.accessor<float, 2>(), a = adapted.accessor<float, 2>();
    const auto d = moved.accessor<float, 1>();
    for (std::size_t i = 0; i < e.images.size(); ++i) {
        const auto r = static_cast<std::int64_t>(i);
        out << csvField(e.images[i].path.string()) << "," << csvField(labelOf(e, i)) << "," << clusterOf(e, i) << ","
            << b[r][0] << "," << b[r][1] << "," << a[r][0] << "," << a[r][1] << "," << d[r] << "\n";
    }
    return out.str();
}

} // namespace

void writeEmbeddingCsv(const Embedding &e, const fs::path &file) { writeFileAtomically(file, embeddingCsvText(e)); }

void writeEmbeddingFiles(const Embedding &e, const fs::path &csv, const fs::path &projector)
{
    try {
        // The CSV is made ready first and put in place last, so that a failure anywhere (a full
        // disk) leaves the previous CSV and projector folder as they were, as a matching pair.
        makeParentFolder(csv);
        AtomicFileWriter csvFile(csv);
        csvFile.write(embeddingCsvText(e));
        csvFile.sync();
        if (!projector.empty())
            writeProjector(e, projector);
        csvFile.commit();
    } catch (const IoError &error) {
        throw withKeptState(error, keptState(csv) + (projector.empty() ? "" : "; " + keptState(projector)));
    }
}

void writeProjector(const Embedding &e, const fs::path &target)
{
    // Built beside its place and renamed into it: a full disk or a kill leaves the previous
    // projector folder (or none), never one with some of its files.
    const auto out = withoutTrailingSeparator(target);
    checkOutputLocation(out);
    StagingFolder staging(out);
    const auto &folder = staging.path();
    writeFileAtomically(folder / "base.tsv", featuresTsv(e.baseFeatures));
    writeFileAtomically(folder / "adapted.tsv", featuresTsv(e.adaptedFeatures));
    std::ostringstream metadata;
    metadata << "path\tlabel\tcluster\tdisplacement\n";
    for (std::size_t i = 0; i < e.images.size(); ++i)
        metadata << tsvField(e.images[i].path.string()) << "\t" << tsvField(labelOf(e, i)) << "\t" << clusterOf(e, i) << "\t"
                 << e.displacement[static_cast<std::int64_t>(i)].item<float>() << "\n";
    writeFileAtomically(folder / "metadata.tsv", metadata.str());

    // The projector wants one square sprite of equal cells, at most 8192 px on a side.
    const auto n = static_cast<int>(e.images.size());
    const int grid = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    const int cell = std::max(1, std::min(64, 8192 / grid));
    cv::Mat sprite(grid * cell, grid * cell, CV_8UC3, cv::Scalar(255, 255, 255));
    for (int i = 0; i < n; ++i) {
        try {
            const auto thumb = makeThumbnail(e.images[static_cast<std::size_t>(i)].path, cell);
            cv::Mat rgb(thumb.height, thumb.width, CV_8UC3, const_cast<std::uint8_t *>(thumb.rgb.data()));
            cv::Mat bgr;
            cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
            bgr.copyTo(sprite(cv::Rect((i % grid) * cell, (i / grid) * cell, thumb.width, thumb.height)));
        } catch (const std::exception &) {
            // an image that decoded for the features cannot fail here but for a race; its cell stays white
        }
    }
    std::vector<std::uint8_t> png;
    if (!cv::imencode(".png", sprite, png))
        throw IoError(folder / "sprite.png", "cannot encode the sprite");
    writeFileAtomically(folder / "sprite.png", std::string(png.begin(), png.end()));

    std::ostringstream config;
    for (const auto *name : {"base", "adapted"})
        config << "embeddings {\n  tensor_name: \"" << name << "\"\n  tensor_path: \"" << name
               << ".tsv\"\n  metadata_path: \"metadata.tsv\"\n  sprite {\n    image_path: \"sprite.png\"\n"
               << "    single_image_dim: " << cell << "\n    single_image_dim: " << cell << "\n  }\n}\n";
    writeFileAtomically(folder / "projector_config.pbtxt", config.str());
    staging.publish(true);
}

} // namespace upstep::core
