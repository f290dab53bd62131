#include "upstep/io/imagefolder.h"

#include "upstep/common/error.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace upstep::core {

namespace fs = std::filesystem;

const std::vector<std::string> &imageExtensions()
{
    static const std::vector<std::string> kExtensions{".jpg", ".jpeg", ".png", ".bmp", ".webp",
                                                      ".tif", ".tiff", ".pgm", ".ppm"};
    return kExtensions;
}

bool hasImageExtension(const fs::path &path)
{
    auto ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto &all = imageExtensions();
    return std::find(all.begin(), all.end(), ext) != all.end();
}

namespace {

// Why a file not named like an image is skipped. (Files named like images are checked after the
// listing, by whyNotImageFile or whyNotReadableFile.)
std::string whyNotListed(const fs::directory_entry &entry)
{
    std::error_code ec;
    if (!entry.exists(ec))
        return "broken link or vanished file";
    if (!entry.is_regular_file(ec))
        return "not a regular file";
    return "not an image file type";
}

// The reason for a failed open or stat of a file, from errno.
std::string whyNotOpened(const char *action)
{
    if (errno == ENOENT || errno == ELOOP)
        return "broken link or vanished file";
    if (errno == EACCES)
        return "permission denied";
    return std::string(action) + ": " + std::strerror(errno);
}

// Empty when the first bytes are those of an image format OpenCV decodes here.
std::string whyNotImageSignature(const unsigned char *head, std::size_t got)
{
    const auto starts = [&](std::initializer_list<unsigned char> magic, std::size_t at = 0) {
        return got >= at + magic.size() && std::equal(magic.begin(), magic.end(), head + at);
    };
    if (starts({0x89, 'P', 'N', 'G'}) || starts({0xFF, 0xD8, 0xFF}) || starts({'B', 'M'}) ||
        starts({'I', 'I', 0x2A, 0x00}) || starts({'M', 'M', 0x00, 0x2A}) ||
        (starts({'R', 'I', 'F', 'F'}) && starts({'W', 'E', 'B', 'P'}, 8)) ||
        (got >= 2 && head[0] == 'P' && head[1] >= '1' && head[1] <= '6'))
        return {};
    return got < 4 ? "too short to be an image" : "content is not a known image format (corrupt or misnamed)";
}

// Why a file named like an image cannot be used, with its signature checked: one open, one fstat
// and one 12-byte read, a third of the system calls of a stat-based check and a stream read, which is most of a scan's
// time at a million files. The reasons are the same. O_NONBLOCK: a FIFO named like an image must
// not block the scan (it is refused as "not a regular file").
std::string whyNotImageFile(const std::string &file)
{
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return whyNotOpened("cannot open");
    struct ::stat info {};
    std::string why;
    std::array<unsigned char, 12> head{};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        why = "not a regular file";
    } else if (info.st_size == 0) {
        why = "empty file";
    } else {
        const auto got = ::read(fd, head.data(), head.size());
        why = got < 0 ? std::string("cannot read: ") + std::strerror(errno)
                      : whyNotImageSignature(head.data(), static_cast<std::size_t>(got));
    }
    ::close(fd);
    return why;
}

// Why a file named like an image cannot be used, without reading it: one stat and one access
// check (directory_entry's own checks make three or four calls).
std::string whyNotReadableFile(const std::string &file)
{
    struct ::stat info {};
    if (::stat(file.c_str(), &info) != 0)
        return whyNotOpened("cannot read");
    if (!S_ISREG(info.st_mode))
        return "not a regular file";
    if (info.st_size == 0)
        return "empty file";
    if (::access(file.c_str(), R_OK) != 0)
        return "permission denied";
    return {};
}

/// Runs check(i) for i in [0, count) on a few threads plus the caller's, which alone reports
/// progress and sees stop. The checks are system calls that wait on the file system as much as
/// they compute, so more threads than cores still help on slow (network) file systems.
void checkInParallel(std::size_t count, const std::function<void(std::size_t)> &check, const ProgressSink &progress,
                     StopFlag stop)
{
    constexpr std::size_t kChunk = 256;
    std::atomic<std::size_t> next{0}, done{0};
    std::atomic<bool> abandon{false};
    const auto work = [&](bool reporting) {
        for (std::size_t begin; !abandon && (begin = next.fetch_add(kChunk)) < count;) {
            const auto end = std::min(count, begin + kChunk);
            for (auto i = begin; i < end; ++i)
                check(i);
            const auto finished = done += end - begin;
            if (reporting) {
                if (stopRequested(stop))
                    abandon = true;
                else if (progress)
                    progress(
                        {"checking", static_cast<std::int64_t>(finished), static_cast<std::int64_t>(count), "files"});
            }
        }
    };
    const auto helpers = std::clamp<unsigned>(std::thread::hardware_concurrency(), 2, 8) - 1;
    {
        std::vector<std::jthread> threads;
        for (unsigned t = 0; t < helpers && count > kChunk; ++t)
            threads.emplace_back(work, false);
        work(true);
    }
    if (abandon)
        throw Cancelled();
    if (progress) // the helpers may have finished the last chunks after the caller's last report
        progress({"checking", static_cast<std::int64_t>(count), static_cast<std::int64_t>(count), "files"});
}

struct FolderStat {
    std::pair<dev_t, ino_t> identity; ///< names the folder uniquely, after following links
    std::int64_t modifiedNs = 0;
};

