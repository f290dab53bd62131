#include "io/safetensors.h"

#include "upstep/common/error.h"
#include "upstep/common/jsontext.h"
#include "upstep/io/atomicfile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <fstream>
#include <limits>
#include <set>

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host needs byte swapping");

namespace upstep::core {

namespace {

struct DTypeRow {
    SafetensorsDType dtype;
    const char *name;
    std::size_t size;
    torch::ScalarType torchType;
};

constexpr std::array<DTypeRow, 10> kDTypes{{
    {SafetensorsDType::F64, "F64", 8, torch::kFloat64},
    {SafetensorsDType::F32, "F32", 4, torch::kFloat32},
    {SafetensorsDType::F16, "F16", 2, torch::kFloat16},
    {SafetensorsDType::BF16, "BF16", 2, torch::kBFloat16},
    {SafetensorsDType::I64, "I64", 8, torch::kInt64},
    {SafetensorsDType::I32, "I32", 4, torch::kInt32},
    {SafetensorsDType::I16, "I16", 2, torch::kInt16},
    {SafetensorsDType::I8, "I8", 1, torch::kInt8},
    {SafetensorsDType::U8, "U8", 1, torch::kUInt8},
    {SafetensorsDType::BOOL, "BOOL", 1, torch::kBool},
}};

const DTypeRow &row(SafetensorsDType dtype)
{
    return kDTypes[static_cast<std::size_t>(dtype)];
}

std::optional<SafetensorsDType> dtypeFromName(const std::string &name)
{
    for (const auto &r : kDTypes)
        if (name == r.name)
            return r.dtype;
    return std::nullopt;
}

SafetensorsDType dtypeFromTorch(const std::filesystem::path &file, const std::string &name,
                                torch::ScalarType type)
{
    for (const auto &r : kDTypes)
        if (r.torchType == type)
            return r.dtype;
    throw InputError(file.string() + ": tensor '" + name + "' has a type safetensors cannot store");
}

std::uint64_t readLittleEndianU64(const unsigned char *p)
{
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

SafetensorsEntry parseEntry(const std::filesystem::path &file, const std::string &name,
                            const nlohmann::json &j)
{
    auto bad = [&](const std::string &what) { return FormatError(file, "tensor '" + name + "': " + what); };
    if (!j.is_object())
        throw bad("entry is not a JSON object");
    if (!j.contains("dtype") || !j["dtype"].is_string())
        throw bad("missing string 'dtype'");
    if (!j.contains("shape") || !j["shape"].is_array())
        throw bad("missing array 'shape'");
    if (!j.contains("data_offsets") || !j["data_offsets"].is_array() || j["data_offsets"].size() != 2)
        throw bad("'data_offsets' must be an array of two integers");

    SafetensorsEntry e;
    e.name = name;
    const auto dtypeName = j["dtype"].get<std::string>();
    const auto dtype = dtypeFromName(dtypeName);
    if (!dtype)
        throw bad("unknown dtype '" + dtypeName + "'");
    e.dtype = *dtype;

    std::uint64_t elements = 1;
    for (const auto &d : j["shape"]) {
        if (!d.is_number_unsigned())
            throw bad("shape entries must be non-negative integers");
        const auto dim = d.get<std::uint64_t>();
        if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
            (dim != 0 && elements > std::numeric_limits<std::uint64_t>::max() / dim))
            throw bad("shape is too large");
        elements *= dim;
        e.shape.push_back(static_cast<std::int64_t>(dim));
    }
    for (const auto &o : j["data_offsets"])
        if (!o.is_number_unsigned())
            throw bad("data_offsets must be non-negative integers");
    e.begin = j["data_offsets"][0].get<std::uint64_t>();
    e.end = j["data_offsets"][1].get<std::uint64_t>();
    if (e.end < e.begin)
        throw bad("data_offsets end before they begin");
    const auto elementSize = row(e.dtype).size;
    if (elements > std::numeric_limits<std::uint64_t>::max() / elementSize ||
        elements * elementSize != e.end - e.begin)
        throw bad("shape needs " + std::to_string(elements) + " x " + std::to_string(elementSize) +
                  " bytes but data_offsets give " + std::to_string(e.end - e.begin));
    return e;
}

// Names the formats people most often hand over by mistake, from a file's first 8 bytes.
const char *otherFormatName(const unsigned char *head)
{
    if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
        return "a zip archive (PyTorch's torch.save format, a .pth/.pt file; convert it to safetensors)";
    if (head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
        return "a Python pickle (an old-style PyTorch .pth/.pt file; convert it to safetensors)";
    if (head[0] == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F')
        return "an HDF5 file (Keras .h5 weights)";
    if (head[0] == '{' || head[0] == '[')
        return "a JSON text file";
    return nullptr;
}

} // namespace

const char *safetensorsDTypeName(SafetensorsDType dtype) { return row(dtype).name; }
std::size_t safetensorsDTypeSize(SafetensorsDType dtype) { return row(dtype).size; }

SafetensorsHeader readSafetensorsHeader(const std::filesystem::path &file)
{
    std::error_code ec;
    const auto fileSize = std::filesystem::file_size(file, ec);
    if (ec)
        throw IoError(file, "cannot read: " + ec.message());
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw IoError(file, "cannot open for reading");
    if (fileSize < 8)
        throw FormatError(file, "too short for a safetensors file (" + std::to_string(fileSize) + " bytes)");

    unsigned char lengthBytes[8];
    in.read(reinterpret_cast<char *>(lengthBytes), 8);
    const auto headerSize = readLittleEndianU64(lengthBytes);
    if (headerSize > kMaxSafetensorsHeader || headerSize > fileSize - 8) {
        if (const auto other = otherFormatName(lengthBytes))
            throw FormatError(file, std::string("this is ") + other + ", not a safetensors file");
        if (headerSize > kMaxSafetensorsHeader)
            throw FormatError(file, "not a safetensors file: its first 8 bytes give a header length of " +
                                        std::to_string(headerSize) + " bytes, over the limit of " +
                                        std::to_string(kMaxSafetensorsHeader));
        throw FormatError(file, "truncated: header length " + std::to_string(headerSize) +
                                    " but only " + std::to_string(fileSize - 8) + " bytes follow");
    }

    std::string text(headerSize, '\0');
    in.read(text.data(), static_cast<std::streamsize>(headerSize));
    if (!in)
        throw IoError(file, "read failed in the header");
    auto header = parseSafetensorsHeader(file, text, fileSize - 8 - headerSize);
    header.dataStart = 8 + headerSize;
    return header;
}

SafetensorsHeader parseSafetensorsHeader(const std::filesystem::path &file, const std::string &text,
                                         std::uint64_t dataSize)
{
    // nlohmann keeps the last of two equal keys; a tensor named twice must be refused instead,
    // since which of the two the writer meant is unknowable.
    std::string duplicate;
    std::set<std::string> topLevelKeys;
    const nlohmann::json::parser_callback_t noteKeys = [&](int depth, nlohmann::json::parse_event_t event,
                                                           nlohmann::json &parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string() &&
            !topLevelKeys.insert(parsed.get<std::string>()).second && duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text, noteKeys);
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(file, std::string("header is not valid JSON: ") + e.what());
    }
    if (!duplicate.empty())
        throw FormatError(file, "the header names tensor '" + duplicate + "' twice");
    if (!json.is_object())
        throw FormatError(file, "header is not a JSON object");

    SafetensorsHeader header;
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object())
                throw FormatError(file, "__metadata__ is not a JSON object");
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string())
                    throw FormatError(file, "__metadata__ value of '" + m.key() + "' is not a string");
                header.metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        auto entry = parseEntry(file, it.key(), *it);
        if (entry.end > dataSize)
            throw FormatError(file, "tensor '" + entry.name + "': data_offsets [" + std::to_string(entry.begin) +
                                        ", " + std::to_string(entry.end) + "] lie outside the " +
                                        std::to_string(dataSize) + "-byte data section (truncated file?)");
        header.entries.push_back(std::move(entry));
    }
    std::sort(header.entries.begin(), header.entries.end(),
              [](const auto &a, const auto &b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    for (std::size_t i = 1; i < header.entries.size(); ++i) {
        const auto &prev = header.entries[i - 1];
        const auto &cur = header.entries[i];
        if (cur.begin < prev.end)
            throw FormatError(file, "tensors '" + prev.name + "' and '" + cur.name + "' overlap");
    }
    return header;
}

void requireFinite(const std::filesystem::path &file, const TensorMap &tensors)
{
    for (const auto &[name, tensor] : tensors) {
        if (!tensor.is_floating_point())
            continue;
        const auto bad = (~torch::isfinite(tensor)).sum().item<std::int64_t>();
        if (bad > 0)
            throw FormatError(file, "tensor '" + name + "' holds " + std::to_string(bad) + " of " +
                                        std::to_string(tensor.numel()) +
                                        " values that are NaN or infinite; the file is damaged or comes from a "
                                        "diverged training run");
    }
}

TensorFile loadSafetensors(const std::filesystem::path &file, std::optional<torch::ScalarType> floatsAs)
{
    const auto header = readSafetensorsHeader(file);
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw IoError(file, "cannot open for reading");

    TensorFile result;
    result.metadata = header.metadata;
    for (const auto &e : header.entries) {
        auto tensor = torch::empty(e.shape, torch::TensorOptions().dtype(row(e.dtype).torchType));
        const auto bytes = e.end - e.begin;
        in.seekg(static_cast<std::streamoff>(header.dataStart + e.begin));
        in.read(static_cast<char *>(tensor.data_ptr()), static_cast<std::streamsize>(bytes));
        if (!in)
            throw IoError(file, "read failed in tensor '" + e.name + "'");
        if (floatsAs && tensor.is_floating_point() && tensor.scalar_type() != *floatsAs)
            tensor = tensor.to(*floatsAs);
        result.tensors.emplace(e.name, std::move(tensor));
    }
    return result;
}

void saveSafetensors(const std::filesystem::path &file, const TensorMap &tensors, const Metadata &metadata)
{
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;

    std::vector<torch::Tensor> data;
    data.reserve(tensors.size());
    std::uint64_t offset = 0;
    for (const auto &[name, tensor] : tensors) {
        if (name == "__metadata__")
            throw InputError(file.string() + ": '__metadata__' cannot be a tensor name");
        auto t = tensor.detach().to(torch::kCPU).contiguous();
        const auto dtype = dtypeFromTorch(file, name, t.scalar_type());
        const auto bytes = static_cast<std::uint64_t>(t.numel()) * row(dtype).size;
        header[name] = {{"dtype", row(dtype).name},
                        {"shape", t.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(std::move(t));
    }
    auto text = jsonText(header);
    text.append((8 - text.size() % 8) % 8, ' '); // keeps the data section 8-byte aligned

    unsigned char length[8];
    std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i, n >>= 8)
        length[i] = static_cast<unsigned char>(n & 0xff);

    AtomicFileWriter writer(file);
    writer.write(length, sizeof length);
    writer.write(text);
    for (const auto &t : data)
        writer.write(t.data_ptr(), static_cast<std::size_t>(t.numel()) * t.element_size());
    writer.commit();
}

} // namespace upstep::core
