#pragma once
// Shared by the libFuzzer harnesses (docs/ROBUSTNESS.md "Fuzzing").
//
// expectTypedErrors(): runs one input through a reader. The project's typed errors
// (upstep::core::Error and its subclasses, except the Internal kind, which means a bug) are the
// expected answer to a bad file; any other exception is a finding and aborts, so libFuzzer
// saves the input as a crash. Crashes and sanitizer reports abort on their own.
//
// With UPSTEP_FUZZ_VERBOSE=1 set, each input's outcome is printed (the typed error's message, or
// what the harness adds): for reading a saved input back, not for fuzzing.
//
// MemoryFile: readers that take a path read the input from an in-memory file (memfd), named
// /proc/self/fd/N, rewritten for each input: no disk traffic, nothing left behind.

#include "upstep/common/error.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace upstep::fuzz {

[[noreturn]] inline void finding(const char *what, const char *detail)
{
    std::fprintf(stderr, "FUZZ FINDING: %s: %s\n", what, detail);
    std::abort();
}

inline bool verbose()
{
    static const bool on = [] {
        const char *v = std::getenv("UPSTEP_FUZZ_VERBOSE");
        return v && *v && *v != '0';
    }();
    return on;
}

template <typename Body>
void expectTypedErrors(Body &&body)
{
    try {
        body();
        if (verbose())
            std::fprintf(stderr, "accepted\n");
    } catch (const upstep::core::Error &e) {
        if (e.kind() == upstep::core::ErrorKind::Internal)
            finding("internal error", e.what());
        if (verbose())
            std::fprintf(stderr, "refused: %s\n", e.what());
    } catch (const std::exception &e) {
        finding("untyped exception", e.what());
    } catch (...) {
        finding("unknown exception", "not derived from std::exception");
    }
}

class MemoryFile {
public:
    explicit MemoryFile(const char *name)
    {
        m_fd = memfd_create(name, 0);
        if (m_fd < 0) {
            std::perror("memfd_create");
            std::abort();
        }
        m_path = "/proc/self/fd/" + std::to_string(m_fd);
    }
    ~MemoryFile() { close(m_fd); }
    MemoryFile(const MemoryFile &) = delete;
    MemoryFile &operator=(const MemoryFile &) = delete;

    /// Replaces the content with these bytes; returns the path to open.
    const std::string &write(const std::uint8_t *data, std::size_t size)
    {
        if (ftruncate(m_fd, 0) != 0) {
            std::perror("ftruncate");
            std::abort();
        }
        for (std::size_t done = 0; done < size;) {
            const auto n = pwrite(m_fd, data + done, size - done, static_cast<off_t>(done));
            if (n <= 0) {
                std::perror("pwrite");
                std::abort();
            }
            done += static_cast<std::size_t>(n);
        }
        return m_path;
    }

private:
    int m_fd = -1;
    std::string m_path;
};

} // namespace upstep::fuzz