// nullopt when the folder cannot be read (the listing then reports it).
std::optional<FolderStat> statFolder(const fs::path &folder)
{
    struct stat st {};
    if (::stat(folder.c_str(), &st) != 0)
        return std::nullopt;
    return FolderStat{{st.st_dev, st.st_ino},
                      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

bool hasClassSubfolders(const fs::path &root)
{
    std::error_code ec;
    bool folders = false;
    for (const auto &entry : fs::directory_iterator(root, fs::directory_options::skip_permission_denied, ec)) {
        if (entry.path().filename().string().front() == '.')
            continue;
        if (entry.is_directory(ec))
            folders = true;
        else if (hasImageExtension(entry.path()))
            return false;
    }
    return folders;
}

bool hasAnySubfolder(const fs::path &root)
{
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(root, fs::directory_options::skip_permission_denied, ec))
        if (entry.is_directory(ec) && !entry.path().filename().string().starts_with('.'))
            return true;
    return false;
}

ImageFolder scanImageFolder(const fs::path &root, const ScanOptions &options, const ProgressSink &progress,
                            StopFlag stop)
{
    std::error_code ec;
    if (!fs::exists(root, ec))
        throw IoError(root, "folder does not exist");
    if (!fs::is_directory(root, ec))
        throw IoError(root, "is not a folder");

    ImageFolder result;
    result.root = root;
    result.options = options;
    result.scannedAtNs = nowNs();
    // Each folder's time is read before it is listed, so a change made while listing shows later.
    std::set<std::pair<dev_t, ino_t>> visited;
    if (const auto folder = statFolder(root)) {
        visited.insert(folder->identity);
        result.listed.push_back({root, folder->modifiedNs});
    }
    std::map<std::string, int> classIndex;
    if (options.withLabels) {
        for (const auto &entry : fs::directory_iterator(root, fs::directory_options::skip_permission_denied, ec))
            if (entry.is_directory(ec) && entry.path().filename().string().front() != '.')
                classIndex.emplace(entry.path().filename().string(), 0);
        int i = 0;
        for (auto &[name, index] : classIndex) {
            index = i++;
            result.classNames.push_back(name);
        }
    }

    const auto opts = fs::directory_options::skip_permission_denied | fs::directory_options::follow_directory_symlink;
    fs::recursive_directory_iterator it(root, opts, ec);
    if (ec)
        throw IoError(root, "cannot list: " + ec.message());
    std::int64_t seen = 0;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
            throw IoError(root, "cannot list: " + ec.message());
        if (stopRequested(stop))
            throw Cancelled();
        const auto &entry = *it;
        const auto name = entry.path().filename().string();
        if (!name.empty() && name.front() == '.') { // hidden files and folders
            if (entry.is_directory(ec))
                it.disable_recursion_pending();
            continue;
        }
        if (entry.is_directory(ec)) {
            // Following links can reach a folder twice (a link to a parent, or two links to
            // one folder): each folder is listed once, so no image is counted twice.
            const auto folder = statFolder(entry.path());
            if (folder && !visited.insert(folder->identity).second) {
                it.disable_recursion_pending();
                result.skipped.push_back({entry.path(), "folder already scanned (a link back into the tree)"});
            } else if (folder) {
                result.listed.push_back({entry.path(), folder->modifiedNs});
            }
            continue;
        }
        ++seen;
        if (progress && seen % 1024 == 0)
            progress({"scanning", seen, 0, "files"});

        // Files named like images are checked after the listing, in parallel; the rest are skipped.
        if (!hasImageExtension(entry.path())) {
            result.skipped.push_back({entry.path(), whyNotListed(entry)});
            continue;
        }
        int label = -1;
        if (options.withLabels) {
            const auto relative = entry.path().lexically_relative(root);
            const auto top = relative.begin()->string();
            const auto found = classIndex.find(top);
            if (std::distance(relative.begin(), relative.end()) < 2 || found == classIndex.end()) {
                result.skipped.push_back({entry.path(), "not inside a class folder"});
                continue;
            }
            label = found->second;
        }
        result.images.append(entry.path().native(), label);
    }
    {
        const auto whyNot = options.checkSignatures ? whyNotImageFile : whyNotReadableFile;
        std::vector<std::string> why(result.images.size());
        checkInParallel(
            result.images.size(), [&](std::size_t i) { why[i] = whyNot(result.images.pathString(i)); }, progress,
            stop);
        result.images.removeWhere([&](std::size_t i) {
            if (why[i].empty())
                return false;
            result.skipped.push_back({result.images.path(i), std::move(why[i])});
            return true;
        });
    }
    result.images.sortByPath();
    result.images.shrinkToFit();
    std::sort(result.skipped.begin(), result.skipped.end(),
              [](const auto &a, const auto &b) { return a.path < b.path; });
    if (progress)
        progress({"scanning", seen, seen, "files"});
    if (result.images.empty())
        throw InputError(root.string() +
                         ": no readable image files found (looked for .jpg .jpeg .png .bmp "
                         ".webp .tif .tiff .pgm .ppm" +
                         std::string(options.withLabels ? " inside class sub-folders" : "") + ", " +
                         std::to_string(result.skipped.size()) + " other files skipped" +
                         (result.skipped.empty() ? std::string()
                                                 : ", such as " + result.skipped.front().path.filename().string() +
                                                       ": " + result.skipped.front().reason) +
                         ")");
    return result;
}

bool isScanCurrent(const ImageFolder &scan)
{
    constexpr std::int64_t kClockTickNs = 2'000'000'000; // FAT's clock ticks in 2 s
    if (scan.listed.empty())
        return false;
    return std::all_of(scan.listed.begin(), scan.listed.end(), [&](const ListedFolder &listed) {
        const auto now = statFolder(listed.folder);
        return now && now->modifiedNs == listed.modifiedNs && listed.modifiedNs < scan.scannedAtNs - kClockTickNs;
    });
}

} // namespace upstep::core
