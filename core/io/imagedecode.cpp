#include "io/imagedecode.h"

#include "io/imageheader.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace upstep::core {

namespace {

// Into `bytes`, whose capacity a decoding thread reuses from file to file.
void readWholeFile(const std::filesystem::path &file, std::vector<unsigned char> &bytes)
{
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in)
        throw DecodeError(file, std::string("cannot open: ") + std::strerror(errno));
    const auto size = static_cast<std::streamoff>(in.tellg());
    if (size < 0)
        throw DecodeError(file, "cannot tell its size");
    bytes.resize(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char *>(bytes.data()), size))
        throw DecodeError(file, "read failed (the file shrank while it was read, or the disk failed)");
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

bool isPng(const std::vector<unsigned char> &b)
{
    static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    return b.size() >= 8 && std::equal(kSignature, kSignature + 8, b.begin());
}

std::uint32_t bigEndian32(const unsigned char *p)
{
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// Walks a PNG's chunks before libpng sees them: a truncated or garbled file is then refused with
// a plain reason, instead of libpng printing "libpng error: ..." lines on stderr (it reports to
// stderr before OpenCV can turn the failure into an empty image). A CRC error in a critical
// chunk is refused; one in an ancillary chunk is left to libpng, which skips that chunk.
void checkPngChunks(const std::vector<unsigned char> &b, const std::filesystem::path &file)
{
    std::size_t at = 8;
    while (true) {
        if (b.size() - at < 12)
            throw DecodeError(file, "truncated PNG (it ends before its IEND chunk)");
        const auto length = bigEndian32(&b[at]);
        const unsigned char *type = &b[at + 4];
        const std::string name(type, type + 4);
        if (!std::all_of(type, type + 4, [](unsigned char c) { return std::isalpha(c); }))
            throw DecodeError(file, "corrupt PNG (an invalid chunk type at byte " + std::to_string(at + 4) + ")");
        if (length > b.size() - at - 12)
            throw DecodeError(file, "truncated PNG (chunk " + name + " runs past the end of the file)");
        const bool critical = std::isupper(type[0]);
        const auto crc = crc32(crc32(0L, Z_NULL, 0), type, 4 + length);
        if (critical && crc != bigEndian32(&b[at + 8 + length]))
            throw DecodeError(file, "corrupt PNG (checksum mismatch in chunk " + name + ")");
        if (name == "IEND")
            return;
        at += 12 + static_cast<std::size_t>(length);
    }
}

// Refuses a file whose header declares more pixels than the limit, before OpenCV allocates them.
DeclaredImageSize checkDeclaredSize(const std::vector<unsigned char> &bytes, const std::filesystem::path &file)
{
    const auto declared = readDeclaredImageSize(bytes.data(), bytes.size());
    if (!declared) // OpenCV also reads PAM, HDR, EXR, Sun raster, PFM and BigTIFF by content, unbounded
        throw DecodeError(file, "not a PNG, JPEG, BMP, WebP, TIFF, PNM or JPEG 2000 image whose size can be read "
                                "from its header (another format, or a damaged header)");
    if (declared->width <= 0 || declared->height <= 0)
        throw DecodeError(file, declared->format + " header declares an empty image (" +
                                    std::to_string(declared->width) + "x" + std::to_string(declared->height) + ")");
    // In floating point: each side may be a 32-bit number, and their product could overflow.
    const double pixels = static_cast<double>(declared->width) * static_cast<double>(declared->height);
    if (pixels > static_cast<double>(maxImagePixels()))
        throw DecodeError(file, declared->format + " header declares " + std::to_string(declared->width) + "x" +
                                    std::to_string(declared->height) + " pixels (" +
                                    std::to_string(static_cast<long long>(pixels / 1e6)) +
                                    " megapixels), over the limit of " + std::to_string(maxImagePixels() / 1000000) +
                                    " megapixels (set UPSTEP_MAX_IMAGE_PIXELS to raise it); not decoded");
    return *declared;
}

// The largest libjpeg scale-down (1/2, 1/4 or 1/8) that keeps the shorter side at least
// minShortSide pixels; 1 when none does, the file is not a JPEG, or no reduction is asked for.
int jpegReduction(const DeclaredImageSize &declared, int minShortSide)
{
    if (minShortSide <= 0 || declared.format != "JPEG")
        return 1;
    const auto shortSide = std::min(declared.width, declared.height);
    for (int factor : {8, 4, 2})
        if ((shortSide + factor - 1) / factor >= minShortSide) // libjpeg rounds scaled sizes up
            return factor;
    return 1;
}

int reducedReadFlags(int factor, int components)
{
    const bool gray = components == 1;
    switch (factor) {
    case 2: return gray ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
    case 4: return gray ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
    case 8: return gray ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;
    default: return cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR;
    }
}

} // namespace

