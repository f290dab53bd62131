#include "upstep/export/runexport.h"

#include "export/adapterexport.h"
#include "run/runsnapshot.h"
#include "upstep/common/error.h"
#include "upstep/io/outputpath.h"
#include "upstep/run/runpaths.h"
#include "upstep/run/trainconfig.h"

namespace upstep::core {

ExportResult exportRun(const RunExportRequest &run)
{
    checkOutputLocation(withoutTrailingSeparator(run.out)); // before minutes of loading and checking
    const RunPaths paths(run.run);
    ExportRequest request;
    request.adapter = loadAdapterOrRun(run.run);
    if (std::filesystem::exists(paths.config())) {
        const auto config = loadTrainConfig(paths.config().string());
        request.baseWeights = config.weights;
        request.arch = config.arch;
    }
    if (!run.baseWeights.empty())
        request.baseWeights = run.baseWeights;
    if (request.baseWeights.empty())
        request.baseWeights = request.adapter.info.baseWeights;
    if (request.baseWeights.empty() || !std::filesystem::exists(request.baseWeights))
        throw InputError("cannot find the base weights of this adapter" +
                         (request.baseWeights.empty() ? std::string() : " (" + request.baseWeights.string() + ")") +
                         "; give the base weights file explicitly");
    request.format = run.format;
    request.out = run.out;
    request.overwrite = run.overwrite;
    return exportAdapter(request);
}

} // namespace upstep::core
