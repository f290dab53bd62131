#pragma once
// JSON to text for every file and every line of output the program writes. nlohmann's dump()
// throws on strings that are not valid UTF-8, and such strings come from users: a class folder,
// an image or a weights path named in another encoding. Here they are written with U+FFFD in
// place of the invalid bytes, so the report is written instead of the work being lost.
//
// Threading: a pure function.

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace upstep::core {

/// Compact with indent < 0, else indented by that many spaces (no trailing newline).
std::string jsonText(const nlohmann::json &json, int indent = -1);

/// True when text is valid UTF-8, so that JSON stores it unchanged. Settings that must survive a
/// round trip through a JSON file (a run's paths in config.json) are checked with it.
bool isValidUtf8(const std::string &text);

} // namespace upstep::core
