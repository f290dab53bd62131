#include "eval/knnclassifier.h"

#include "upstep/common/error.h"

#include <algorithm>

namespace upstep::core {

namespace F = torch::nn::functional;

double top1Accuracy(const torch::Tensor &predictions, const torch::Tensor &labels)
{
    if (predictions.numel() == 0)
        return 0.0;
    return predictions.eq(labels.to(torch::kInt64).to(predictions.device())).to(torch::kFloat64).mean().item<double>();
}

void requireLabeledFeatures(const torch::Tensor &a, const torch::Tensor &aLabels, const torch::Tensor &b,
                            const torch::Tensor &bLabels, const char *who)
{
    if (a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(1))
        throw InputError(std::string(who) + " needs two feature sets [N, D] and [M, D] of the same width");
    if (aLabels.numel() != a.size(0) || bLabels.numel() != b.size(0))
        throw InputError(std::string(who) + " needs one label per feature row");
}

ClassificationResult knnClassify(const torch::Tensor &memory, const torch::Tensor &memoryLabels,
                                 const torch::Tensor &queries, const torch::Tensor &queryLabels,
                                 const KnnConfig &config)
{
    requireLabeledFeatures(memory, memoryLabels, queries, queryLabels, "kNN");
    if (config.k < 1 || !(config.temperature > 0))
        throw InputError("kNN needs k >= 1 and a positive temperature");
    torch::NoGradGuard noGrad;
    const auto k = std::min<std::int64_t>(config.k, memory.size(0));
    const auto classes = memoryLabels.max().item<std::int64_t>() + 1;
    const auto bank = F::normalize(memory.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
    const auto bankLabels = memoryLabels.to(torch::kInt64).to(bank.device());

    const auto chunk = std::clamp<std::int64_t>(config.blockEntries / bank.size(0), 1, std::max(config.chunk, 1));
    std::vector<torch::Tensor> predictions;
    for (std::int64_t start = 0; start < queries.size(0); start += chunk) {
        const auto q = F::normalize(queries.narrow(0, start, std::min<std::int64_t>(chunk, queries.size(0) - start))
                                        .to(bank.device(), torch::kFloat32),
                                    F::NormalizeFuncOptions().dim(1));
        const auto [similarity, index] = torch::matmul(q, bank.t()).topk(k, 1);
        const auto weights = (similarity / config.temperature).exp();
        auto votes = torch::zeros({q.size(0), classes}, weights.options());
        votes.scatter_add_(1, bankLabels.index_select(0, index.reshape({-1})).reshape(index.sizes()), weights);
        predictions.push_back(votes.argmax(1).cpu());
    }
    ClassificationResult result;
    result.predictions = predictions.empty() ? torch::empty({0}, torch::kInt64) : torch::cat(predictions);
    result.top1 = top1Accuracy(result.predictions, queryLabels);
    return result;
}

} // namespace upstep::core
