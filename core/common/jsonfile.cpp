#include "common/jsonfile.h"

#include "upstep/common/error.h"

#include <fstream>

namespace upstep::core {

std::optional<nlohmann::json> readJsonIfPresent(const std::filesystem::path &file)
{
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return std::nullopt;
    if (!std::filesystem::is_regular_file(file, ec))
        throw FormatError(file, "is not a file");
    std::ifstream in(file);
    if (!in)
        return std::nullopt;
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception &e) {
        // nlohmann's "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        const std::string what = e.what();
        const auto at = what.find("] ");
        throw FormatError(file, "not valid JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
    } catch (const std::exception &e) {
        throw FormatError(file, std::string("cannot be read: ") + e.what());
    }
}

} // namespace upstep::core
