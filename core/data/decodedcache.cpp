#include "data/decodedcache.h"

#include "upstep/common/error.h"
#include "upstep/common/units.h"
#include "upstep/io/atomicfile.h"
#include "io/imagedecode.h"
#include "io/imageheader.h"

#include <opencv2/imgproc.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace upstep::core {

namespace fs = std::filesystem;

struct DecodedCache::Entry {
    std::uint64_t offset;
    std::uint32_t width;
    std::uint32_t height;
    std::uint32_t channels; ///< 0: a failed image, whose reason text is at offset
    std::uint32_t length;   ///< bytes at offset
};

namespace {

constexpr char kMagic[8] = {'U', 'P', 'D', 'E', 'C', 'O', 'D', '1'};
constexpr std::uint32_t kVersion = 1;

struct Footer {
    char magic[8];
    std::uint32_t version;
    std::uint32_t side;
    std::uint64_t count;
    std::uint64_t tableOffset;
    std::uint64_t contentKey;
};

std::uint64_t fnv1a(std::uint64_t hash, const void *data, std::size_t size)
{
    const auto *bytes = static_cast<const unsigned char *>(data);
    for (std::size_t i = 0; i < size; ++i)
        hash = (hash ^ bytes[i]) * 0x100000001b3ull;
    return hash;
}

// Identity of the images' content: every path, size, modification and status-change time, in
// order (the status time also moves when only permissions change, which can turn a failed image
// readable). A file that cannot be examined counts as -1s, so that it appearing changes the key.
std::uint64_t contentKey(const ImageList &images)
{
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (const auto &image : images) {
        // Absolute, so that "photos", "./photos/" and "/home/u/photos" name the same cache.
        std::error_code error;
        auto absolute = fs::absolute(image.path, error);
        const auto path = (error ? image.path : absolute).lexically_normal().string();
        hash = fnv1a(hash, path.data(), path.size() + 1);
        struct stat info {};
        std::int64_t facts[3] = {-1, -1, -1};
        if (::stat(image.path.c_str(), &info) == 0) {
            facts[0] = info.st_size;
            facts[1] = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
            facts[2] = static_cast<std::int64_t>(info.st_ctim.tv_sec) * 1000000000 + info.st_ctim.tv_nsec;
        }
        hash = fnv1a(hash, facts, sizeof facts);
    }
    return hash;
}

std::string keyName(std::uint64_t key)
{
    std::ostringstream name;
    name << std::hex << std::setw(16) << std::setfill('0') << key;
    return name.str();
}

fs::path cacheFile(const fs::path &folder, std::uint64_t key, int side)
{
    return folder / (keyName(key) + "-side" + std::to_string(side) + ".u8cache");
}

// The stored size of an image of this size: the shorter side reduced to `side`, never enlarged.
cv::Size storedSize(std::int64_t width, std::int64_t height, int side)
{
    const auto shorter = std::min(width, height);
    if (shorter <= side)
        return {static_cast<int>(width), static_cast<int>(height)};
    const double scale = static_cast<double>(side) / static_cast<double>(shorter);
    return {std::max(1, static_cast<int>(std::lround(static_cast<double>(width) * scale))),
            std::max(1, static_cast<int>(std::lround(static_cast<double>(height) * scale)))};
}

// Two decimals up to 10 GB, whole gigabytes beyond.
std::string sizeText(std::int64_t bytes)
{
    return gigabytes(static_cast<double>(bytes), bytes < 10'000'000'000 ? 2 : 0);
}

// One decoded image on its way to the file.
struct Record {
    std::vector<unsigned char> bytes; ///< pixels, or the reason text
    std::uint32_t width = 0, height = 0, channels = 0;
    std::exception_ptr error; ///< anything but a decode failure (out of memory...): stops the build
};

Record decodeForCache(const ImageEntry &image, int side, DecodeBuffers &buffers)
{
    Record record;
    try {
        cv::Mat pixels = toEightBit(decodeImagePixels(image.path, side, buffers));
        const auto size = storedSize(pixels.cols, pixels.rows, side);
        if (size != pixels.size()) {
            cv::Mat resized;
            cv::resize(pixels, resized, size, 0, 0, cv::INTER_AREA);
            pixels = resized;
        }
        const auto rowBytes = static_cast<std::size_t>(pixels.cols) * static_cast<std::size_t>(pixels.channels());
        record.bytes.resize(rowBytes * static_cast<std::size_t>(pixels.rows));
        for (int y = 0; y < pixels.rows; ++y)
            std::memcpy(record.bytes.data() + rowBytes * static_cast<std::size_t>(y), pixels.ptr(y), rowBytes);
        record.width = static_cast<std::uint32_t>(pixels.cols);
        record.height = static_cast<std::uint32_t>(pixels.rows);
        record.channels = static_cast<std::uint32_t>(pixels.channels());
    } catch (const DecodeError &e) {
        record.bytes.assign(e.problem().begin(), e.problem().end());
    }
    return record;
}

// Decodes images on worker threads and hands the records out in order, at most `window` ahead
// of the consumer. The destructor stops and joins the workers.
class OrderedDecoder {
public:
    OrderedDecoder(const ImageList &images, int side, int workers, std::size_t window)
        : m_images(images), m_side(side), m_window(window)
    {
        try {
            for (int i = 0; i < std::max(1, workers); ++i)
                m_threads.emplace_back([this] { work(); });
        } catch (...) {
            stopAndJoin(); // the threads started must not outlive a failed constructor
            throw;
        }
    }
    ~OrderedDecoder() { stopAndJoin(); }

    Record take(std::size_t index)
    {
        std::unique_lock lock(m_mutex);
        m_wake.wait(lock, [&] { return m_ready.count(index) > 0; });
        auto record = std::move(m_ready[index]);
        m_ready.erase(index);
        m_taken = index + 1;
        lock.unlock();
        m_wake.notify_all();
        if (record.error)
            std::rethrow_exception(record.error);
        return record;
    }

private:
    void stopAndJoin()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        for (auto &thread : m_threads)
            thread.join();
        m_threads.clear();
    }

    void work()
    {
        DecodeBuffers buffers;
        for (;;) {
            std::size_t index = 0;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock,
                            [&] { return m_stopping || m_next >= m_images.size() || m_next < m_taken + m_window; });
                if (m_stopping || m_next >= m_images.size())
                    return;
                index = m_next++;
            }
            Record record;
            try {
                record = decodeForCache(m_images[index], m_side, buffers);
            } catch (...) {
                record.error = std::current_exception(); // rethrown by take() on the building thread
            }
            {
                std::lock_guard lock(m_mutex);
                m_ready.emplace(index, std::move(record));
            }
            m_wake.notify_all();
        }
    }

    const ImageList &m_images;
    const int m_side;
    const std::size_t m_window;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::map<std::size_t, Record> m_ready;
    std::size_t m_next = 0, m_taken = 0;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

} // namespace

