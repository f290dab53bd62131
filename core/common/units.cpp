#include "upstep/common/units.h"

#include <cstdio>

namespace upstep::core {

std::string gigabytesNumber(double bytes, int decimals)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, bytes / 1e9);
    return text;
}

std::string gigabytes(double bytes, int decimals) { return gigabytesNumber(bytes, decimals) + " GB"; }

} // namespace upstep::core
