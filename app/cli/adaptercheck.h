#pragma once
// What the commands that apply an adapter to base weights (eval, embed, export) say before they
// start when the adapter records another base than the one given.

#include <string>

namespace upstep::cli {

/// Prints "warning: ..." to stderr when core::baseWeightsMismatch finds one.
void warnOnBaseMismatch(const std::string &adapter, const std::string &weights);

} // namespace upstep::cli
