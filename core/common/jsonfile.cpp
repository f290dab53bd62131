#include "common/jsonfile.h"

#include "upstep/common/error.h"

#include <fstream>

namespace upstep::core {

std::optional<nlohmann::json> readJsonIfPresent(const std::filesystem::path &file)
{
    std::ifstream in(file);
    if (!in)
        return std::nullopt;
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(file, std::string("not valid JSON: ") + e.what());
    }
}

} // namespace upstep::core
