#pragma once
// Typed errors thrown by core. Every message names the file (when there is one) and says what
// was expected, so a user can act on it. The UI catches these at the thread boundary; the CLI
// prints them on stderr and exits non-zero. Each error carries its kind, so a front end decides
// what to show by kind(), never by comparing message text.

#include <filesystem>
#include <stdexcept>
#include <string>

namespace upstep::core {

/// What went wrong, for front ends that react differently (say nothing on Cancelled, offer a
/// smaller batch on OutOfMemory).
enum class ErrorKind {
    Internal,    ///< a bug or an unexpected library failure
    Input,       ///< InputError
    Format,      ///< FormatError
    Io,          ///< IoError
    Cancelled,   ///< Cancelled
    Diverged,    ///< training stopped being finite
    OutOfMemory, ///< host or device memory ran out (never thrown by core; front ends map std::bad_alloc)
};

/// Base of every error core throws on purpose.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string &message, ErrorKind kind = ErrorKind::Internal)
        : std::runtime_error(message), m_kind(kind) {}
    ErrorKind kind() const { return m_kind; }

private:
    ErrorKind m_kind;
};

/// A file exists but its content is not what the format requires (safetensors, IDX, weights).
class FormatError : public Error {
public:
    FormatError(const std::filesystem::path &file, const std::string &problem)
        : Error(file.string() + ": " + problem, ErrorKind::Format), m_file(file), m_problem(problem) {}
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
        : Error(file.string() + ": " + problem, ErrorKind::Io), m_file(file) {}
    const std::filesystem::path &file() const { return m_file; }

private:
    std::filesystem::path m_file;
};

/// A user-supplied value (option, architecture name, folder) cannot be used.
class InputError : public Error {
public:
    explicit InputError(const std::string &message) : Error(message, ErrorKind::Input) {}
};

/// Long work was asked to stop through its stop flag.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled", ErrorKind::Cancelled) {}
};

} // namespace upstep::core
