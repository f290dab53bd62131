#pragma once
// One CSV field as RFC 4180 wants it: quoted (with doubled quotes) only when it holds a comma, a
// quote or a line break. Shared by every CSV the CLI and core write (paths may contain commas).
//
// Threading: a pure function.

#include <string>

namespace upstep::core {

inline std::string csvField(const std::string &text)
{
    if (text.find_first_of(",\"\n\r") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (const char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

} // namespace upstep::core
