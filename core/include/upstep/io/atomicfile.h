#pragma once
// Writes a file so that readers see either the old content or the complete new one, never a
// partial file: the data goes to a temporary file next to the target, is flushed to disk, and is
// renamed over the target on commit(). A writer destroyed before commit() removes its temporary
// file, so an exception or a full disk leaves nothing behind.
//
// Threading: one writer is used by one thread.

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string_view>

namespace upstep::core {

class AtomicFileWriter {
public:
    /// Opens a temporary file in the target's folder. Throws IoError when that is not possible.
    explicit AtomicFileWriter(std::filesystem::path target);
    ~AtomicFileWriter();
    AtomicFileWriter(const AtomicFileWriter &) = delete;
    AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;

    /// Appends bytes. Throws IoError on a short write (for example a full disk).
    void write(const void *data, std::size_t size);
    void write(std::string_view text) { write(text.data(), text.size()); }

    /// Flushes and syncs the temporary file without moving it into place. After it, commit() only
    /// renames, which does not fail for want of space: two files made ready this way can then be
    /// put in place together. Throws IoError (and removes the temporary file) on failure.
    void sync();

    /// Syncs (unless sync() was called) and renames the temporary file over the target. Throws
    /// IoError on failure.
    void commit();

    const std::filesystem::path &target() const { return m_target; }

private:
    void discard() noexcept;

    std::filesystem::path m_target;
    std::filesystem::path m_temp;
    std::FILE *m_file = nullptr;
    bool m_synced = false;
};

/// Writes a whole text file atomically.
void writeFileAtomically(const std::filesystem::path &target, std::string_view content);

/// Writes json, indented by two and ending in a newline, atomically: how every JSON file of a run
/// folder and an export is written.
void writeJsonAtomically(const std::filesystem::path &target, const nlohmann::json &json);

} // namespace upstep::core
