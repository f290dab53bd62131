#include "io/imageheader.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace upstep::core {

namespace {

// Bounds-checked big- and little-endian readers over one byte range.
class Bytes {
public:
    Bytes(const unsigned char *data, std::size_t size) : data_(data), size_(size) {}
    std::size_t size() const { return size_; }
    bool has(std::size_t at, std::size_t n) const { return at <= size_ && n <= size_ - at; }
    unsigned char at(std::size_t i) const { return data_[i]; }
    std::uint32_t be(std::size_t at, int n) const
    {
        std::uint32_t v = 0;
        for (int i = 0; i < n; ++i)
            v = (v << 8) | data_[at + static_cast<std::size_t>(i)];
        return v;
    }
    std::uint32_t le(std::size_t at, int n) const
    {
        std::uint32_t v = 0;
        for (int i = n - 1; i >= 0; --i)
            v = (v << 8) | data_[at + static_cast<std::size_t>(i)];
        return v;
    }
    bool starts(const char *magic, std::size_t at = 0) const
    {
        const auto n = std::strlen(magic);
        return has(at, n) && std::memcmp(data_ + at, magic, n) == 0;
    }

private:
    const unsigned char *data_;
    std::size_t size_;
};

std::optional<DeclaredImageSize> sized(std::int64_t w, std::int64_t h, const char *format)
{
    return DeclaredImageSize{w, h, format};
}

std::optional<DeclaredImageSize> png(const Bytes &b)
{
    if (!b.starts("\x89PNG\r\n\x1a\n") || !b.has(16, 8) || !b.starts("IHDR", 12))
        return std::nullopt;
    return sized(b.be(16, 4), b.be(20, 4), "PNG");
}

std::optional<DeclaredImageSize> jpeg(const Bytes &b)
{
    if (!(b.has(0, 3) && b.at(0) == 0xFF && b.at(1) == 0xD8))
        return std::nullopt;
    std::size_t i = 2;
    while (b.has(i, 4)) {
        if (b.at(i) != 0xFF) { // stray bytes before a marker, which libjpeg skips with a warning
            ++i;
            continue;
        }
        const auto marker = b.at(i + 1);
        if (marker == 0xFF) { // fill byte
            ++i;
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // no length
            i += 2;
            continue;
        }
        const auto length = b.be(i + 2, 2);
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
            if (!b.has(i + 5, 5))
                return std::nullopt;
            auto size = sized(b.be(i + 7, 2), b.be(i + 5, 2), "JPEG");
            size->components = b.at(i + 9);
            return size;
        }
        if (marker == 0xDA || length < 2) // scan data before any frame header: malformed
            return std::nullopt;
        i += 2 + length;
    }
    return std::nullopt;
}

std::optional<DeclaredImageSize> bmp(const Bytes &b)
{
    if (!b.starts("BM") || !b.has(14, 12))
        return std::nullopt;
    const auto header = b.le(14, 4);
    if (header == 12) // OS/2 BITMAPCOREHEADER: 16-bit sizes
        return sized(b.le(18, 2), b.le(20, 2), "BMP");
    const auto w = static_cast<std::int32_t>(b.le(18, 4));
    const auto h = static_cast<std::int32_t>(b.le(22, 4)); // negative: top-down rows
    return sized(std::abs(static_cast<std::int64_t>(w)), std::abs(static_cast<std::int64_t>(h)), "BMP");
}

std::optional<DeclaredImageSize> gif(const Bytes &b)
{
    if (!(b.starts("GIF87a") || b.starts("GIF89a")) || !b.has(6, 4))
        return std::nullopt;
    return sized(b.le(6, 2), b.le(8, 2), "GIF");
}

