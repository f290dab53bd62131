#pragma once
// Sub-commands of `upstep`. Each adds itself to the app; its callback does the work through
// core and throws core::Error on failure, which main() reports on stderr with exit code 1.

#include "upstep/run/evalreport.h"

#include <CLI/CLI.hpp>

namespace upstep::cli {

void addInfoCommand(CLI::App &app);
void addImportIdxCommand(CLI::App &app);
void addFeaturesCommand(CLI::App &app);
void addInitCommand(CLI::App &app);
void addScanCommand(CLI::App &app);
void addCacheCommand(CLI::App &app);
void addPretrainCommand(CLI::App &app);
void addAdaptCommand(CLI::App &app);
void addEvalCommand(CLI::App &app);
void addExportCommand(CLI::App &app);
void addDemoCommand(CLI::App &app);
void addEmbedCommand(CLI::App &app);
void addSweepCommand(CLI::App &app);

/// The evaluation table `eval` prints, shared with `adapt --target-test`.
void printEvalTable(const core::EvalReport &report);

} // namespace upstep::cli
