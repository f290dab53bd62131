#pragma once
// Reader and writer of the safetensors format (docs/FORMATS.md "safetensors"): an 8-byte
// little-endian header length, a JSON header mapping names to {dtype, shape, data_offsets} plus
// an optional "__metadata__" string map, then raw little-endian C-order data.
//
// The reader validates everything before it allocates tensor memory: header size, JSON, dtype,
// shape against byte length, offsets inside the file and not overlapping. Allocation is bounded
// by the file's real size. Any violation throws FormatError naming the file and the problem.
// Writes are atomic (AtomicFileWriter).
//
// Threading: free functions without shared state; safe to call from any thread.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

enum class SafetensorsDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

struct SafetensorsEntry {
    std::string name;
    SafetensorsDType dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0; ///< byte offset from the end of the header
    std::uint64_t end = 0;
};

struct SafetensorsHeader {
    std::vector<SafetensorsEntry> entries; ///< in the order of their data offsets
    std::map<std::string, std::string> metadata;
    std::uint64_t dataStart = 0; ///< absolute offset of the data section
};

using TensorMap = std::map<std::string, torch::Tensor>;
using Metadata = std::map<std::string, std::string>;

struct TensorFile {
    TensorMap tensors;
    Metadata metadata;
};

/// Largest JSON header accepted, as in the reference implementation.
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

/// Reads and validates the header only (no tensor data).
SafetensorsHeader readSafetensorsHeader(const std::filesystem::path &file);

/// Validates the JSON header text of a file whose data section holds `dataSize` bytes; `file`
/// only labels the errors. readSafetensorsHeader's second half, and the fuzzing entry point.
SafetensorsHeader parseSafetensorsHeader(const std::filesystem::path &file, const std::string &text,
                                         std::uint64_t dataSize);

/// Loads every tensor. With floatsAs set, floating tensors are converted to that type
/// (integer and bool tensors keep theirs).
TensorFile loadSafetensors(const std::filesystem::path &file,
                           std::optional<torch::ScalarType> floatsAs = std::nullopt);

/// Throws FormatError naming the file, the first tensor and the count when a floating tensor
/// holds NaN or infinity: weights like that give NaN features and chance-level results without
/// any other sign, so they are refused when loaded.
void requireFinite(const std::filesystem::path &file, const TensorMap &tensors);

/// Writes tensors (moved to CPU, made contiguous) and metadata atomically.
void saveSafetensors(const std::filesystem::path &file, const TensorMap &tensors,
                     const Metadata &metadata = {});

const char *safetensorsDTypeName(SafetensorsDType dtype);
std::size_t safetensorsDTypeSize(SafetensorsDType dtype);

} // namespace upstep::core
