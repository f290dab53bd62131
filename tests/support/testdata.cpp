#include "testdata.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace upstep::test {

namespace {

std::filesystem::path fromEnv(const char *name)
{
    const char *value = std::getenv(name);
    if (!value || !*value)
        throw std::runtime_error(std::string(name) + " is not set: run the tests through ctest");
    return value;
}

} // namespace

std::filesystem::path dataPath(const std::string &sub)
{
    const auto path = fromEnv("UPSTEP_DATA") / sub;
    if (!std::filesystem::exists(path))
        throw std::runtime_error(path.string() + " is missing: run scripts/fetch-data");
    return path;
}

std::filesystem::path referencePath(const std::string &name) { return fromEnv("UPSTEP_REFERENCE") / name; }

void writeBytes(const std::filesystem::path &file, const std::string &bytes)
{
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + file.string());
}

std::string readBytes(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace upstep::test