fs::path defaultDecodedCacheFolder()
{
    if (const char *dir = std::getenv("UPSTEP_CACHE_DIR"); dir && *dir)
        return dir;
    if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return fs::path(xdg) / "upstep" / "decoded";
    const char *home = std::getenv("HOME");
    return fs::path(home && *home ? home : ".") / ".cache" / "upstep" / "decoded";
}

fs::path DecodedCache::fileFor(const fs::path &folder, const ImageList &images, int side)
{
    return cacheFile(folder, contentKey(images), side);
}

DecodedCacheEstimate DecodedCache::estimate(const ImageList &images, int side)
{
    DecodedCacheEstimate estimate;
    estimate.images = static_cast<std::int64_t>(images.size());
    if (images.empty())
        return estimate;
    const std::size_t samples = std::min<std::size_t>(images.size(), 1000);
    double sampledBytes = 0;
    std::vector<unsigned char> head(64 * 1024);
    for (std::size_t s = 0; s < samples; ++s) {
        const auto image = images[s * images.size() / samples];
        std::ifstream in(image.path, std::ios::binary);
        in.read(reinterpret_cast<char *>(head.data()), static_cast<std::streamsize>(head.size()));
        const auto declared = readDeclaredImageSize(head.data(), static_cast<std::size_t>(in.gcount()));
        if (!declared || declared->width <= 0 || declared->height <= 0)
            continue;
        const auto size = storedSize(declared->width, declared->height, side);
        const int channels = declared->components == 1 ? 1 : 3;
        sampledBytes += static_cast<double>(size.area()) * channels;
        ++estimate.sampled;
    }
    const double perImage = estimate.sampled > 0 ? sampledBytes / static_cast<double>(estimate.sampled) : 0.0;
    estimate.bytes = static_cast<std::int64_t>(perImage * static_cast<double>(images.size())) +
                     estimate.images * static_cast<std::int64_t>(sizeof(Entry)) +
                     static_cast<std::int64_t>(sizeof(Footer));
    return estimate;
}

std::shared_ptr<const DecodedCache> DecodedCache::open(const fs::path &folder, const ImageList &images,
                                                       int side, std::string *problem)
{
    return openKeyed(folder, contentKey(images), images.size(), side, problem);
}

