#include "upstep/io/atomicfile.h"

#include "upstep/common/error.h"
#include "upstep/common/jsontext.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <unistd.h>

namespace upstep::core {

namespace {
std::string osError() { return std::strerror(errno); }
} // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target) : m_target(std::move(target))
{
    auto folder = m_target.parent_path();
    if (folder.empty())
        folder = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        throw IoError(m_target, "the folder " + folder.string() + " does not exist");
    std::random_device rd;
    for (int attempt = 0; attempt < 16 && !m_file; ++attempt) {
        // Appended piece by piece: GCC 12 mis-warns (-Wstringop-overflow) on "." + std::string.
        std::string name = ".";
        name.append(m_target.filename().string()).append(".tmp").append(std::to_string(rd() % 1000000));
        m_temp = folder / name;
        m_file = std::fopen(m_temp.c_str(), "wbx");
    }
    if (!m_file)
        throw IoError(m_target, "cannot create a temporary file in " + folder.string() + ": " + osError());
}

AtomicFileWriter::~AtomicFileWriter() { discard(); }

void AtomicFileWriter::discard() noexcept
{
    if (m_file) {
        std::fclose(m_file);
        m_file = nullptr;
        std::error_code ec;
        std::filesystem::remove(m_temp, ec);
    }
}

void AtomicFileWriter::write(const void *data, std::size_t size)
{
    if (!m_file)
        throw IoError(m_target, "write after commit");
    if (size && std::fwrite(data, 1, size, m_file) != size) {
        const auto why = osError();
        discard();
        throw IoError(m_target, "write failed: " + why);
    }
}

void AtomicFileWriter::sync()
{
    if (!m_file)
        throw IoError(m_target, "sync after commit");
    if (std::fflush(m_file) != 0 || ::fsync(::fileno(m_file)) != 0) {
        const auto why = osError();
        discard();
        throw IoError(m_target, "write failed: " + why);
    }
    m_synced = true;
}

void AtomicFileWriter::commit()
{
    if (!m_file)
        throw IoError(m_target, "commit called twice");
    if (!m_synced)
        sync();
    if (std::fclose(m_file) != 0) {
        m_file = nullptr;
        const auto why = osError();
        std::error_code ec;
        std::filesystem::remove(m_temp, ec);
        throw IoError(m_target, "write failed: " + why);
    }
    m_file = nullptr;
    std::error_code ec;
    std::filesystem::rename(m_temp, m_target, ec);
    if (ec) {
        std::filesystem::remove(m_temp, ec);
        throw IoError(m_target, "cannot move the finished file into place: " + ec.message());
    }
}

void writeFileAtomically(const std::filesystem::path &target, std::string_view content)
{
    AtomicFileWriter writer(target);
    writer.write(content);
    writer.commit();
}

void writeJsonAtomically(const std::filesystem::path &target, const nlohmann::json &json)
{
    writeFileAtomically(target, jsonText(json, 2) + "\n");
}

} // namespace upstep::core
