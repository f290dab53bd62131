#pragma once
// Reads the pixel size an image file declares in its header, without decoding it, so that a file
// declaring an absurd size (a "decompression bomb": a few hundred kilobytes of PNG that inflate to
// gigabytes) is refused before any pixel memory is allocated.
//
// Threading: pure functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace upstep::core {

struct DeclaredImageSize {
    std::int64_t width = 0;
    std::int64_t height = 0;
    std::string format; ///< "PNG", "JPEG", ... for messages
    int components = 0; ///< colour components where the reader knows them (JPEG), else 0
};

/// The width and height in the header of a PNG, JPEG, BMP, GIF, WebP, TIFF (first page), PNM
/// (P1 to P6) or JPEG 2000 file; nullopt when the format is not one of those or the header is too
/// short or malformed to say. The decoder refuses such files: a size it cannot check in advance
/// is a size it cannot bound.
std::optional<DeclaredImageSize> readDeclaredImageSize(const unsigned char *data, std::size_t size);

/// The most pixels one image may declare before it is refused: UPSTEP_MAX_IMAGE_PIXELS when set
/// to a positive number, else 2^27 (134 megapixels, 8K x 16K). Each decoder thread holds a
/// float copy of its image, about 12 bytes per pixel, so this bounds a worker to about 1.6 GB.
std::int64_t maxImagePixels();

} // namespace upstep::core
