#pragma once
// Decodes one image file with OpenCV into a float image in [0, 1]: 8- and 16-bit, gray, RGB or
// RGBA (alpha dropped), EXIF orientation honoured. Colour images come out in RGB order.
// Corrupt, truncated, empty or non-image content throws DecodeError with the reason, so callers
// can skip and report the file. An image whose header declares more than maxImagePixels() is
// refused before any pixel memory is allocated (io/imageheader.h).
//
// Threading: a pure function; decoders run concurrently on loader threads.

#include "upstep/common/error.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <vector>

namespace upstep::core {

class DecodeError : public FormatError {
public:
    using FormatError::FormatError;
};

/// Returns a CV_32FC1 (gray) or CV_32FC3 (RGB) image with values in [0, 1].
cv::Mat decodeImageFile(const std::filesystem::path &file);

/// The same for bytes already in memory; `name` only labels the errors. The fuzzing entry point.
cv::Mat decodeImageBytes(const std::vector<unsigned char> &bytes, const std::filesystem::path &name);

/// Converts to the channel count a model wants: gray is replicated to RGB, RGB is reduced to
/// luminance (ITU-R 601 weights) for single-channel models.
cv::Mat matchChannels(const cv::Mat &image, int channels);

} // namespace upstep::core
