#pragma once
// What a map of every image will cost, said before the work starts: `upstep embed` prints it,
// and the Embeddings tab shows it as the map refines from its preview to all images.
//
// Two parts, known differently:
//   - the feature pass scales with the images and the backbone, and is measured: the caller
//     gives the seconds per image it saw (the preview's); without one the estimate leaves it
//     out and the progress line's ETA covers it;
//   - the map itself (neighbour search, then t-SNE iterations or UMAP epochs) is modelled from
//     rates measured on a 2-core machine at 192 dimensions (docs/EMBEDDINGS.md: the rates and
//     the estimate against measured runs), scaled by points, dimensions, neighbours, iterations
//     and threads.
// Memory is a first-order sum of what the map holds at its peak: both feature tables, the
// joined table the map is built on, the neighbour index and table, the graph, the scan, and
// the program itself.
//
// Threading: pure functions. Torch-free.

#include "upstep/eval/embedjob.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace upstep::core {

struct MapCostEstimate {
    std::int64_t images = 0;
    std::int64_t mapPoints = 0;  ///< points the map lays out: every image, and again each adapted one
    double featureSeconds = -1;  ///< -1: no measured rate
    double neighbourSeconds = 0; ///< the neighbour search and the graph
    double layoutSeconds = 0;    ///< t-SNE iterations, UMAP epochs or PCA
    std::int64_t peakBytes = 0;
    double totalSeconds() const { return std::max(featureSeconds, 0.0) + neighbourSeconds + layoutSeconds; }
};

/// job: method and its settings (perplexity, iterations, UMAP neighbours; maxImages caps
/// images). withAdapter: the map has an adapted side (up to twice the points). secondsPerImage:
/// the feature pass's measured time per image for this job's models and device; <= 0 when not
/// measured yet. threads: the compute threads the map will use.
MapCostEstimate estimateMapCost(const EmbedJob &job, std::int64_t images, std::int64_t featureDim, bool withAdapter,
                                double secondsPerImage, int threads);

/// "about 1 h 10 min (features 58 min, neighbours 4 min, t-SNE 8 min), about 3.1 GB of memory";
/// without a feature rate: "the map after the features: about 12 min (neighbours 4 min, t-SNE
/// 8 min), about 3.1 GB of memory".
std::string describeMapCost(const EmbedJob &job, const MapCostEstimate &estimate);

} // namespace upstep::core
