#include "upstep/common/jsontext.h"

#include <nlohmann/json.hpp>

namespace upstep::core {

std::string jsonText(const nlohmann::json &json, int indent)
{
    return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace upstep::core
