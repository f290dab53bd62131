#include "models/resnet.h"

#include "upstep/common/error.h"

namespace upstep::core {

namespace F = torch::nn::functional;

namespace {

torch::nn::BatchNorm2d batchNorm(int channels)
{
    return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels));
}

void kaimingFanOut(torch::Tensor &weight)
{
    torch::NoGradGuard noGrad;
    torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
}

} // namespace

ResNetBlockImpl::ResNetBlockImpl(bool bottleneck, int inPlanes, int planes, int stride, int widthPerGroup)
    : m_bottleneck(bottleneck)
{
    const int out = planes * expansion(bottleneck);
    if (bottleneck) {
        const int width = planes * widthPerGroup / 64;
        conv1 = register_module("conv1", LoraConv2d(inPlanes, width, 1));
        bn1 = register_module("bn1", batchNorm(width));
        conv2 = register_module("conv2", LoraConv2d(width, width, 3, stride, 1));
        bn2 = register_module("bn2", batchNorm(width));
        conv3 = register_module("conv3", LoraConv2d(width, out, 1));
        bn3 = register_module("bn3", batchNorm(out));
        kaimingFanOut(conv3->weight);
    } else {
        conv1 = register_module("conv1", LoraConv2d(inPlanes, planes, 3, stride, 1));
        bn1 = register_module("bn1", batchNorm(planes));
        conv2 = register_module("conv2", LoraConv2d(planes, planes, 3, 1, 1));
        bn2 = register_module("bn2", batchNorm(planes));
    }
    kaimingFanOut(conv1->weight);
    kaimingFanOut(conv2->weight);
    if (stride != 1 || inPlanes != out) {
        downsample = register_module(
            "downsample", torch::nn::Sequential(
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(inPlanes, out, 1).stride(stride).bias(false)),
                              batchNorm(out)));
        kaimingFanOut(downsample[0]->as<torch::nn::Conv2dImpl>()->weight);
    }
}

torch::Tensor ResNetBlockImpl::forward(const torch::Tensor &x)
{
    auto y = F::relu(bn1(conv1(x)));
    if (m_bottleneck) {
        y = F::relu(bn2(conv2(y)));
        y = bn3(conv3(y));
    } else {
        y = bn2(conv2(y));
    }
    const auto identity = downsample ? downsample->forward(x) : x;
    return F::relu(y + identity);
}

ResNetImpl::ResNetImpl(ArchSpec spec) : BackboneImpl(std::move(spec))
{
    const auto &r = m_spec.resnet;
    conv1 = register_module("conv1", torch::nn::Conv2d(
                                         torch::nn::Conv2dOptions(m_spec.inChans, 64, 7).stride(2).padding(3).bias(false)));
    kaimingFanOut(conv1->weight);
    bn1 = register_module("bn1", batchNorm(64));
    int inPlanes = 64;
    torch::nn::Sequential *stages[] = {&layer1, &layer2, &layer3, &layer4};
    for (int s = 0; s < 4; ++s) {
        torch::nn::Sequential stage;
        const int planes = 64 << s;
        for (int b = 0; b < r.layers[static_cast<std::size_t>(s)]; ++b) {
            const int stride = (b == 0 && s > 0) ? 2 : 1;
            stage->push_back(ResNetBlock(r.bottleneck, inPlanes, planes, stride, r.widthPerGroup));
            inPlanes = planes * ResNetBlockImpl::expansion(r.bottleneck);
        }
        *stages[s] = register_module("layer" + std::to_string(s + 1), stage);
    }
    if (m_spec.numClasses > 0)
        fc = register_module("fc", torch::nn::Linear(inPlanes, m_spec.numClasses));
}

torch::Tensor ResNetImpl::features(const torch::Tensor &x)
{
    if (x.dim() != 4 || x.size(1) != m_spec.inChans)
        throw InputError("ResNet expects input [B, " + std::to_string(m_spec.inChans) + ", H, W], got " +
                         c10::str(x.sizes()));
    auto y = F::relu(bn1(conv1(x)));
    y = F::max_pool2d(y, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
    y = layer4->forward(layer3->forward(layer2->forward(layer1->forward(y))));
    return y.mean({2, 3});
}

torch::Tensor ResNetImpl::headForward(const torch::Tensor &features)
{
    requireHead();
    return fc(features);
}

} // namespace upstep::core
