#pragma once
// The named architectures --arch accepts (timm's and torchvision's model names), each with the
// preprocessing its published weights expect. archspec.cpp parses and names specs against them.
// Torch-free.

#include "upstep/models/archspec.h"

#include <map>
#include <string>

namespace upstep::core {

/// Every preset by name; built once, read-only afterwards (safe from any thread).
const std::map<std::string, ArchSpec> &archPresets();

} // namespace upstep::core
