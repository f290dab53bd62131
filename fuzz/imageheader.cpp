// Fuzz target: the declared image size reader (core/io/imageheader.cpp readDeclaredImageSize),
// which parses PNG, JPEG, BMP, GIF, WebP, TIFF, PNM and JPEG 2000 headers by hand to refuse
// decompression bombs before decoding. Fast, so it runs many more inputs than imagedecode.
// Checked beyond "no crash": a size it reports is non-negative and names its format.
#include "fuzzsupport.h"
#include "io/imageheader.h"

#include <vector>

using namespace upstep::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // A copy of exactly `size` bytes, so AddressSanitizer sees any read past the end.
    const std::vector<unsigned char> bytes(data, data + size);
    upstep::fuzz::expectTypedErrors([&] {
        const auto declared = readDeclaredImageSize(bytes.data(), bytes.size());
        if (declared && (declared->width < 0 || declared->height < 0 || declared->format.empty()))
            upstep::fuzz::finding("invariant", "negative declared size or no format name");
    });
    return 0;
}