std::shared_ptr<const DecodedCache> DecodedCache::openKeyed(const fs::path &folder, std::uint64_t key,
                                                            std::size_t count, int side, std::string *problem)
{
    const auto file = cacheFile(folder, key, side);
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nullptr;
    const auto refuse = [&](const std::string &why) -> std::shared_ptr<const DecodedCache> {
        if (problem)
            *problem = file.string() + ": " + why + "; not used (`upstep cache` rebuilds it)";
        return nullptr;
    };
    struct stat info {};
    if (::fstat(fd, &info) != 0 || info.st_size < static_cast<off_t>(sizeof(Footer))) {
        ::close(fd);
        return refuse("too short to be a decoded-image cache");
    }
    const auto length = static_cast<std::size_t>(info.st_size);
    void *mapped = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
    const int mapError = errno;
    ::close(fd); // the mapping keeps the file open
    if (mapped == MAP_FAILED)
        return refuse(std::string("cannot be mapped: ") + std::strerror(mapError));
    std::shared_ptr<DecodedCache> cache(new DecodedCache);
    cache->m_path = file;
    cache->m_data = static_cast<const unsigned char *>(mapped);
    cache->m_length = length;

    Footer footer{};
    std::memcpy(&footer, cache->m_data + length - sizeof footer, sizeof footer);
    if (std::memcmp(footer.magic, kMagic, sizeof kMagic) != 0)
        return refuse("not a decoded-image cache");
    if (footer.version != kVersion)
        return refuse("written by another version (format " + std::to_string(footer.version) + ")");
    if (footer.contentKey != key || footer.count != count || footer.side != static_cast<std::uint32_t>(side))
        return refuse("made for other images");
    const auto tableBytes = static_cast<std::uint64_t>(count) * sizeof(Entry);
    if (footer.tableOffset % alignof(Entry) != 0 || footer.tableOffset > length - sizeof footer ||
        tableBytes != length - sizeof footer - footer.tableOffset)
        return refuse("damaged (its table does not fit the file)");
    cache->m_entries = reinterpret_cast<const Entry *>(cache->m_data + footer.tableOffset);
    cache->m_count = count;
    cache->m_side = side;
    for (std::size_t i = 0; i < cache->m_count; ++i) {
        const auto &e = cache->m_entries[i];
        // Sides bounded first, so that the product cannot wrap and cv::Mat gets positive ints.
        constexpr std::uint32_t kMaxSide = 1u << 20;
        const bool pixels = e.channels != 0;
        const bool sane = !pixels || (e.width >= 1 && e.height >= 1 && e.width <= kMaxSide && e.height <= kMaxSide &&
                                      (e.channels == 1 || e.channels == 3) &&
                                      static_cast<std::uint64_t>(e.width) * e.height * e.channels == e.length);
        if (!sane || (!pixels && e.length == 0) || e.offset > footer.tableOffset ||
            e.length > footer.tableOffset - e.offset)
            return refuse("damaged (entry " + std::to_string(i) + " does not fit)");
    }
    return cache;
}

std::vector<int> DecodedCache::availableSides(const fs::path &folder, const ImageList &images)
{
    return sidesKeyed(folder, contentKey(images));
}

std::vector<int> DecodedCache::sidesKeyed(const fs::path &folder, std::uint64_t key)
{
    std::vector<int> sides;
    std::error_code error;
    const auto prefix = keyName(key) + "-side";
    for (const auto &entry : fs::directory_iterator(folder, error)) {
        const auto name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".u8cache")
            sides.push_back(std::atoi(name.c_str() + prefix.size()));
    }
    std::sort(sides.rbegin(), sides.rend());
    return sides;
}

std::shared_ptr<const DecodedCache> DecodedCache::build(const fs::path &folder, const ImageList &images,
                                                        int side, int workers, const ProgressSink &progress,
                                                        StopFlag stop)
{
    return buildKeyed(folder, images, contentKey(images), side, workers, progress, stop);
}

