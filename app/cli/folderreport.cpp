#include "folderreport.h"

#include "terminalprogress.h"

namespace upstep::cli {

void addLabelsOption(CLI::App &command, std::string &mode)
{
    command.add_option("--labels", mode, "Class sub-folders give labels: auto, on or off")
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->capture_default_str();
}

core::ImageFolder scanWithProgress(const std::string &dir, const std::string &labelsMode, TerminalProgress &progress)
{
    const bool withLabels = labelsMode == "on" || (labelsMode == "auto" && core::hasClassSubfolders(dir));
    auto folder = core::scanImageFolder(dir, {withLabels}, progress.sink());
    progress.finish();
    return folder;
}

void printSkipped(std::ostream &out, const std::vector<core::SkippedFile> &skipped)
{
    constexpr std::size_t kShown = 20;
    for (std::size_t i = 0; i < std::min(kShown, skipped.size()); ++i)
        out << "  skipped " << skipped[i].path.string() << ": " << skipped[i].reason << "\n";
    if (skipped.size() > kShown)
        out << "  ... and " << skipped.size() - kShown << " more\n";
}

} // namespace upstep::cli
