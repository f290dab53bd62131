#pragma once
// A torch-free front of computeEmbedding() for the workbench and the `embed` command: the
// request with device and precision by name, and the result as plain vectors. Neighbour lookups
// in the base and adapted feature spaces run against the features the map keeps inside.
//
// Threading: runEmbedding() runs on the calling thread (plus torch's pool and the loader's
// workers); progress runs there; stop may be set from any thread. An EmbeddingMap is immutable
// after construction: its const methods may be called from any thread, and copies share data.

#include "upstep/common/choices.h"
#include "upstep/common/progress.h"
#include "upstep/io/imagefolder.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace upstep::core {

struct Embedding;

struct EmbedJob {
    std::filesystem::path weights;
    std::string arch;
    std::filesystem::path adapter; ///< run folder (its newest checkpoint), PEFT folder or file; empty: base only
    std::int64_t checkpointStep = -1; ///< with a run folder: its checkpoint at this step; -1: the newest
    std::filesystem::path data;    ///< images; class sub-folders give labels
    /// A scan of data that the caller already made (scanEmbedFolder), so that a map and its preview
    /// do not list a million files again; null: the map scans data itself.
    std::shared_ptr<const ImageFolder> scan;
    EmbedMethod method = EmbedMethod::Pca;
    std::int64_t maxImages = 0;    ///< seeded subset; 0: every image
    std::uint64_t seed = 0;
    std::string device = "auto";
    Precision precision = Precision::Auto;
    int batchSize = 128;
    double perplexity = 30;
    int iterations = 1000;             ///< t-SNE
    int exaggerationIterations = 250;  ///< t-SNE: early exaggeration for the first this many
    int umapNeighbours = 15;           ///< UMAP: n_neighbors, the image itself included
    int qualityNeighbours = 10;
    /// Trustworthiness is judged on a seeded sample of this many images (exact, O(n^2)); 0: all.
    std::int64_t qualitySample = 5000;
};

struct MapNeighbour {
    std::int64_t index = 0;
    float distance = 0; ///< Euclidean, in the feature space asked for
};

class EmbeddingMap {
public:
    EmbeddingMap() = default;
    explicit EmbeddingMap(std::shared_ptr<const Embedding> embedding);

    std::int64_t size() const { return static_cast<std::int64_t>(m_labels.size()); }
    bool empty() const { return m_labels.empty(); }
    bool hasAdapter() const { return m_hasAdapter; }
    std::string path(std::int64_t index) const; ///< image index's file
    const std::vector<int> &labels() const { return m_labels; }         ///< -1 without labels
    const std::vector<std::string> &classNames() const { return m_classNames; }
    const std::vector<int> &clusters() const { return m_clusters; }     ///< empty without a run folder
    std::int64_t clusterCount() const { return m_clusterCount; }
    std::vector<std::int64_t> clusterSizes() const;                     ///< [clusterCount]
    const std::vector<float> &basePositions() const { return m_base; }  ///< x0, y0, x1, y1, ...
    const std::vector<float> &adaptedPositions() const { return m_adapted; }
    const std::vector<float> &displacement() const { return m_displacement; }
    std::int64_t adapterStep() const;    ///< the run checkpoint's step, or -1
    double baseTrustworthiness() const;
    double adaptedTrustworthiness() const;
    double baseLabelAgreement() const;    ///< -1 without labels
    double adaptedLabelAgreement() const;
    int qualityNeighbours() const { return m_qualityNeighbours; }
    std::int64_t qualityRows() const; ///< images the trustworthiness was judged on
    /// Recall of the map's approximate neighbour search against exact search on a sample of
    /// images; 1 when the search was exact (PCA needs none).
    double neighbourRecall() const;
    bool approximateNeighbours() const;
    std::int64_t featureDim() const; ///< width of the backbone's features
    double featureSeconds() const;
    double projectionSeconds() const;

    /// The k nearest other images to image `index` in the base or the adapted feature space,
    /// nearest first.
    std::vector<MapNeighbour> neighbours(std::int64_t index, int k, bool adaptedSpace) const;
    /// Indices of the n images that moved most, largest displacement first.
    std::vector<std::int64_t> mostMoved(std::int64_t n) const;

    struct ImageQuery {
        std::vector<MapNeighbour> base, adapted; ///< adapted: empty without an adapter
    };
    /// The k map images nearest to image, any image file (one from outside the map too), before
    /// and after adaptation: the image goes through the map's own models and preprocessing. Loads
    /// the models, so it takes as long as loading the backbone: call it off the GUI thread.
    /// Throws InputError for an image that does not decode, or when the map's run has written a
    /// newer checkpoint than the map shows (refresh the map first); FormatError for damaged weights.
    ImageQuery neighboursOfImage(const std::filesystem::path &image, int k) const;

    void writeCsv(const std::filesystem::path &file) const;       ///< writeEmbeddingCsv
    void writeProjector(const std::filesystem::path &folder) const; ///< writeProjector
    /// The CSV and the projector folder (none when `projector` is empty), both or neither.
    void writeFiles(const std::filesystem::path &csv, const std::filesystem::path &projector) const;

private:
    std::shared_ptr<const Embedding> m_embedding;
    std::vector<std::string> m_classNames;
    std::vector<int> m_labels, m_clusters;
    std::vector<float> m_base, m_adapted, m_displacement;
    std::int64_t m_clusterCount = 0;
    bool m_hasAdapter = false;
    int m_qualityNeighbours = 10;
};

/// Throws InputError for unusable input, FormatError for damaged files, Cancelled on stop.
/// Checks the job's numbers before any work: perplexity in [1, 1000] (it sets 3 x perplexity
/// neighbours per point), iterations in [1, 100000], batch size in [1, kMaxBatch], quality
/// neighbours in [1, 1000]. Throws InputError naming the setting and its allowed range.
void validateEmbedJob(const EmbedJob &job);

/// data scanned as a map scans it (class sub-folders give labels): for EmbedJob::scan.
std::shared_ptr<const ImageFolder> scanEmbedFolder(const std::filesystem::path &data, const ProgressSink &progress = {},
                                                   StopFlag stop = nullptr);

EmbeddingMap runEmbedding(const EmbedJob &job, const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