std::optional<DeclaredImageSize> webp(const Bytes &b)
{
    if (!b.starts("RIFF") || !b.starts("WEBP", 8) || !b.has(12, 18))
        return std::nullopt;
    if (b.starts("VP8 ", 12))
        return sized(b.le(26, 2) & 0x3FFF, b.le(28, 2) & 0x3FFF, "WebP");
    if (b.starts("VP8L", 12)) {
        const auto bits = b.le(21, 4);
        return sized((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, "WebP");
    }
    if (b.starts("VP8X", 12))
        return sized(static_cast<std::int64_t>(b.le(24, 3)) + 1, static_cast<std::int64_t>(b.le(27, 3)) + 1, "WebP");
    return std::nullopt;
}

std::optional<DeclaredImageSize> tiff(const Bytes &b)
{
    if (!b.has(0, 4))
        return std::nullopt;
    const bool little = b.le(0, 4) == 0x002A4949; // "II*\0"
    if (!little && b.be(0, 4) != 0x4D4D002A)      // "MM\0*"
        return std::nullopt;
    const auto get = [&](std::size_t at, int n) { return little ? b.le(at, n) : b.be(at, n); };
    if (!b.has(4, 4))
        return std::nullopt;
    const std::size_t ifd = get(4, 4);
    if (!b.has(ifd, 2))
        return std::nullopt;
    const auto entries = get(ifd, 2);
    std::int64_t w = -1, h = -1;
    for (std::uint32_t e = 0; e < entries; ++e) {
        const std::size_t at = ifd + 2 + 12 * static_cast<std::size_t>(e);
        if (!b.has(at, 12))
            break;
        const auto tag = get(at, 2);
        const auto type = get(at + 2, 2);
        const auto value = type == 3 ? get(at + 8, 2) : get(at + 8, 4); // SHORT or LONG
        if (tag == 256)
            w = value;
        else if (tag == 257)
            h = value;
    }
    if (w < 0 || h < 0)
        return std::nullopt;
    return sized(w, h, "TIFF");
}

// P1..P6 headers: magic, width, height (and maxval), whitespace and # comments between them.
std::optional<DeclaredImageSize> pnm(const Bytes &b)
{
    if (!(b.has(0, 2) && b.at(0) == 'P' && b.at(1) >= '1' && b.at(1) <= '6'))
        return std::nullopt;
    std::size_t i = 2;
    std::int64_t numbers[2] = {-1, -1};
    for (auto &n : numbers) {
        while (i < b.size() && (std::isspace(b.at(i)) || b.at(i) == '#')) {
            if (b.at(i) == '#')
                while (i < b.size() && b.at(i) != '\n')
                    ++i;
            else
                ++i;
        }
        std::int64_t v = 0;
        std::size_t digits = 0;
        while (i < b.size() && std::isdigit(b.at(i)) && digits < 12) {
            v = v * 10 + (b.at(i++) - '0');
            ++digits;
        }
        if (digits == 0 || i >= b.size() || !std::isspace(b.at(i))) // a number must end before the data
            return std::nullopt;
        n = v;
    }
    return sized(numbers[0], numbers[1], "PNM");
}

// JPEG 2000: a JP2 box file (its 'ihdr' box) or a bare codestream (its SIZ marker).
std::optional<DeclaredImageSize> jpeg2000(const Bytes &b)
{
    if (b.has(0, 4) && b.be(0, 4) == 0xFF4FFF51 && b.has(8, 8)) // SOC + SIZ: Xsiz, Ysiz
        return sized(b.be(8, 4), b.be(12, 4), "JPEG 2000");
    if (!b.starts("jP  ", 4))
        return std::nullopt;
    const std::size_t limit = std::min<std::size_t>(b.size(), 4096);
    for (std::size_t i = 0; i + 12 <= limit; ++i)
        if (b.starts("ihdr", i) && b.has(i + 4, 8))
            return sized(b.be(i + 8, 4), b.be(i + 4, 4), "JPEG 2000");
    return std::nullopt;
}

} // namespace

std::optional<DeclaredImageSize> readDeclaredImageSize(const unsigned char *data, std::size_t size)
{
    const Bytes b(data, size);
    for (auto reader : {png, jpeg, bmp, gif, webp, tiff, pnm, jpeg2000})
        if (auto found = reader(b))
            return found;
    return std::nullopt;
}

std::int64_t maxImagePixels()
{
    static const std::int64_t limit = [] {
        if (const char *text = std::getenv("UPSTEP_MAX_IMAGE_PIXELS")) {
            char *end = nullptr;
            const auto v = std::strtoll(text, &end, 10);
            if (end != text && *end == '\0' && v > 0)
                return static_cast<std::int64_t>(v);
        }
        return std::int64_t{1} << 27;
    }();
    return limit;
}

} // namespace upstep::core
