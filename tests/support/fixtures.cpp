#include "fixtures.h"

#include "testdata.h"

#include "io/idx.h"
#include "models/archspec.h"
#include "models/registry.h"

#include <torch/torch.h>

namespace upstep::test {

void writeTinyVit(const std::filesystem::path &file, unsigned seed)
{
    torch::manual_seed(seed);
    auto model = core::createBackbone(core::parseArchSpec(kTinyVitArch));
    core::saveBackbone(*model, file);
}

void importFashionSubset(const std::filesystem::path &dir, const std::string &split, int limit)
{
    const auto data = dataPath("fashion-mnist");
    core::IdxImportOptions options;
    options.limit = limit;
    core::importIdx(data / (split + "-images-idx3-ubyte.gz"), data / (split + "-labels-idx1-ubyte.gz"), dir, options);
}

} // namespace upstep::test
