#pragma once
// What a checkpoint must share with the run that resumes it: the base model, the adapter shape
// and the target set. Each part is a short readable string with a content hash, so a refusal
// can say what changed. Resuming anything else would silently train a different model.
//
// Threading: free functions.

#include "upstep/io/imagefolder.h"
#include "io/safetensors.h"
#include "upstep/run/trainconfig.h"

#include <filesystem>

namespace upstep::core {

struct RunFingerprint {
    std::string base;     ///< base weights: size and a hash of their first and last MiB
    std::string adapters; ///< rank, alpha, targets
    std::string target;   ///< image count and a hash of the relative paths and sizes
};

/// FNV-1a 64 over bytes, continuing from `hash`.
std::uint64_t fnv1a(const void *data, std::size_t size, std::uint64_t hash = 14695981039346656037ull);

/// "NAME (SIZE bytes, HASH)" of a weights file: its size and a hash of its first and last MiB.
/// Throws IoError when it cannot be read.
std::string fingerprintWeights(const std::filesystem::path &weights);

/// The metadata key under which adapter files record fingerprintWeights() of their base.
inline constexpr const char *kBaseFingerprintKey = "upstep.base";

RunFingerprint fingerprintRun(const TrainConfig &config, const std::filesystem::path &targetRoot,
                              const ImageList &targetImages);

void writeFingerprint(const RunFingerprint &fingerprint, Metadata &metadata);
RunFingerprint readFingerprint(const Metadata &metadata);

/// Throws InputError naming every part that differs.
void requireSameRun(const RunFingerprint &checkpoint, const RunFingerprint &now);

} // namespace upstep::core
