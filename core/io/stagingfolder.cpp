#include "io/stagingfolder.h"

#include "upstep/common/error.h"
#include "upstep/io/outputpath.h"

#include <cerrno>
#include <csignal>
#include <string>
#include <unistd.h>

namespace upstep::core {

namespace fs = std::filesystem;

namespace {

fs::path sibling(const fs::path &target, const char *tag, pid_t pid)
{
    return target.parent_path() / (target.filename().string() + tag + std::to_string(pid));
}

// Removes NAME.partial-PID and NAME.old-PID siblings whose process no longer runs. An .old-PID
// folder while NAME itself is missing is the previous output of a writer killed between moving
// it aside and putting the new one in place: it is moved back instead.
void removeStaleSiblings(const fs::path &target)
{
    const auto name = target.filename().string();
    std::error_code ec;
    const auto folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    for (const auto &entry : fs::directory_iterator(folder, ec)) {
        const auto found = entry.path().filename().string();
        for (const std::string tag : {".partial-", ".old-"}) {
            const auto prefix = name + tag;
            if (found.size() <= prefix.size() || found.compare(0, prefix.size(), prefix) != 0)
                continue;
            const auto pidText = found.substr(prefix.size());
            if (pidText.size() > 9 || pidText.find_first_not_of("0123456789") != std::string::npos)
                continue;
            const auto pid = static_cast<pid_t>(std::stol(pidText));
            if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
                continue;
            if (tag == ".old-" && !fs::exists(target, ec))
                fs::rename(entry.path(), target, ec);
            else
                fs::remove_all(entry.path(), ec);
        }
    }
}

} // namespace

StagingFolder::StagingFolder(const fs::path &target)
    : m_target(withoutTrailingSeparator(target)), m_path(sibling(m_target, ".partial-", ::getpid()))
{
    removeStaleSiblings(m_target);
    std::error_code ec;
    fs::remove_all(m_path, ec);
    fs::create_directories(m_path, ec);
    if (ec)
        throw IoError(m_path, "cannot create the output folder: " + ec.message());
}

StagingFolder::~StagingFolder()
{
    std::error_code ec;
    if (!m_published)
        fs::remove_all(m_path, ec);
}

void StagingFolder::publish(bool overwrite)
{
    std::error_code ec;
    fs::path old;
    if (fs::exists(m_target, ec)) {
        if (!overwrite)
            throw InputError(m_target.string() + " already exists; choose another folder or allow overwriting");
        old = sibling(m_target, ".old-", ::getpid());
        fs::rename(m_target, old, ec);
        if (ec)
            throw IoError(m_target, "cannot move the existing folder aside: " + ec.message());
    }
    fs::rename(m_path, m_target, ec);
    if (ec) {
        const auto why = ec.message();
        if (!old.empty())
            fs::rename(old, m_target, ec);
        throw IoError(m_target, "cannot move the new folder into place: " + why);
    }
    m_published = true;
    if (!old.empty())
        fs::remove_all(old, ec);
}

} // namespace upstep::core
