#include "fixtures.h"

#include "testdata.h"

#include "export/adapterexport.h"
#include "io/idx.h"
#include "upstep/models/archspec.h"
#include "models/backboneloader.h"

#include <torch/torch.h>

namespace upstep::test {

void writeTinyVit(const std::filesystem::path &file, unsigned seed)
{
    torch::manual_seed(seed);
    auto model = core::createBackbone(core::parseArchSpec(kTinyVitArch));
    core::saveBackbone(*model, file);
}

void randomizeLoraB(torch::nn::Module &model, double std, unsigned seed)
{
    torch::manual_seed(seed);
    torch::NoGradGuard noGrad;
    for (auto &item : model.named_parameters())
        if (item.key().find("lora_B") != std::string::npos)
            item.value().normal_(0, std);
}

void importFashionSubset(const std::filesystem::path &dir, const std::string &split, int limit)
{
    const auto data = dataPath("fashion-mnist");
    core::IdxImportOptions options;
    options.limit = limit;
    core::importIdx(data / (split + "-images-idx3-ubyte.gz"), data / (split + "-labels-idx1-ubyte.gz"), dir, options);
}

bool exportBoth(const core::Adapter &adapter, const std::filesystem::path &base, const std::filesystem::path &peftOut,
                const std::filesystem::path &mergedOut)
{
    bool within = true;
    for (const auto format : {core::ExportFormat::Peft, core::ExportFormat::Merged}) {
        core::ExportRequest request;
        request.baseWeights = base;
        request.adapter = adapter;
        request.format = format;
        request.out = format == core::ExportFormat::Peft ? peftOut : mergedOut;
        const auto result = core::exportAdapter(request);
        within = within && result.maxAbsDifference <= result.tolerance;
    }
    return within;
}

core::TrainConfig tinyTrainConfig(const std::filesystem::path &root, std::int64_t steps)
{
    core::TrainConfig c;
    c.weights = (root / "tiny.safetensors").string();
    c.target = (root / "target").string();
    c.steps = steps;
    c.batchSize = 16;
    c.prototypes = 32;
    c.probeImages = 32;
    c.logEvery = 2;
    c.precision = core::Precision::Fp32;
    c.device = "cpu";
    return c;
}

} // namespace upstep::test
