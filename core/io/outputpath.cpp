#include "upstep/io/outputpath.h"

#include "upstep/common/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace upstep::core {

namespace fs = std::filesystem;

fs::path withoutTrailingSeparator(const fs::path &target)
{
    auto text = target.string();
    while (text.size() > 1 && text.back() == '/')
        text.pop_back();
    return text;
}

void makeParentFolder(const fs::path &target)
{
    const auto folder = withoutTrailingSeparator(target).parent_path();
    std::error_code ec;
    if (folder.empty() || fs::is_directory(folder, ec))
        return;
    fs::create_directories(folder, ec);
    if (ec)
        throw IoError(folder, "cannot create the output folder: " + ec.message());
}

std::string keptState(const fs::path &target)
{
    std::error_code ec;
    return fs::exists(target, ec) ? target.string() + " is unchanged" : "nothing was written under " + target.string();
}

IoError withKeptState(const IoError &error, const std::string &kept)
{
    std::string problem = error.what();
    const auto prefix = error.file().string() + ": ";
    if (problem.rfind(prefix, 0) == 0)
        problem.erase(0, prefix.size());
    return IoError(error.file(), problem + "; " + kept);
}

void checkOutputLocation(const fs::path &target)
{
    std::error_code ec;
    const auto absolute = fs::absolute(withoutTrailingSeparator(target), ec).lexically_normal();
    if (ec || absolute == absolute.root_path() || absolute.relative_path().empty())
        throw IoError(target, "refusing to write into the filesystem root; name a folder or file under it");
    // The nearest part of the path that exists must be a folder we can create files in: the
    // target itself when it is an existing folder written in place (a run folder on --resume).
    auto existing = fs::is_directory(absolute, ec) ? absolute : absolute.parent_path();
    while (!existing.empty() && !fs::exists(existing, ec) && existing != existing.root_path())
        existing = existing.parent_path();
    if (!fs::is_directory(existing, ec))
        throw IoError(target, existing.string() + " is a file, not a folder");
    auto probe = (existing / ".upstep-write-test-XXXXXX").string();
    const int fd = ::mkstemp(probe.data());
    if (fd < 0)
        throw IoError(target, "cannot create files in " + existing.string() + ": " + std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
}

void checkOutputFile(const fs::path &target)
{
    std::error_code ec;
    if (fs::is_directory(target, ec))
        throw IoError(target, "is a folder; name the file to write (inside it or elsewhere)");
    checkOutputLocation(target);
}

} // namespace upstep::core
