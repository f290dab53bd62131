#pragma once
// Whether a run folder is being written right now: another process (an `upstep adapt`, a sweep,
// another workbench) holds its run lock. Lets a run list say "in use" instead of offering to
// resume a run that is training elsewhere, which the lock would refuse anyway.
//
// Threading: a free function; any thread.

#include <filesystem>

namespace upstep::core {

/// True when a process holds the folder's run.lock (this process's own lock counts too). Tests
/// with a brief shared lock, which a writer starting in that instant waits out (RunFolderLock).
/// A folder without run.lock was never locked: false.
bool runFolderInUse(const std::filesystem::path &folder);

} // namespace upstep::core
