#include "upstep/eval/embedjob.h"

#include "eval/embedding.h"
#include "upstep/common/error.h"
#include "upstep/common/limits.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace upstep::core {

namespace {

std::vector<float> floats(const torch::Tensor &tensor)
{
    const auto t = tensor.to(torch::kFloat32).contiguous();
    return {t.data_ptr<float>(), t.data_ptr<float>() + t.numel()};
}

std::vector<MapNeighbour> toMapNeighbours(const std::vector<std::pair<std::int64_t, float>> &rows)
{
    std::vector<MapNeighbour> result;
    for (const auto &[row, distance] : rows)
        result.push_back({row, distance});
    return result;
}

} // namespace

void validateEmbedJob(const EmbedJob &job)
{
    const auto within = [](double value, double low, double high, const std::string &what) {
        if (!(std::isfinite(value) && value >= low && value <= high)) // NaN fails too
            throw InputError(what + " must lie in [" + std::to_string(static_cast<long long>(low)) + ", " +
                             std::to_string(static_cast<long long>(high)) + "], got " + std::to_string(value));
    };
    if (job.method == EmbedMethod::Tsne) {
        within(job.perplexity, 1, 1000, "t-SNE perplexity");
        within(job.iterations, 1, 100000, "t-SNE iterations");
        within(job.exaggerationIterations, 0, job.iterations, "t-SNE early exaggeration iterations");
    }
    if (job.method == EmbedMethod::Umap)
        within(job.umapNeighbours, 2, 1000, "UMAP neighbours");
    if (job.qualitySample < 0)
        throw InputError("the quality sample cannot be negative (0 judges every image)");
    within(static_cast<double>(job.batchSize), 1, kMaxBatch, "batch size");
    within(job.qualityNeighbours, 1, 1000, "quality neighbours");
    if (job.maxImages < 0)
        throw InputError("the image limit cannot be negative (0 maps every image)");
}

EmbeddingMap::EmbeddingMap(std::shared_ptr<const Embedding> embedding) : m_embedding(std::move(embedding))
{
    const auto &e = *m_embedding;
    m_labels.reserve(e.images.size());
    for (std::size_t i = 0; i < e.images.size(); ++i)
        m_labels.push_back(e.classNames.empty() ? -1 : e.images.label(i));
    m_classNames = e.classNames;
    m_base = floats(e.base);
    m_adapted = floats(e.adapted);
    m_displacement = floats(e.displacement);
    if (e.clusters.defined()) {
        const auto c = e.clusters.to(torch::kInt32).contiguous();
        m_clusters.assign(c.data_ptr<int>(), c.data_ptr<int>() + c.numel());
    }
    m_clusterCount = e.clusterCount;
    m_hasAdapter = !e.adaptedFeatures.is_same(e.baseFeatures);
}

std::string EmbeddingMap::path(std::int64_t index) const
{
    if (!m_embedding || index < 0 || index >= size())
        throw InputError("no image " + std::to_string(index) + " in a map of " + std::to_string(size()));
    return m_embedding->images.pathString(static_cast<std::size_t>(index));
}

std::vector<std::int64_t> EmbeddingMap::clusterSizes() const
{
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(m_clusterCount), 0);
    for (const int c : m_clusters)
        if (c >= 0 && c < m_clusterCount)
            ++sizes[static_cast<std::size_t>(c)];
    return sizes;
}

std::int64_t EmbeddingMap::adapterStep() const { return m_embedding ? m_embedding->adapterStep : -1; }
double EmbeddingMap::baseTrustworthiness() const { return m_embedding ? m_embedding->baseTrustworthiness : 0; }
double EmbeddingMap::adaptedTrustworthiness() const { return m_embedding ? m_embedding->adaptedTrustworthiness : 0; }
double EmbeddingMap::baseLabelAgreement() const { return m_embedding ? m_embedding->baseLabelAgreement : -1; }
double EmbeddingMap::adaptedLabelAgreement() const { return m_embedding ? m_embedding->adaptedLabelAgreement : -1; }
std::int64_t EmbeddingMap::qualityRows() const { return m_embedding ? m_embedding->qualityRows : 0; }
double EmbeddingMap::neighbourRecall() const { return m_embedding ? m_embedding->neighbourRecall : 1; }
bool EmbeddingMap::approximateNeighbours() const { return m_embedding && m_embedding->approximateNeighbours; }
std::int64_t EmbeddingMap::featureDim() const { return m_embedding ? m_embedding->baseFeatures.size(1) : 0; }

double EmbeddingMap::featureSeconds() const { return m_embedding ? m_embedding->featureSeconds : 0; }
double EmbeddingMap::projectionSeconds() const { return m_embedding ? m_embedding->projectionSeconds : 0; }

std::vector<MapNeighbour> EmbeddingMap::neighbours(std::int64_t index, int k, bool adaptedSpace) const
{
    if (!m_embedding || index < 0 || index >= size() || k <= 0)
        return {};
    const auto &features = adaptedSpace ? m_embedding->adaptedFeatures : m_embedding->baseFeatures;
    return toMapNeighbours(nearestRows(features, features[index], k, index));
}

EmbeddingMap::ImageQuery EmbeddingMap::neighboursOfImage(const std::filesystem::path &image, int k) const
{
    if (!m_embedding)
        throw InputError("there is no map to compare the image with yet");
    const auto found = core::neighboursOfImage(*m_embedding, image, k);
    return {toMapNeighbours(found.base), toMapNeighbours(found.adapted)};
}

std::vector<std::int64_t> EmbeddingMap::mostMoved(std::int64_t n) const
{
    return m_embedding ? m_embedding->mostMoved(n) : std::vector<std::int64_t>{};
}

void EmbeddingMap::writeCsv(const std::filesystem::path &file) const
{
    if (m_embedding)
        writeEmbeddingCsv(*m_embedding, file);
}

void EmbeddingMap::writeFiles(const std::filesystem::path &csv, const std::filesystem::path &projector) const
{
    if (m_embedding)
        writeEmbeddingFiles(*m_embedding, csv, projector);
}

void EmbeddingMap::writeProjector(const std::filesystem::path &folder) const
{
    if (m_embedding)
        core::writeProjector(*m_embedding, folder);
}

std::shared_ptr<const ImageFolder> scanEmbedFolder(const std::filesystem::path &data, const ProgressSink &progress,
                                                   StopFlag stop)
{
    ScanOptions options;
    options.withLabels = hasClassSubfolders(data);
    return std::make_shared<const ImageFolder>(scanImageFolder(data, options, progress, stop));
}

EmbeddingMap runEmbedding(const EmbedJob &job, const ProgressSink &progress, StopFlag stop)
{
    return EmbeddingMap(std::make_shared<const Embedding>(computeEmbedding(job, progress, stop)));
}

} // namespace upstep::core
