#include "upstep/common/units.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace upstep::core {

std::string gigabytesNumber(double bytes, int decimals)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, bytes / 1e9);
    return text;
}

std::string gigabytes(double bytes, int decimals) { return gigabytesNumber(bytes, decimals) + " GB"; }

std::string roughDuration(double seconds)
{
    const auto whole = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
    char text[64];
    const long long minutes = (whole + 30) / 60, hours = minutes / 60;
    if (whole < 60)
        std::snprintf(text, sizeof text, "%lld s", std::max(whole, 1LL));
    else if (minutes < 60)
        std::snprintf(text, sizeof text, "%lld min", minutes);
    else if (hours < 48 && minutes % 60)
        std::snprintf(text, sizeof text, "%lld h %lld min", hours, minutes % 60);
    else if (hours < 48)
        std::snprintf(text, sizeof text, "%lld h", hours);
    else if (hours % 24)
        std::snprintf(text, sizeof text, "%lld days %lld h", hours / 24, hours % 24);
    else
        std::snprintf(text, sizeof text, "%lld days", hours / 24);
    return text;
}

} // namespace upstep::core
