#pragma once
// Typed errors thrown by core. Every message names the file (when there is one) and says what
// was expected, so a user can act on it. The UI catches these at the thread boundary; the CLI
// prints them on stderr and exits non-zero.

#include <filesystem>
#include <stdexcept>
#include <string>

namespace upstep::core {

/// Base of every error core throws on purpose.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A file exists but its content is not what the format requires (safetensors, IDX, weights).
class FormatError : public Error {
public:
    FormatError(const std::filesystem::path &file, const std::string &problem)
        : Error(file.string() + ": " + problem), m_file(file), m_problem(problem) {}
    const std::filesystem::path &file() const { return m_file; }
    const std::string &problem() const { return m_problem; }

private:
    std::filesystem::path m_file;
    std::string m_problem;
};

/// Reading or writing failed at the operating-system level (missing, permissions, disk full).
class IoError : public Error {
public:
    IoError(const std::filesystem::path &file, const std::string &problem)
        : Error(file.string() + ": " + problem), m_file(file) {}
    const std::filesystem::path &file() const { return m_file; }

private:
    std::filesystem::path m_file;
};

/// A user-supplied value (option, architecture name, folder) cannot be used.
class InputError : public Error {
public:
    using Error::Error;
};

/// Long work was asked to stop through its stop flag.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

} // namespace upstep::core
