#include "io/imagedecode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace upstep::core {

namespace {

std::vector<unsigned char> readWholeFile(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw DecodeError(file, std::string("cannot open: ") + std::strerror(errno));
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw DecodeError(file, "read failed");
    return bytes;
}

bool isJpeg(const std::vector<unsigned char> &b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

// libjpeg decodes a truncated JPEG into a partly grey picture with only a warning, so a
// missing end-of-image marker near the end of the file is treated as truncation.
bool jpegHasEndMarker(const std::vector<unsigned char> &b)
{
    const std::size_t window = std::min<std::size_t>(b.size(), 4096);
    for (std::size_t i = b.size() - 1; i + window >= b.size() && i >= 1; --i)
        if (b[i - 1] == 0xFF && b[i] == 0xD9)
            return true;
    return false;
}

} // namespace

cv::Mat decodeImageFile(const std::filesystem::path &file)
{
    const auto bytes = readWholeFile(file);
    if (bytes.empty())
        throw DecodeError(file, "empty file");
    if (isJpeg(bytes) && !jpegHasEndMarker(bytes))
        throw DecodeError(file, "truncated JPEG (no end-of-image marker)");

    cv::Mat raw;
    try {
        // Without IMREAD_UNCHANGED OpenCV applies the EXIF orientation and drops alpha.
        raw = cv::imdecode(bytes, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
    } catch (const cv::Exception &e) {
        throw DecodeError(file, std::string("decoder error: ") + e.what());
    }
    if (raw.empty())
        throw DecodeError(file, "not a decodable image (corrupt, truncated or not an image)");

    cv::Mat rgb;
    switch (raw.channels()) {
    case 1: rgb = raw; break;
    case 2: cv::extractChannel(raw, rgb, 0); break; // gray + alpha
    case 3: cv::cvtColor(raw, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(raw, rgb, cv::COLOR_BGRA2RGB); break;
    default: throw DecodeError(file, "unsupported channel count " + std::to_string(raw.channels()));
    }

    double scale = 1.0;
    switch (rgb.depth()) {
    case CV_8U: scale = 1.0 / 255.0; break;
    case CV_16U: scale = 1.0 / 65535.0; break;
    case CV_32F: break;
    default: throw DecodeError(file, "unsupported pixel depth");
    }
    cv::Mat out;
    rgb.convertTo(out, CV_MAKETYPE(CV_32F, rgb.channels()), scale);
    if (rgb.depth() == CV_32F)
        out = cv::min(cv::max(out, 0.0), 1.0);
    return out;
}

cv::Mat matchChannels(const cv::Mat &image, int channels)
{
    if (image.channels() == channels)
        return image;
    cv::Mat out;
    if (channels == 3 && image.channels() == 1)
        cv::cvtColor(image, out, cv::COLOR_GRAY2RGB);
    else if (channels == 1 && image.channels() == 3)
        cv::cvtColor(image, out, cv::COLOR_RGB2GRAY);
    else
        throw InputError("cannot convert a " + std::to_string(image.channels()) + "-channel image to " +
                         std::to_string(channels) + " channels");
    return out;
}

} // namespace upstep::core
