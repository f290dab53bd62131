#include "upstep/io/thumbnail.h"

#include "io/imagedecode.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace upstep::core {

Thumbnail makeThumbnail(const std::filesystem::path &file, int maxSide)
{
    // A JPEG whose shorter side keeps maxSide pixels is decoded reduced: its longer side then
    // still has at least maxSide, so the thumbnail loses nothing.
    auto image = matchChannels(decodeImagePixels(file, maxSide), 3);
    const double scale = std::min(1.0, static_cast<double>(maxSide) / std::max(image.cols, image.rows));
    if (scale < 1.0)
        cv::resize(image, image, cv::Size(), scale, scale, cv::INTER_AREA);
    const cv::Mat bytes = toEightBit(image);
    Thumbnail thumbnail;
    thumbnail.width = bytes.cols;
    thumbnail.height = bytes.rows;
    thumbnail.rgb.resize(static_cast<std::size_t>(bytes.cols) * bytes.rows * 3);
    for (int y = 0; y < bytes.rows; ++y)
        std::copy_n(bytes.ptr<std::uint8_t>(y), bytes.cols * 3, thumbnail.rgb.data() + static_cast<std::size_t>(y) * bytes.cols * 3);
    return thumbnail;
}

} // namespace upstep::core
