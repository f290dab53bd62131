#pragma once
// Decodes one image file with OpenCV: 8- and 16-bit, gray, RGB or RGBA (alpha dropped), EXIF
// orientation honoured. Colour images come out in RGB order. The loader works on the pixels as
// stored (decodeImagePixels, mostly 8-bit, which resizes several times faster than float) and
// converts to float only once an image has its model size; decodeImageFile gives float [0, 1].
//
// A JPEG at least twice as large as a caller needs is decoded at 1/2, 1/4 or 1/8 of its size by
// libjpeg's scaled (DCT-domain) decoding: several times faster, and a fraction of the memory.
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

/// Memory one decoding thread reuses from image to image. Without it every image allocates
/// fresh pages for its file, its pixels and their RGB copy, and the page faults cost the loader
/// about a third of its time (perf, 500x375 JPEGs).
struct DecodeBuffers {
    std::vector<unsigned char> bytes;
    cv::Mat raw, rgb;
};

/// The pixels as stored: CV_8U or CV_16U (CV_32F for float TIFFs, clamped to [0, 1]), one or
/// three channels. minShortSide > 0 allows JPEG reduction as long as the shorter side keeps at
/// least that many pixels; 0 decodes at full size. The result owns its memory.
cv::Mat decodeImagePixels(const std::filesystem::path &file, int minShortSide = 0);

/// The same into `buffers`: the result may alias them and is valid until their next use.
cv::Mat decodeImagePixels(const std::filesystem::path &file, int minShortSide, DecodeBuffers &buffers);
cv::Mat decodeImagePixelsFromBytes(const std::vector<unsigned char> &bytes, const std::filesystem::path &name,
                                   int minShortSide, DecodeBuffers &buffers);

/// 1 over the largest value of a pixel depth: 1/255 for 8 bits, 1/65535 for 16, 1 for float.
double unitScale(int depth);

/// Pixels of any depth as float in [0, 1], channels kept.
cv::Mat toUnitFloat(const cv::Mat &pixels);

/// Pixels of any depth as 8 bits, channels kept; 8-bit pixels are returned as they are.
cv::Mat toEightBit(const cv::Mat &pixels);

/// Converts to the channel count a model wants: gray is replicated to RGB, RGB is reduced to
/// luminance (ITU-R 601 weights) for single-channel models.
cv::Mat matchChannels(const cv::Mat &image, int channels);

} // namespace upstep::core
