#pragma once
// Export of a trained adapter (docs/FORMATS.md "Adapter exports"), checked before it is published:
//   peft    a Hugging Face PEFT LoRA folder: adapter_config.json, adapter_model.safetensors
//           (metadata {"format":"pt"}) and a README.md with a Python snippet (PEFT + timm);
//   merged  the base weights with LoRA folded in, in the base file's own layout, names, dtypes
//           and metadata (model.safetensors), plus a README.md.
// The folder is built next to its destination under a temporary name, reloaded from disk and
// compared with the in-memory adapted model on a few seeded inputs; only then is it renamed into
// place. Any failure, a full disk included, leaves no partial folder and keeps an existing one.
//
// Threading: runs on the caller's thread.

#include "upstep/export/runexport.h"
#include "models/adapterfile.h"

#include <filesystem>
#include <string>

namespace upstep::core {

struct ExportRequest {
    std::filesystem::path baseWeights;
    std::string arch;          ///< --arch override used for training, if any
    Adapter adapter;
    ExportFormat format = ExportFormat::Peft;
    std::filesystem::path out; ///< the folder to create
    bool overwrite = false;    ///< replace an existing folder (atomically)
    int checkInputs = 4;       ///< seeded random inputs for the verification
};

/// Throws InputError (out exists and overwrite is off, adapter does not fit the base),
/// IoError (writing), and Error when the reloaded export does not reproduce the adapted model.
ExportResult exportAdapter(const ExportRequest &request);

/// The Python snippet that loads a PEFT export with PEFT and timm for this architecture, or with
/// transformers when transformersClass names the base's class.
std::string peftLoadingSnippet(const ArchSpec &spec, const std::string &baseWeights, const std::string &folderName,
                               const std::string &transformersClass = {});

} // namespace upstep::core