std::shared_ptr<const DecodedCache> DecodedCache::buildKeyed(const fs::path &folder,
                                                             const ImageList &images, std::uint64_t key,
                                                             int side, int workers, const ProgressSink &progress,
                                                             StopFlag stop)
{
    if (side < 8)
        throw InputError("the decoded-image cache's side must be at least 8 pixels, got " + std::to_string(side));
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw IoError(folder, "cannot create the cache folder: " + error.message());
    const auto estimate = DecodedCache::estimate(images, side);
    const auto space = fs::space(folder, error);
    constexpr std::int64_t kMargin = 256LL << 20; // leave the disk some room beyond the estimate
    if (!error && estimate.bytes + kMargin > static_cast<std::int64_t>(space.available))
        throw InputError("the decoded-image cache of " + std::to_string(images.size()) + " images at side " +
                         std::to_string(side) + " needs about " + sizeText(estimate.bytes) + ", but " +
                         folder.string() + " has " + sizeText(static_cast<std::int64_t>(space.available)) +
                         " free; choose a smaller side (upstep cache --side), another folder (UPSTEP_CACHE_DIR), or "
                         "no cache (upstep adapt --decoded-cache off)");

    AtomicFileWriter writer(cacheFile(folder, key, side));
    std::vector<Entry> table(images.size());
    std::uint64_t offset = 0;
    {
        OrderedDecoder decoder(images, side, workers, static_cast<std::size_t>(16 * std::max(1, workers)));
        for (std::size_t i = 0; i < images.size(); ++i) {
            if (stopRequested(stop))
                throw Cancelled();
            const auto record = decoder.take(i);
            table[i] = {offset, record.width, record.height, record.channels,
                        static_cast<std::uint32_t>(record.bytes.size())};
            writer.write(record.bytes.data(), record.bytes.size());
            offset += record.bytes.size();
            if (progress && (i % 64 == 63 || i + 1 == images.size()))
                progress({"caching decoded images", static_cast<std::int64_t>(i + 1),
                          static_cast<std::int64_t>(images.size()), "images"});
        }
    }
    const std::uint64_t padding = (alignof(Entry) - offset % alignof(Entry)) % alignof(Entry);
    const char zeros[alignof(Entry)] = {};
    writer.write(zeros, padding);
    Footer footer{};
    std::memcpy(footer.magic, kMagic, sizeof kMagic);
    footer.version = kVersion;
    footer.side = static_cast<std::uint32_t>(side);
    footer.count = images.size();
    footer.tableOffset = offset + padding;
    footer.contentKey = key;
    writer.write(table.data(), table.size() * sizeof(Entry));
    writer.write(&footer, sizeof footer);
    writer.commit();
    std::string problem; // opened by the key it was written under: files touched meanwhile do not matter
    auto cache = openKeyed(folder, key, images.size(), side, &problem);
    if (!cache)
        throw IoError(cacheFile(folder, key, side), "the cache just written does not read back: " + problem);
    return cache;
}

std::shared_ptr<const DecodedCache> decodedCacheForRun(DecodedCacheMode mode, const ImageList &images,
                                                       int side, int workers, const ProgressSink &progress,
                                                       StopFlag stop, std::string *note)
{
    if (note)
        note->clear();
    if (mode == DecodedCacheMode::Off) {
        if (note)
            *note = "decoded-image cache off: decoding the files";
        return nullptr;
    }
    const auto folder = defaultDecodedCacheFolder();
    // Every look-up below is for the same content: its key (a stat of every image) is made once.
    const auto key = contentKey(images);
    std::string problem;
    auto cache = DecodedCache::openKeyed(folder, key, images.size(), side, &problem);
    if (!cache && mode == DecodedCacheMode::Build) {
        const auto started = std::chrono::steady_clock::now();
        cache = DecodedCache::buildKeyed(folder, images, key, side, workers, progress, stop);
        if (note)
            *note = "built the decoded-image cache " + cache->path().string() + " (" + sizeText(cache->bytes()) + ", " +
                    std::to_string(std::lround(
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count())) +
                    " s)";
        return cache;
    }
    if (!cache)
        for (int available : DecodedCache::sidesKeyed(folder, key))
            if ((cache = DecodedCache::openKeyed(folder, key, images.size(), available, &problem)))
                break;
    if (note && cache)
        *note = "reading decoded pixels from " + cache->path().string() +
                (cache->side() < side
                     ? " (side " + std::to_string(cache->side()) + ", below the " + std::to_string(side) +
                           " this run's crops need: crops are cut from fewer pixels)"
                     : std::string());
    else if (note && !problem.empty())
        *note = problem;
    else if (note)
        *note = "no decoded-image cache for this folder: decoding the files (`upstep cache` makes one)";
    return cache;
}

DecodedCache::~DecodedCache()
{
    if (m_data)
        ::munmap(const_cast<unsigned char *>(m_data), m_length);
}

cv::Mat DecodedCache::image(std::size_t i) const
{
    const auto &e = m_entries[i];
    if (e.channels == 0)
        return {};
    // Read-only mapping: cv::Mat has no const view, so the caller's contract is not to write.
    return cv::Mat(static_cast<int>(e.height), static_cast<int>(e.width),
                   CV_MAKETYPE(CV_8U, static_cast<int>(e.channels)), const_cast<unsigned char *>(m_data + e.offset));
}

std::string DecodedCache::failure(std::size_t i) const
{
    const auto &e = m_entries[i];
    if (e.channels != 0)
        return {};
    return std::string(reinterpret_cast<const char *>(m_data + e.offset), e.length);
}

} // namespace upstep::core
