#pragma once
// An advisory lock on a run folder, so that two processes (two `upstep adapt`, or the workbench
// and a script) never write one run at the same time. It is an flock() on `run.lock` in the
// folder: the kernel releases it when the holder exits, however it exits (kill -9 included), so
// a crashed run never leaves a stale lock. The file itself stays; it holds the holder's PID for
// the message the next process shows.
//
// Threading: a lock is held by one object; create and destroy it on one thread.

#include <filesystem>

namespace upstep::core {

class RunFolderLock {
public:
    /// Creates the folder when needed and takes the lock. Throws InputError naming the folder
    /// and the holder's PID when another process holds it, IoError when it cannot be created.
    explicit RunFolderLock(const std::filesystem::path &folder);
    ~RunFolderLock();
    RunFolderLock(const RunFolderLock &) = delete;
    RunFolderLock &operator=(const RunFolderLock &) = delete;

    /// Releases the lock and, when this lock created the folder and nothing else was written
    /// there, removes the folder again: a refused run leaves nothing behind.
    void releaseAndRemoveIfUnused() noexcept;

    static constexpr const char *kFileName = "run.lock";

private:
    std::filesystem::path m_folder;
    int m_fd = -1;
    bool m_createdFolder = false;
};

/// Removes what an interrupted writer of this run folder left behind: temporary files of
/// atomic writes (".NAME.tmpNNN") in the folder and in its checkpoints/ folder. Call it only
/// while holding the folder's RunFolderLock, so no live writer's file is removed.
void removeStaleTemporaries(const std::filesystem::path &folder);

} // namespace upstep::core
