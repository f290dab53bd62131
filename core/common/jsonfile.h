#pragma once
// Small JSON files next to other data (a run folder's records, a model folder's config.json).
//
// Threading: a pure function.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

namespace upstep::core {

/// The parsed file, or nullopt when it does not exist or cannot be opened; throws FormatError
/// naming the file when it is not valid JSON.
std::optional<nlohmann::json> readJsonIfPresent(const std::filesystem::path &file);

} // namespace upstep::core
