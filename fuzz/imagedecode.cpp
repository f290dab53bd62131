// Fuzz target: the image decoder entry point (core/io/imagedecode.cpp decodeImageBytes): the
// declared-size check (io/imageheader.cpp) and OpenCV's decoders (PNG, JPEG, BMP, TIFF, WebP,
// PNM, ... as Debian builds them) behind it. Checked beyond "no crash": the result is a
// non-empty CV_32FC1 or CV_32FC3 image within the pixel limit, its values in [0, 1].
//
// The pixel limit is lowered to 4 megapixels (UPSTEP_MAX_IMAGE_PIXELS, unless set already), so
// that an image the check lets through stays within libFuzzer's memory limit; the check's code
// is the same at any limit.
#include "fuzzsupport.h"
#include "io/imagedecode.h"
#include "io/imageheader.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include <cstdlib>

using namespace upstep::core;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    setenv("UPSTEP_MAX_IMAGE_PIXELS", "4194304", 0);
    cv::setNumThreads(1);
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::vector<unsigned char> bytes(data, data + size);
    upstep::fuzz::expectTypedErrors([&] {
        const auto image = decodeImageBytes(bytes, "fuzz-input");
        if (image.empty() || (image.type() != CV_32FC1 && image.type() != CV_32FC3))
            upstep::fuzz::finding("invariant", "decoded image is empty or not CV_32FC1/CV_32FC3");
        if (static_cast<std::int64_t>(image.total()) > maxImagePixels())
            upstep::fuzz::finding("invariant", "decoded image is over the pixel limit");
        double lo = 0, hi = 0;
        cv::minMaxLoc(image.reshape(1), &lo, &hi);
        if (!(lo >= 0.0 && hi <= 1.0))
            upstep::fuzz::finding("invariant", "pixel values outside [0, 1]");
        if (upstep::fuzz::verbose())
            std::fprintf(stderr, "decoded %dx%d, %d channel(s): ", image.cols, image.rows, image.channels());
    });
    return 0;
}
