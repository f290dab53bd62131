#include "data/imagetransform.h"

#include "io/imagedecode.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace upstep::core {

namespace {

int cvInterpolation(Interpolation interpolation, bool shrinking)
{
    switch (interpolation) {
    case Interpolation::Nearest: return cv::INTER_NEAREST;
    case Interpolation::Bicubic: return shrinking ? cv::INTER_AREA : cv::INTER_CUBIC;
    case Interpolation::Bilinear: return shrinking ? cv::INTER_AREA : cv::INTER_LINEAR;
    }
    return cv::INTER_LINEAR;
}

cv::Mat resizeTo(const cv::Mat &image, int width, int height, Interpolation interpolation)
{
    if (image.cols == width && image.rows == height)
        return image;
    // Shrinking uses area averaging, which anti-aliases like PIL's resize does.
    const bool shrinking = width < image.cols && height < image.rows;
    cv::Mat out;
    cv::resize(image, out, cv::Size(width, height), 0, 0, cvInterpolation(interpolation, shrinking));
    return out;
}

} // namespace

cv::Mat resizeAndCenterCrop(const cv::Mat &image, const Preprocessing &p)
{
    const int target = std::max(p.resizeSize(), p.inputSize);
    const double scale = static_cast<double>(target) / std::min(image.cols, image.rows);
    const int w = std::max(p.inputSize, static_cast<int>(std::lround(image.cols * scale)));
    const int h = std::max(p.inputSize, static_cast<int>(std::lround(image.rows * scale)));
    const auto resized = resizeTo(image, w, h, p.interpolation);
    const int x = (w - p.inputSize) / 2;
    const int y = (h - p.inputSize) / 2;
    return resized(cv::Rect(x, y, p.inputSize, p.inputSize));
}

cv::Mat randomResizedCrop(const cv::Mat &image, const Preprocessing &p, const AugmentConfig &a, std::mt19937_64 &rng)
{
    const double area = static_cast<double>(image.cols) * image.rows;
    std::uniform_real_distribution<double> scaleDist(a.scaleMin, a.scaleMax);
    std::uniform_real_distribution<double> logRatioDist(std::log(a.ratioMin), std::log(a.ratioMax));
    cv::Rect crop(0, 0, image.cols, image.rows);
    // torchvision's RandomResizedCrop: ten tries, then the centre crop of the whole image.
    bool found = false;
    for (int attempt = 0; attempt < 10 && !found; ++attempt) {
        const double targetArea = area * scaleDist(rng);
        const double ratio = std::exp(logRatioDist(rng));
        const int w = static_cast<int>(std::lround(std::sqrt(targetArea * ratio)));
        const int h = static_cast<int>(std::lround(std::sqrt(targetArea / ratio)));
        if (w > 0 && h > 0 && w <= image.cols && h <= image.rows) {
            std::uniform_int_distribution<int> xDist(0, image.cols - w), yDist(0, image.rows - h);
            const int x = xDist(rng);
            crop = cv::Rect(x, yDist(rng), w, h);
            found = true;
        }
    }
    if (!found) {
        const int side = std::min(image.cols, image.rows);
        crop = cv::Rect((image.cols - side) / 2, (image.rows - side) / 2, side, side);
    }
    auto out = resizeTo(image(crop), p.inputSize, p.inputSize, p.interpolation);
    if (a.horizontalFlip && std::bernoulli_distribution(0.5)(rng)) {
        cv::Mat flipped;
        cv::flip(out, flipped, 1);
        out = flipped;
    }
    return out;
}

cv::Mat colorAugment(const cv::Mat &image, const AugmentConfig &a, std::mt19937_64 &rng)
{
    if (image.channels() != 3)
        return image;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_real_distribution<double> factor(1.0 - a.colorJitter, 1.0 + a.colorJitter);
    // Draw every number up front, so the sequence does not depend on which branches run.
    const bool jitter = unit(rng) < a.jitterProbability;
    const double brightness = factor(rng), contrast = factor(rng), saturation = factor(rng);
    const bool gray = unit(rng) < a.grayscaleProbability;
    if (!jitter && !gray)
        return image;
    cv::Mat out = image.clone();
    const auto luminance = [](const cv::Mat &rgb) {
        cv::Mat y;
        cv::cvtColor(rgb, y, cv::COLOR_RGB2GRAY);
        cv::Mat y3;
        cv::cvtColor(y, y3, cv::COLOR_GRAY2RGB);
        return y3;
    };
    if (jitter) {
        out *= brightness;
        const double mean = cv::mean(luminance(out))[0];
        out = out * contrast + cv::Scalar::all(mean * (1.0 - contrast));
        const cv::Mat y = luminance(out);
        cv::addWeighted(out, saturation, y, 1.0 - saturation, 0.0, out);
        cv::min(cv::max(out, 0.0), 1.0, out);
    }
    if (gray)
        out = luminance(out);
    return out;
}

cv::Mat trainingView(const cv::Mat &image, const Preprocessing &p, const AugmentConfig &a, std::mt19937_64 &rng)
{
    // Colour arithmetic needs float; converting the crop, not the whole image, keeps it cheap.
    return colorAugment(toUnitFloat(randomResizedCrop(image, p, a, rng)), a, rng);
}

torch::Tensor normalizeToTensor(const cv::Mat &image, const Preprocessing &p)
{
    auto tensor = torch::empty({image.channels(), image.rows, image.cols}, torch::kFloat32);
    normalizeInto(image, p, tensor);
    return tensor;
}

void normalizeInto(const cv::Mat &image, const Preprocessing &p, torch::Tensor out)
{
    const int c = image.channels();
    if (!out.is_contiguous() || out.scalar_type() != torch::kFloat32 ||
        out.sizes() != torch::IntArrayRef({c, image.rows, image.cols}))
        throw std::logic_error("normalizeInto: the output is not a contiguous float [C, H, W] of the image's size");
    // (v * unit - mean) / std in one pass per channel, written straight into the tensor's planes.
    const double unit = unitScale(image.depth());
    std::vector<cv::Mat> planes;
    cv::split(image, planes);
    for (int ch = 0; ch < c; ++ch) {
        const auto k = static_cast<std::size_t>(ch % 3);
        cv::Mat plane(image.rows, image.cols, CV_32FC1, out[ch].data_ptr<float>());
        planes[static_cast<std::size_t>(ch)].convertTo(plane, CV_32F, unit / p.std[k], -p.mean[k] / p.std[k]);
    }
}

torch::Tensor evalTransform(const cv::Mat &decoded, const Preprocessing &p)
{
    return normalizeToTensor(resizeAndCenterCrop(matchChannels(decoded, p.channels), p), p);
}

} // namespace upstep::core
