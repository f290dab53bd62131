#include "upstep/models/backbonesummary.h"

#include "models/lora.h"
#include "models/backboneloader.h"

#include <iomanip>
#include <sstream>

namespace upstep::core {

namespace {

std::string describePreprocessing(const Preprocessing &p)
{
    std::ostringstream out;
    out << std::setprecision(3) << p.inputSize << " px, " << p.channels << (p.channels == 1 ? " channel" : " channels")
        << ", resize " << p.resizeSize() << " + centre crop, " << interpolationName(p.interpolation) << ", mean "
        << p.mean[0] << "/" << p.mean[1] << "/" << p.mean[2] << ", std " << p.std[0] << "/" << p.std[1] << "/"
        << p.std[2];
    return out.str();
}

} // namespace

BackboneSummary inspectBackbone(const std::filesystem::path &file, const std::string &archOverride)
{
    const auto loaded = loadBackbone(file, archOverride);
    BackboneSummary summary;
    summary.file = file;
    summary.spec = loaded.arch.spec;
    summary.description = describeArch(loaded.arch.spec);
    summary.layout = loaded.arch.layout;
    summary.detectedFrom = loaded.arch.source;
    summary.parameters = countParameters(*loaded.model).total;
    summary.featureDim = loaded.arch.spec.featureDim();
    summary.preprocessing = describePreprocessing(loaded.arch.spec.preprocessing);
    summary.loraTargets = describeLoraTargets(*loaded.model, loraPatternsFor({}, loaded.transformers.has_value()));
    summary.notes = loaded.notes;
    return summary;
}

} // namespace upstep::core
