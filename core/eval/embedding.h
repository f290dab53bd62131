#pragma once
// Before/after maps of the same images: features of every image (or a seeded subset)
// through the base and the adapted model in one decoding pass, projected into one aligned 2-D
// space, with each image's displacement and the maps' quality numbers.
//   pca   exact PCA fitted on the base features; the adapted features use the same projection;
//   tsne, umap  one joint t-SNE or UMAP map of the base features and the adapted features that
//         changed, so both share a space; an image whose features did not change keeps its base
//         position (it enters the map once: exact duplicates would only split on neighbour ties).
// With a run folder as the adapter, its newest checkpoint is used (so a running run can be
// shown) and each image is assigned to a cluster: the argmax of the run's prototype scores.
// Output: a CSV per image, and a TensorBoard projector folder (tensors, metadata, sprite,
// projector_config.pbtxt) for the same view there.
//
// Threading: runs on the caller's thread plus torch's pool and the loader's workers.

#include "upstep/common/progress.h"
#include "upstep/eval/embedjob.h"
#include "eval/featureextractor.h"
#include "eval/tsne.h"
#include "eval/umap.h"

#include <filesystem>
#include <string>
#include <vector>

namespace upstep::core {

struct Embedding {
    EmbedJob job; ///< what was mapped, so another image can go through the same models
    ImageList images;
    std::vector<std::string> classNames; ///< empty without labels
    torch::Tensor baseFeatures, adaptedFeatures; ///< [N, D]
    torch::Tensor base, adapted;                 ///< [N, 2] map positions
    torch::Tensor displacement;                  ///< [N] distance between an image's two positions
    torch::Tensor clusters;      ///< [N] int64 prototype index of the adapted features; undefined without a run
    std::int64_t clusterCount = 0; ///< prototypes of the run (K); 0 without a run
    std::int64_t adapterStep = -1; ///< the run checkpoint's step; -1 for a finished adapter or none
    double baseTrustworthiness = 0, adaptedTrustworthiness = 0;
    std::int64_t qualityRows = 0;       ///< images the trustworthiness was judged on (a seeded sample)
    bool approximateNeighbours = false; ///< the map's neighbour graph came from HNSW
    double neighbourRecall = 1;         ///< that graph's recall against exact search, sampled
    double baseLabelAgreement = -1, adaptedLabelAgreement = -1; ///< -1 without labels
    double featureSeconds = 0, projectionSeconds = 0;

    /// Indices of the n images that moved most, largest first.
    std::vector<std::int64_t> mostMoved(std::int64_t n) const;
};

/// The k images of the map nearest to image (a file outside it, or in it) in the base and the
/// adapted feature space, nearest first, as (index, Euclidean distance). The image goes through
/// the map's own models and preprocessing. Throws InputError for an image that does not decode
/// and when a run folder has moved on to a newer checkpoint than the map shows.
struct ImageNeighbours {
    std::vector<std::pair<std::int64_t, float>> base, adapted; ///< adapted: empty without an adapter
};
ImageNeighbours neighboursOfImage(const Embedding &embedding, const std::filesystem::path &image, int k);

/// The k rows of features [N, D] nearest to query [D] (Euclidean), nearest first, as (row,
/// distance); row `exclude` (the query's own, when it is one of them) is never returned.
std::vector<std::pair<std::int64_t, float>> nearestRows(const torch::Tensor &features, const torch::Tensor &query,
                                                        int k, std::int64_t exclude = -1);

/// The maps of job (upstep/eval/embedjob.h) with the features they came from. Throws like runEmbedding().
Embedding computeEmbedding(const EmbedJob &job, const ProgressSink &progress = {}, StopFlag stop = nullptr);

/// path,label,cluster,base_x,base_y,adapted_x,adapted_y,displacement; label is the class name
/// (empty without labels), cluster the prototype index (empty without a run folder); fields are quoted as RFC 4180 asks. Written atomically.
void writeEmbeddingCsv(const Embedding &embedding, const std::filesystem::path &file);

/// TensorBoard projector files in folder: base.tsv and adapted.tsv (features), metadata.tsv
/// (path, label, displacement), sprite.png (thumbnails in a square grid, at most 8192 px wide)
/// and projector_config.pbtxt naming both tensors.
void writeProjector(const Embedding &embedding, const std::filesystem::path &folder);

/// The CSV and, unless `projector` is empty, the projector folder: both or neither (a failure
/// leaves the previous pair and says so in the IoError).
void writeEmbeddingFiles(const Embedding &embedding, const std::filesystem::path &csv,
                         const std::filesystem::path &projector);

} // namespace upstep::core
