#pragma once
// Small previews for the workbench's image grids, decoded by the same decoder the training uses
// (EXIF orientation, 16-bit, TIFF and WebP included), so what a user sees is what trains.
// Torch- and OpenCV-free interface.
//
// Threading: a pure function; call it from thumbnail worker threads.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace upstep::core {

struct Thumbnail {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgb; ///< width * height * 3 bytes, row-major
};

/// Decodes file and scales it to fit maxSide x maxSide (never up). Throws DecodeError.
Thumbnail makeThumbnail(const std::filesystem::path &file, int maxSide);

} // namespace upstep::core
