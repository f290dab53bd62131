#pragma once
// What the folder-reading commands (features, scan) share: the --labels option, the scan with a
// progress bar, and the report of skipped files.

#include "upstep/io/imagefolder.h"

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace upstep::cli {

class TerminalProgress;

/// Adds --labels auto|on|off bound to mode.
void addLabelsOption(CLI::App &command, std::string &mode);

/// Scans dir; labels come from class sub-folders when mode is "on", or "auto" and dir has them.
core::ImageFolder scanWithProgress(const std::string &dir, const std::string &labelsMode, TerminalProgress &progress);

/// Prints the first skipped files with their reasons, and how many more there are.
void printSkipped(std::ostream &out, const std::vector<core::SkippedFile> &skipped);

} // namespace upstep::cli
