#include "adaptercheck.h"

#include "run/runsnapshot.h"

#include <iostream>

namespace upstep::cli {

void warnOnBaseMismatch(const std::string &adapter, const std::string &weights)
{
    if (const auto mismatch = core::baseWeightsMismatch(adapter, weights); !mismatch.empty())
        std::cerr << "warning: " << mismatch << "\n";
}

} // namespace upstep::cli