cv::Mat decodeImageFile(const std::filesystem::path &file) { return toUnitFloat(decodeImagePixels(file)); }

cv::Mat decodeImageBytes(const std::vector<unsigned char> &bytes, const std::filesystem::path &file)
{
    DecodeBuffers buffers;
    return toUnitFloat(decodeImagePixelsFromBytes(bytes, file, 0, buffers));
}

cv::Mat decodeImagePixels(const std::filesystem::path &file, int minShortSide)
{
    DecodeBuffers buffers; // the result shares their memory (reference counted), so it outlives them
    return decodeImagePixels(file, minShortSide, buffers);
}

cv::Mat decodeImagePixels(const std::filesystem::path &file, int minShortSide, DecodeBuffers &buffers)
{
    readWholeFile(file, buffers.bytes);
    return decodeImagePixelsFromBytes(buffers.bytes, file, minShortSide, buffers);
}

cv::Mat decodeImagePixelsFromBytes(const std::vector<unsigned char> &bytes, const std::filesystem::path &file,
                                   int minShortSide, DecodeBuffers &buffers)
{
    if (bytes.empty())
        throw DecodeError(file, "empty file");
    if (isJpeg(bytes) && !jpegHasEndMarker(bytes))
        throw DecodeError(file, "truncated JPEG (no end-of-image marker)");
    const auto declared = checkDeclaredSize(bytes, file);
    if (isPng(bytes))
        checkPngChunks(bytes, file);
    // Without IMREAD_UNCHANGED OpenCV applies the EXIF orientation and drops alpha; the reduced
    // modes apply it too. A JPEG's component count keeps a gray file gray when it is reduced.
    const int flags = reducedReadFlags(jpegReduction(declared, minShortSide), declared.components);
    cv::Mat &raw = buffers.raw;
    try {
        cv::imdecode(bytes, flags, &raw); // reuses raw's memory when the size repeats
    } catch (const cv::Exception &e) {
        throw DecodeError(file, std::string("decoder error: ") + e.what());
    }
    if (raw.empty())
        throw DecodeError(file, "not a decodable image (corrupt, truncated or not an image)");
    cv::Mat rgb;
    switch (raw.channels()) {
    case 1: rgb = raw; break;
    case 2: cv::extractChannel(raw, buffers.rgb, 0), rgb = buffers.rgb; break; // gray + alpha
    case 3: cv::cvtColor(raw, buffers.rgb, cv::COLOR_BGR2RGB), rgb = buffers.rgb; break;
    case 4: cv::cvtColor(raw, buffers.rgb, cv::COLOR_BGRA2RGB), rgb = buffers.rgb; break;
    default: throw DecodeError(file, "unsupported channel count " + std::to_string(raw.channels()));
    }
    switch (rgb.depth()) {
    case CV_8U:
    case CV_16U: return rgb;
    case CV_32F: return cv::min(cv::max(rgb, 0.0), 1.0);
    default: throw DecodeError(file, "unsupported pixel depth");
    }
}

double unitScale(int depth)
{
    switch (depth) {
    case CV_8U: return 1.0 / 255.0;
    case CV_16U: return 1.0 / 65535.0;
    default: return 1.0;
    }
}

cv::Mat toEightBit(const cv::Mat &pixels)
{
    if (pixels.depth() == CV_8U)
        return pixels;
    cv::Mat out;
    pixels.convertTo(out, CV_MAKETYPE(CV_8U, pixels.channels()), 255.0 * unitScale(pixels.depth()));
    return out;
}

cv::Mat toUnitFloat(const cv::Mat &pixels)
{
    if (pixels.depth() == CV_32F)
        return pixels;
    cv::Mat out;
    pixels.convertTo(out, CV_MAKETYPE(CV_32F, pixels.channels()), unitScale(pixels.depth()));
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
