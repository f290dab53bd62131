#pragma once
// Weighted k-nearest-neighbour classification, DINO's protocol (docs/METHOD.md §6): cosine
// similarity on L2-normalised features, the k most similar memory items vote with weight
// exp(similarity / temperature), top-1 of the votes. Memory use is bounded whatever the bank's
// size: queries go in chunks whose similarity block holds at most blockEntries values (256 MB of
// float by default; with a million bank features, 67 queries a block).
//
// Threading: a pure function; runs on the caller's thread and device.

#include <torch/torch.h>

namespace upstep::core {

struct KnnConfig {
    int k = 20;
    double temperature = 0.07;
    int chunk = 512;                                   ///< queries per similarity block at most
    std::int64_t blockEntries = std::int64_t{1} << 26; ///< similarity values per block at most
};

struct ClassificationResult {
    double top1 = 0;           ///< fraction correct, in [0, 1]
    torch::Tensor predictions; ///< [M] int64
};

/// Fraction of predictions equal to labels (0 for none).
double top1Accuracy(const torch::Tensor &predictions, const torch::Tensor &labels);

/// Throws InputError unless a [N, D] and b [M, D] have equal widths and one label per row.
void requireLabeledFeatures(const torch::Tensor &a, const torch::Tensor &aLabels, const torch::Tensor &b,
                            const torch::Tensor &bLabels, const char *who);

/// memory [N, D] with labels [N]; queries [M, D] with labels [M]. Labels are 0..C-1.
ClassificationResult knnClassify(const torch::Tensor &memory, const torch::Tensor &memoryLabels,
                                 const torch::Tensor &queries, const torch::Tensor &queryLabels,
                                 const KnnConfig &config = {});

} // namespace upstep::core
