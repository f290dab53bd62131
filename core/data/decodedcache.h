#pragma once
// A folder's images decoded once, at the size training needs, in one memory-mapped file: later
// passes (every epoch, every run on the same folder) read pixels instead of decoding JPEGs.
//
// Layout (little-endian, one file per folder content and side, written atomically):
//   pixels of image 0, 1, ... (8-bit, rows of width x channels bytes; a failed image stores its
//   reason text instead), then a table of one Entry per image, then a Footer. The file's name is
//   the content key: a hash of every image's path, size and modification time in scan order, so a
//   changed folder gets a new file and the old one is never read for it.
// Images are stored with their shorter side reduced to `side` (never enlarged), in 8 bits (16-bit
// and float files are converted), with their own channel count (1 or 3).
//
// Threading: build() runs its own decoding threads and reports progress on the calling thread.
// An opened cache is immutable; image() may be called from any number of threads.

#include "upstep/common/choices.h"
#include "upstep/common/progress.h"
#include "upstep/io/imagefolder.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

/// Where caches live: $UPSTEP_CACHE_DIR, else $XDG_CACHE_HOME/upstep/decoded, else
/// ~/.cache/upstep/decoded.
std::filesystem::path defaultDecodedCacheFolder();

struct DecodedCacheEstimate {
    std::int64_t images = 0;
    std::int64_t bytes = 0;   ///< expected file size, from the headers of a sample of the images
    std::int64_t sampled = 0; ///< how many headers were read
};

class DecodedCache {
public:
    ~DecodedCache();
    DecodedCache(const DecodedCache &) = delete;
    DecodedCache &operator=(const DecodedCache &) = delete;

    /// The cache file these images at this side would have in `folder`.
    static std::filesystem::path fileFor(const std::filesystem::path &folder, const ImageList &images,
                                         int side);

    /// The size a cache of these images would take, from up to 1,000 evenly spaced headers.
    static DecodedCacheEstimate estimate(const ImageList &images, int side);

    /// Opens the cache of exactly these images at this side, or nullptr when there is none. A
    /// file that exists but does not check out (truncated, another version, damaged) is reported
    /// in *problem and not used.
    static std::shared_ptr<const DecodedCache> open(const std::filesystem::path &folder,
                                                    const ImageList &images, int side,
                                                    std::string *problem = nullptr);

    /// Every cache of these images in `folder`, at whatever side it was built, the largest side
    /// first; empty when there is none. For callers that would take a smaller side over decoding.
    static std::vector<int> availableSides(const std::filesystem::path &folder, const ImageList &images);

    /// Decodes every image with `workers` threads and writes the cache atomically. Refuses with
    /// InputError, before decoding, when the estimate does not fit in the free space of `folder`;
    /// a write that fails anyway (the disk filled meanwhile) throws IoError and leaves no file.
    static std::shared_ptr<const DecodedCache> build(const std::filesystem::path &folder,
                                                     const ImageList &images, int side, int workers,
                                                     const ProgressSink &progress = {}, StopFlag stop = nullptr);

    /// Image i's pixels, read-only memory inside the mapping (valid while the cache lives; do not
    /// write to it), or an empty Mat when the image could not be decoded (see failure()).
    cv::Mat image(std::size_t i) const;
    /// Why image i could not be decoded; empty when it could.
    std::string failure(std::size_t i) const;

    std::size_t size() const { return m_count; }
    int side() const { return m_side; }
    const std::filesystem::path &path() const { return m_path; }
    std::int64_t bytes() const { return static_cast<std::int64_t>(m_length); }

private:
    DecodedCache() = default;
    struct Entry;
    // The public functions above with the images' content key already made (it stats every
    // image), for callers that look up the same images more than once.
    static std::shared_ptr<const DecodedCache> openKeyed(const std::filesystem::path &folder, std::uint64_t key,
                                                         std::size_t count, int side, std::string *problem);
    static std::vector<int> sidesKeyed(const std::filesystem::path &folder, std::uint64_t key);
    static std::shared_ptr<const DecodedCache> buildKeyed(const std::filesystem::path &folder,
                                                          const ImageList &images, std::uint64_t key,
                                                          int side, int workers, const ProgressSink &progress,
                                                          StopFlag stop);
    friend std::shared_ptr<const DecodedCache> decodedCacheForRun(DecodedCacheMode, const ImageList &,
                                                                  int, int, const ProgressSink &, StopFlag,
                                                                  std::string *);

    std::filesystem::path m_path;
    const unsigned char *m_data = nullptr;
    std::size_t m_length = 0;
    const Entry *m_entries = nullptr;
    std::size_t m_count = 0;
    int m_side = 0;
};

/// The cache a run of these images uses under `mode`, and a line saying which, or why none, in
/// *note. Auto: the cache at `side` when it exists, else the largest side there is (the
/// note says when that is below `side`), else none. Build: as Auto, but builds the cache at
/// `side` first when there is none at that side. Off: none.
std::shared_ptr<const DecodedCache> decodedCacheForRun(DecodedCacheMode mode, const ImageList &images,
                                                       int side, int workers, const ProgressSink &progress,
                                                       StopFlag stop, std::string *note);

} // namespace upstep::core
