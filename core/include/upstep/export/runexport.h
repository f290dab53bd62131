#pragma once
// The export formats and what an export reports (adapterexport.h describes them). Torch-free, so
// the workbench can start exports and show their result.
//
// Threading: plain value types.

#include "upstep/common/choices.h"

#include <filesystem>
#include <string>
#include <vector>

namespace upstep::core {

struct ExportResult {
    std::filesystem::path folder;
    std::vector<std::string> files;
    double maxAbsDifference = 0; ///< reloaded export vs in-memory adapted model, on pooled features
    double tolerance = 0;
};

/// Exports the adapter of a run folder (or an adapter file / PEFT folder) onto its base model.
struct RunExportRequest {
    std::filesystem::path run;
    std::filesystem::path baseWeights; ///< empty: the run's config.json, else the adapter's own record
    ExportFormat format = ExportFormat::Peft;
    std::filesystem::path out;
    bool overwrite = false;
};

/// Finds the base weights, loads the adapter and calls exportAdapter(). Throws InputError when the
/// base weights cannot be found, and whatever exportAdapter() throws.
ExportResult exportRun(const RunExportRequest &request);

} // namespace upstep::core
