#include "eval/linearprobe.h"

#include "upstep/common/error.h"

#include <algorithm>

namespace upstep::core {

namespace F = torch::nn::functional;

ClassificationResult linearProbe(const torch::Tensor &train, const torch::Tensor &trainLabels,
                                 const torch::Tensor &test, const torch::Tensor &testLabels,
                                 const LinearProbeConfig &config)
{
    requireLabeledFeatures(train, trainLabels, test, testLabels, "linear probe");
    if (config.chunkRows < 1)
        throw InputError("linear probe: chunk rows must be at least 1");
    const auto x = train.detach();
    const auto n = x.size(0);
    const auto y = trainLabels.to(torch::kInt64).to(x.device());
    const auto classes = y.max().item<std::int64_t>() + 1;
    const auto rows = [&](std::int64_t start) {
        const auto length = std::min(config.chunkRows, n - start);
        return F::normalize(x.narrow(0, start, length).to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
    };

    // Zero start: the result depends on the data only, not on a random initialisation.
    auto weight = torch::zeros({classes, x.size(1)}, x.options().dtype(torch::kFloat32)).requires_grad_(true);
    auto bias = torch::zeros({classes}, weight.options()).requires_grad_(true);
    torch::optim::LBFGS optimiser({weight, bias}, torch::optim::LBFGSOptions(1.0)
                                                      .max_iter(config.iterations)
                                                      .history_size(20)
                                                      .line_search_fn("strong_wolfe"));
    optimiser.step([&] {
        optimiser.zero_grad();
        // The mean cross-entropy as a sum over chunks, each back-propagated at once: the
        // gradients add up to the full batch's, and only one chunk's graph is alive at a time.
        double total = 0;
        for (std::int64_t start = 0; start < n; start += config.chunkRows) {
            const auto chunk = rows(start);
            auto part = F::cross_entropy(torch::addmm(bias, chunk, weight.t()), y.narrow(0, start, chunk.size(0)),
                                         F::CrossEntropyFuncOptions().reduction(torch::kSum)) /
                        static_cast<double>(n);
            part.backward();
            total += part.item<double>();
        }
        auto penalty = weight.pow(2).sum() * config.weightDecay;
        penalty.backward();
        return torch::tensor(total + penalty.item<double>(), weight.options());
    });

    torch::NoGradGuard noGrad;
    const auto t = F::normalize(test.to(weight.device(), torch::kFloat32), F::NormalizeFuncOptions().dim(1));
    ClassificationResult result;
    result.predictions = torch::addmm(bias, t, weight.t()).argmax(1).cpu();
    result.top1 = top1Accuracy(result.predictions, testLabels);
    return result;
}

} // namespace upstep::core
