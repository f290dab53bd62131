#pragma once
// Where the tests find real data: the data sets fetched by scripts/fetch-data (UPSTEP_DATA) and
// the torchvision reference outputs (UPSTEP_REFERENCE), both set by CTest. A missing folder is a
// test failure with the command that fixes it, not a silent skip.

#include <filesystem>
#include <string>
#include <vector>

namespace upstep::test {

/// $UPSTEP_DATA/<sub>; throws std::runtime_error naming scripts/fetch-data when missing.
std::filesystem::path dataPath(const std::string &sub);

/// $UPSTEP_REFERENCE/<name>.
std::filesystem::path referencePath(const std::string &name);

/// Writes bytes to a file (creating folders).
void writeBytes(const std::filesystem::path &file, const std::string &bytes);
std::string readBytes(const std::filesystem::path &file);

} // namespace upstep::test
