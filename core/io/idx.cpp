#include "io/idx.h"

#include "upstep/common/error.h"
#include "upstep/io/outputpath.h"
#include "io/stagingfolder.h"

#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace upstep::core {

namespace fs = std::filesystem;

namespace {

struct GzCloser {
    void operator()(gzFile_s *f) const { gzclose(f); }
};

// gzread reads gzip and plain files alike.
std::size_t readSome(gzFile_s *f, const fs::path &file, void *buffer, std::size_t size)
{
    const int n = gzread(f, buffer, static_cast<unsigned>(size));
    if (n < 0) {
        int code = 0;
        throw FormatError(file, std::string("decompression failed: ") + gzerror(f, &code));
    }
    return static_cast<std::size_t>(n);
}

std::uint32_t bigEndian(const unsigned char *p)
{
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

} // namespace

IdxArray readIdx(const fs::path &file)
{
    std::unique_ptr<gzFile_s, GzCloser> f(gzopen(file.c_str(), "rb"));
    if (!f)
        throw IoError(file, "cannot open for reading");
    unsigned char head[4];
    if (readSome(f.get(), file, head, 4) != 4)
        throw FormatError(file, "too short for an IDX file");
    const auto magic = bigEndian(head);
    if ((magic & 0xFFFFFF00u) != 0x00000800u) // type byte 0x08: unsigned byte
        throw FormatError(file, "not an unsigned-byte IDX file (magic " + std::to_string(magic) + ")");
    const int rank = static_cast<int>(magic & 0xFF);
    if (rank < 1 || rank > 4)
        throw FormatError(file, "IDX rank " + std::to_string(rank) + " is not supported");

    IdxArray array;
    std::uint64_t total = 1;
    for (int i = 0; i < rank; ++i) {
        if (readSome(f.get(), file, head, 4) != 4)
            throw FormatError(file, "truncated IDX header");
        const auto dim = bigEndian(head);
        array.dims.push_back(dim);
        // Checked before multiplying: four 32-bit dimensions can wrap the product past 2^64
        // (4 x 2^31 x 2^31 gave 0 bytes of data for 2^64 promised: found by fuzz/idx.cpp).
        constexpr std::uint64_t kMaxBytes = std::uint64_t(1) << 34;
        if (dim != 0 && total > kMaxBytes / dim)
            throw FormatError(file, "IDX dimensions are implausibly large");
        total *= dim;
    }
    // Grow with the data actually read, so a lying header cannot force a huge allocation.
    std::array<unsigned char, 1 << 16> chunk{};
    while (array.data.size() < total) {
        const auto want = std::min<std::uint64_t>(chunk.size(), total - array.data.size());
        const auto got = readSome(f.get(), file, chunk.data(), want);
        if (got == 0)
            throw FormatError(file, "truncated: header promises " + std::to_string(total) + " bytes, file has " +
                                        std::to_string(array.data.size()));
        array.data.insert(array.data.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    }
    if (readSome(f.get(), file, chunk.data(), 1) != 0)
        throw FormatError(file, "unexpected data after the " + std::to_string(total) + " bytes the header promises");
    return array;
}

namespace {

// Encoded in memory and written with every error checked: OpenCV's imwrite does not report a
// short write, and a full disk must not leave truncated PNGs behind.
void writePng(const fs::path &file, const cv::Mat &image)
{
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", image, png))
        throw IoError(file, "cannot encode PNG");
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> out(std::fopen(file.c_str(), "wb"), std::fclose);
    if (!out || std::fwrite(png.data(), 1, png.size(), out.get()) != png.size() || std::fflush(out.get()) != 0)
        throw IoError(file, std::string("cannot write PNG: ") + std::strerror(errno));
    if (std::fclose(out.release()) != 0)
        throw IoError(file, std::string("cannot write PNG: ") + std::strerror(errno));
}

// Writes the PNGs into a staging folder and publishes it whole.
IdxImportResult writeImportFolder(const IdxArray &pixels, const IdxArray &classes, std::int64_t count,
                                  const fs::path &outDir, const IdxImportOptions &options, const ProgressSink &progress,
                                  StopFlag stop)
{
    const int rows = static_cast<int>(pixels.dims[1]);
    const int cols = static_cast<int>(pixels.dims[2]);
    const std::size_t imageBytes = static_cast<std::size_t>(rows) * cols;
    std::error_code ec;
    StagingFolder staging(outDir); // a failure or a kill leaves the previous folder, or none
    const auto &partial = staging.path();
    IdxImportResult result;
    const int digits = static_cast<int>(std::to_string(count - 1).size());
    for (std::int64_t i = 0; i < count; ++i) {
        if (stopRequested(stop))
            throw Cancelled();
        const int label = classes.data[static_cast<std::size_t>(i)];
        if (static_cast<std::size_t>(label) >= result.perClass.size())
            result.perClass.resize(static_cast<std::size_t>(label) + 1, 0);
        const auto folder = partial / classFolderName(label, options.classNames);
        if (result.perClass[static_cast<std::size_t>(label)]++ == 0 && !fs::create_directory(folder, ec) && ec)
            throw IoError(folder, "cannot create folder: " + ec.message());
        char name[32];
        std::snprintf(name, sizeof name, "%0*lld.png", digits, static_cast<long long>(i));
        const cv::Mat image(rows, cols, CV_8UC1,
                            const_cast<std::uint8_t *>(pixels.data.data() + static_cast<std::size_t>(i) * imageBytes));
        writePng(folder / name, image);
        if (progress && (i % 500 == 0 || i + 1 == count))
            progress({"writing PNGs", i + 1, count, "images"});
    }
    result.images = count;
    staging.publish(options.overwrite);
    return result;
}

} // namespace

std::string classFolderName(int label, const std::vector<std::string> &classNames)
{
    if (classNames.empty())
        return std::to_string(label);
    const auto digits = std::to_string(classNames.size() - 1).size();
    auto number = std::to_string(label);
    number.insert(0, digits > number.size() ? digits - number.size() : 0, '0');
    std::string name = classNames[static_cast<std::size_t>(label)];
    for (auto &c : name)
        if (c == '/' || c == '\\' || std::isspace(static_cast<unsigned char>(c)))
            c = '-';
    return number + "-" + name;
}

std::vector<std::string> knownIdxClassNames(const std::string &dataset)
{
    if (dataset == "fashion-mnist")
        return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    if (dataset == "mnist")
        return {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    return {};
}

IdxImportResult importIdx(const fs::path &images, const fs::path &labels, const fs::path &outDir,
                          const IdxImportOptions &options, const ProgressSink &progress, StopFlag stop)
{
    std::error_code ec;
    if (fs::exists(outDir, ec) && !options.overwrite)
        throw InputError(outDir.string() + ": already exists (choose another folder or allow overwriting)");

    const auto pixels = readIdx(images);
    const auto classes = readIdx(labels);
    if (pixels.dims.size() != 3)
        throw FormatError(images, "expected a 3-dimensional images file (magic 0x00000803: N x rows x cols)");
    if (classes.dims.size() != 1)
        throw FormatError(labels, "expected a 1-dimensional labels file (magic 0x00000801)");
    if (classes.dims[0] != pixels.dims[0])
        throw InputError(images.string() + " holds " + std::to_string(pixels.dims[0]) + " images but " +
                         labels.string() + " holds " + std::to_string(classes.dims[0]) + " labels");

    if (pixels.dims[0] == 0 || pixels.dims[1] == 0 || pixels.dims[2] == 0)
        throw FormatError(images, "holds no pixels (" + std::to_string(pixels.dims[0]) + " images of " +
                                      std::to_string(pixels.dims[1]) + " x " + std::to_string(pixels.dims[2]) + ")");
    if (pixels.dims[1] > 65535 || pixels.dims[2] > 65535) // PNG sides, and the int casts below
        throw FormatError(images, "images of " + std::to_string(pixels.dims[1]) + " x " +
                                      std::to_string(pixels.dims[2]) + " pixels are over the 65535-pixel side limit");
    const auto count = options.limit > 0 ? std::min(options.limit, pixels.dims[0]) : pixels.dims[0];
    if (!options.classNames.empty())
        for (std::int64_t i = 0; i < count; ++i)
            if (const int label = classes.data[static_cast<std::size_t>(i)];
                static_cast<std::size_t>(label) >= options.classNames.size())
                throw InputError(labels.string() + ": label " + std::to_string(label) + " has no class name (" +
                                 std::to_string(options.classNames.size()) + " names given)");

    checkOutputLocation(outDir);
    try {
        return writeImportFolder(pixels, classes, count, outDir, options, progress, stop);
    } catch (const IoError &e) { // a full disk: say that nothing was half-replaced
        throw withKeptState(e, keptState(outDir));
    }
}

} // namespace upstep::core
