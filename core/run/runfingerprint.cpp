#include "run/runfingerprint.h"

#include "io/weightsfile.h"

#include "upstep/common/error.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace upstep::core {

namespace {

std::string hex(std::uint64_t value)
{
    std::ostringstream out;
    out << std::hex << value;
    return out.str();
}

std::uint64_t hashFileEnds(const std::filesystem::path &file, std::uintmax_t size)
{
    constexpr std::uintmax_t kChunk = 1 << 20;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw IoError(file, "cannot read the base weights");
    std::string buffer(static_cast<std::size_t>(std::min(size, kChunk)), '\0');
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto hash = fnv1a(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (size > kChunk) {
        in.clear();
        in.seekg(static_cast<std::streamoff>(size - kChunk));
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        hash = fnv1a(buffer.data(), static_cast<std::size_t>(in.gcount()), hash);
    }
    return hash;
}

} // namespace

std::uint64_t fnv1a(const void *data, std::size_t size, std::uint64_t hash)
{
    const auto *bytes = static_cast<const unsigned char *>(data);
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= bytes[i];
        hash *= 1099511628211ull;
    }
    return hash;
}

std::string fingerprintWeights(const std::filesystem::path &path)
{
    const auto weights = resolveWeightsFile(path); // a model folder: its weights file
    std::error_code ec;
    const auto size = std::filesystem::file_size(weights, ec);
    if (ec)
        throw IoError(weights, "cannot read the base weights: " + ec.message());
    return weights.filename().string() + " (" + std::to_string(size) + " bytes, " + hex(hashFileEnds(weights, size)) +
           ")";
}

RunFingerprint fingerprintRun(const TrainConfig &config, const std::filesystem::path &targetRoot,
                              const ImageList &targetImages)
{
    RunFingerprint fingerprint;
    std::error_code ec;
    fingerprint.base = fingerprintWeights(config.weights);

    std::ostringstream adapters;
    adapters << "rank " << config.loraRank << ", alpha " << config.loraAlpha << ", targets ";
    if (config.loraTargets.empty())
        adapters << "default";
    for (std::size_t i = 0; i < config.loraTargets.size(); ++i)
        adapters << (i ? "," : "") << config.loraTargets[i];
    fingerprint.adapters = adapters.str();

    // Lexical: the scan builds every path from the root, and std::filesystem::relative would
    // resolve links with several system calls per file (seconds for 60,000 images).
    const auto root = targetRoot.lexically_normal();
    std::vector<std::string> names;
    for (const auto &image : targetImages)
        names.push_back(image.path.lexically_normal().lexically_relative(root).generic_string() + ":" +
                        std::to_string(std::filesystem::file_size(image.path, ec)));
    std::sort(names.begin(), names.end());
    std::uint64_t hash = fnv1a(nullptr, 0);
    for (const auto &name : names)
        hash = fnv1a(name.data(), name.size() + 1, hash); // includes the terminating NUL as a separator
    fingerprint.target = std::to_string(targetImages.size()) + " images (" + hex(hash) + ")";
    return fingerprint;
}

void writeFingerprint(const RunFingerprint &fingerprint, Metadata &metadata)
{
    metadata["upstep.run.base"] = fingerprint.base;
    metadata["upstep.run.adapters"] = fingerprint.adapters;
    metadata["upstep.run.target"] = fingerprint.target;
}

RunFingerprint readFingerprint(const Metadata &metadata)
{
    const auto get = [&](const char *key) {
        const auto it = metadata.find(key);
        return it == metadata.end() ? std::string("(unknown)") : it->second;
    };
    return {get("upstep.run.base"), get("upstep.run.adapters"), get("upstep.run.target")};
}

void requireSameRun(const RunFingerprint &checkpoint, const RunFingerprint &now)
{
    std::string problems;
    const auto compare = [&](const char *what, const std::string &was, const std::string &is) {
        if (was != is)
            problems += std::string("\n  ") + what + ": the run used " + was + ", now " + is;
    };
    compare("base model", checkpoint.base, now.base);
    compare("adapters", checkpoint.adapters, now.adapters);
    compare("target set", checkpoint.target, now.target);
    if (!problems.empty())
        throw InputError("cannot resume: this run was started with different inputs" + problems +
                         "\nStart a new run folder instead, or resume with the original inputs.");
}

} // namespace upstep::core
