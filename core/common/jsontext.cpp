#include "upstep/common/jsontext.h"

#include <nlohmann/json.hpp>

namespace upstep::core {

std::string jsonText(const nlohmann::json &json, int indent)
{
    return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool isValidUtf8(const std::string &text)
{
    try {
        (void)nlohmann::json(text).dump(); // the strict handler throws type_error 316
        return true;
    } catch (const nlohmann::json::type_error &) {
        return false;
    }
}

} // namespace upstep::core
