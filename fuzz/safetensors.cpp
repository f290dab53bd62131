// Fuzz target: the safetensors reader (core/io/safetensors.cpp). The input is a whole file: the
// header is read and validated (readSafetensorsHeader), then every tensor is loaded
// (loadSafetensors), with floating tensors converted to float32 for odd-sized inputs.
// Checked beyond "no crash": the entries lie inside the data section, in order, without
// overlap, and each loaded tensor holds exactly the bytes its entry names.
#include "fuzzsupport.h"
#include "io/safetensors.h"

#include <set>

using namespace upstep::core;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    // One thread: LibTorch's thread pool costs more than these tensors' work, and a fuzzer
    // process should use one core.
    torch::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static upstep::fuzz::MemoryFile file("fuzz-safetensors");
    const auto &path = file.write(data, size);
    upstep::fuzz::expectTypedErrors([&] {
        const auto header = readSafetensorsHeader(path);
        if (header.dataStart < 8 || header.dataStart > size)
            upstep::fuzz::finding("invariant", "data section starts outside the file");
        std::uint64_t previousEnd = 0;
        std::set<std::string> names;
        for (const auto &e : header.entries) {
            if (e.begin < previousEnd || e.end < e.begin || e.end > size - header.dataStart)
                upstep::fuzz::finding("invariant", ("entry out of order or range: " + e.name).c_str());
            previousEnd = e.end;
            names.insert(e.name);
        }
        const auto floatsAs = size % 2 ? std::optional<torch::ScalarType>(torch::kFloat32) : std::nullopt;
        const auto loaded = loadSafetensors(path, floatsAs);
        if (loaded.tensors.size() != names.size() || loaded.metadata != header.metadata)
            upstep::fuzz::finding("invariant", "loaded tensors or metadata differ from the header");
        for (const auto &e : header.entries) {
            const auto &t = loaded.tensors.at(e.name);
            const auto bytes = static_cast<std::uint64_t>(t.numel()) * safetensorsDTypeSize(e.dtype);
            if (bytes != e.end - e.begin)
                upstep::fuzz::finding("invariant", ("tensor size differs from its entry: " + e.name).c_str());
        }
    });
    return 0;
}
