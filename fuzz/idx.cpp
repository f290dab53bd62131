// Fuzz target: the IDX reader of MNIST files (core/io/idx.cpp readIdx), raw or gzip. Checked
// beyond "no crash": a file that is read holds exactly as many bytes as its dimensions promise.
#include "fuzzsupport.h"
#include "io/idx.h"

using namespace upstep::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static upstep::fuzz::MemoryFile file("fuzz-idx");
    const auto &path = file.write(data, size);
    upstep::fuzz::expectTypedErrors([&] {
        const auto array = readIdx(path);
        unsigned __int128 total = 1;
        for (const auto d : array.dims) {
            if (d < 0)
                upstep::fuzz::finding("invariant", "negative IDX dimension");
            total *= static_cast<unsigned __int128>(d);
        }
        if (total != array.data.size())
            upstep::fuzz::finding("invariant", ("IDX data holds " + std::to_string(array.data.size()) +
                                                " bytes, not the product of its dimensions").c_str());
    });
    return 0;
}
