#include "run/runlock.h"
#include "upstep/run/runfolderuse.h"

#include "upstep/common/error.h"
#include "upstep/run/runpaths.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <thread>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace upstep::core {

namespace fs = std::filesystem;

namespace {

std::string readHolder(int fd)
{
    char text[32] = {};
    const auto n = ::pread(fd, text, sizeof text - 1, 0);
    std::string pid(text, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
        pid.pop_back();
    return pid;
}

// The name AtomicFileWriter gives its temporary files: "." + target name + ".tmp" + digits.
bool isAtomicTemporary(const fs::path &file)
{
    const auto name = file.filename().string();
    const auto at = name.rfind(".tmp");
    if (name.empty() || name.front() != '.' || at == std::string::npos || at + 4 == name.size())
        return false;
    return name.find_first_not_of("0123456789", at + 4) == std::string::npos;
}

// An exclusive lock, waiting up to about 200 ms: a probe (runFolderInUse, in a window listing
// its runs) holds a shared lock for a moment, which must not refuse a run that starts then. A
// run that holds the lock keeps it for minutes, so the wait does not hide a real conflict.
bool lockExclusively(int fd)
{
    constexpr int kAttempts = 20;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
            return true;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

} // namespace

RunFolderLock::RunFolderLock(const fs::path &folder) : m_folder(folder)
{
    std::error_code ec;
    if (!fs::exists(m_folder, ec)) {
        m_createdFolder = fs::create_directories(m_folder, ec);
        if (ec)
            throw IoError(m_folder, "cannot create the run folder: " + ec.message());
    } else if (!fs::is_directory(m_folder, ec)) {
        throw IoError(m_folder, "exists and is not a folder");
    }
    const auto file = m_folder / kFileName;
    // A refused run removes the lock file it created (releaseAndRemoveIfUnused); a lock taken on
    // that unlinked file would guard nothing, so the lock must be on the file now at the path.
    for (int attempt = 0; m_fd < 0 && attempt < 8; ++attempt) {
        m_fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (m_fd < 0) {
            const std::string why = std::strerror(errno);
            releaseAndRemoveIfUnused();
            throw IoError(file, "cannot create the run folder's lock file: " + why);
        }
        if (!lockExclusively(m_fd)) {
            const auto holder = readHolder(m_fd);
            ::close(m_fd);
            m_fd = -1;
            throw InputError("the run folder " + m_folder.string() + " is in use by another process" +
                             (holder.empty() ? std::string() : " (PID " + holder + ")") +
                             "; wait for it to finish or stop it, or choose another run folder");
        }
        struct stat held {
        }, named{};
        if (::fstat(m_fd, &held) != 0 || ::stat(file.c_str(), &named) != 0 || held.st_ino != named.st_ino ||
            held.st_dev != named.st_dev) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    if (m_fd < 0)
        throw IoError(file, "the lock file keeps being replaced; is another program removing it?");
    const auto pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_fd, 0) != 0 || ::pwrite(m_fd, pid.data(), pid.size(), 0) < 0) {
        // The PID is only for messages; the lock itself is held.
    }
}

RunFolderLock::~RunFolderLock()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void RunFolderLock::releaseAndRemoveIfUnused() noexcept
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_createdFolder)
        return;
    std::error_code ec;
    fs::remove(m_folder / kFileName, ec);
    fs::remove(m_folder, ec); // only succeeds when the folder is empty
}

void removeStaleTemporaries(const fs::path &folder)
{
    const RunPaths paths(folder);
    for (const auto &dir : {paths.root, paths.checkpoints()}) {
        std::error_code ec;
        for (const auto &entry : fs::directory_iterator(dir, ec))
            if (entry.is_regular_file(ec) && isAtomicTemporary(entry.path()))
                fs::remove(entry.path(), ec);
    }
}

bool runFolderInUse(const std::filesystem::path &folder)
{
    const auto file = folder / RunFolderLock::kFileName;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd); // releases the shared lock, if it was taken
    return held;
}

} // namespace upstep::core
