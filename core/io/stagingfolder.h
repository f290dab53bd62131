#pragma once
// Builds an output folder next to its final place and moves it there in one rename, so that a
// reader never sees half of an export or a projector folder, and a failure (a full disk, a kill)
// leaves the previous folder as it was. The staging folder is "NAME.partial-PID"; one that a
// killed process left behind is removed by the next writer of the same target.
//
// Threading: one object is used by one thread.

#include <filesystem>

namespace upstep::core {

class StagingFolder {
public:
    /// Creates target's staging folder (and removes stale ones). Throws IoError on failure.
    explicit StagingFolder(const std::filesystem::path &target);
    ~StagingFolder(); ///< removes the staging folder unless it was published
    StagingFolder(const StagingFolder &) = delete;
    StagingFolder &operator=(const StagingFolder &) = delete;

    const std::filesystem::path &path() const { return m_path; }

    /// Renames the staging folder to the target. An existing target is refused with InputError
    /// unless overwrite is set; then it is moved aside first and removed after the rename.
    void publish(bool overwrite);

private:
    std::filesystem::path m_target;
    std::filesystem::path m_path;
    bool m_published = false;
};

} // namespace upstep::core
