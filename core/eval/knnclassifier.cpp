#include "eval/knnclassifier.h"

#include "common/error.h"

namespace upstep::core {

namespace F = torch::nn::functional;

ClassificationResult knnClassify(const torch::Tensor &memory, const torch::Tensor &memoryLabels,
                                 const torch::Tensor &queries, const torch::Tensor &queryLabels,
                                 const KnnConfig &config)
{
    if (memory.dim() != 2 || queries.dim() != 2 || memory.size(1) != queries.size(1))
        throw InputError("kNN needs memory [N, D] and queries [M, D] of the same width");
    if (memoryLabels.numel() != memory.size(0) || queryLabels.numel() != queries.size(0))
        throw InputError("kNN needs one label per feature row");
    if (config.k < 1 || !(config.temperature > 0))
        throw InputError("kNN needs k >= 1 and a positive temperature");
    torch::NoGradGuard noGrad;
    const auto k = std::min<std::int64_t>(config.k, memory.size(0));
    const auto classes = memoryLabels.max().item<std::int64_t>() + 1;
    const auto bank = F::normalize(memory.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
    const auto bankLabels = memoryLabels.to(torch::kInt64).to(bank.device());

    std::vector<torch::Tensor> predictions;
    for (std::int64_t start = 0; start < queries.size(0); start += config.chunk) {
        const auto q = F::normalize(queries.narrow(0, start, std::min<std::int64_t>(config.chunk, queries.size(0) - start))
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
    result.top1 = queries.size(0) == 0
                      ? 0.0
                      : result.predictions.eq(queryLabels.to(torch::kInt64).cpu()).to(torch::kFloat64).mean().item<double>();
    return result;
}

} // namespace upstep::core
