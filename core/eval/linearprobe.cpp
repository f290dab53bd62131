#include "eval/linearprobe.h"

#include "upstep/common/error.h"

namespace upstep::core {

namespace F = torch::nn::functional;

ClassificationResult linearProbe(const torch::Tensor &train, const torch::Tensor &trainLabels,
                                 const torch::Tensor &test, const torch::Tensor &testLabels,
                                 const LinearProbeConfig &config)
{
    requireLabeledFeatures(train, trainLabels, test, testLabels, "linear probe");
    const auto x = F::normalize(train.detach().to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
    const auto y = trainLabels.to(torch::kInt64).to(x.device());
    const auto classes = y.max().item<std::int64_t>() + 1;

    // Zero start: the result depends on the data only, not on a random initialisation.
    auto weight = torch::zeros({classes, x.size(1)}, x.options()).requires_grad_(true);
    auto bias = torch::zeros({classes}, x.options()).requires_grad_(true);
    torch::optim::LBFGS optimiser({weight, bias}, torch::optim::LBFGSOptions(1.0)
                                                      .max_iter(config.iterations)
                                                      .history_size(20)
                                                      .line_search_fn("strong_wolfe"));
    optimiser.step([&] {
        optimiser.zero_grad();
        auto loss = F::cross_entropy(torch::addmm(bias, x, weight.t()), y) + weight.pow(2).sum() * config.weightDecay;
        loss.backward();
        return loss;
    });

    torch::NoGradGuard noGrad;
    const auto t = F::normalize(test.to(x.device(), torch::kFloat32), F::NormalizeFuncOptions().dim(1));
    ClassificationResult result;
    result.predictions = torch::addmm(bias, t, weight.t()).argmax(1).cpu();
    result.top1 = top1Accuracy(result.predictions, testLabels);
    return result;
}

} // namespace upstep::core
