#include "commands.h"

#include "upstep/common/error.h"
#include "upstep/data/decodecheck.h"
#include "upstep/io/atomicfile.h"
#include "io/csvfield.h"
#include "upstep/io/imagefolder.h"
#include "folderreport.h"
#include "upstep/io/outputpath.h"
#include "terminalprogress.h"

#include <chrono>
#include <iostream>
#include <sstream>

namespace upstep::cli {

namespace {

struct ScanArgs {
    std::string data;
    std::string labels = "auto";
    std::string report;
    int size = 224;
    int workers = 2;
    int batch = 64;
    bool useCache = false;
    bool listOnly = false;
};

/// path,reason of every skipped file, written atomically; nothing when report is empty.
void writeSkippedReport(const std::string &report, const std::vector<core::SkippedFile> &skipped)
{
    if (report.empty())
        return;
    std::ostringstream csv;
    csv << "path,reason\n";
    for (const auto &s : skipped)
        csv << core::csvField(s.path.string()) << "," << core::csvField(s.reason) << "\n";
    core::makeParentFolder(report);
    core::writeFileAtomically(report, csv.str());
}

/// The listing alone: how many image files, per class, and what was skipped. Nothing is decoded,
/// so a folder of a million files is counted in seconds.
void printListing(const ScanArgs &args, const core::ImageFolder &folder, double seconds)
{
    std::cout << "folder:   " << args.data << "\n"
              << "images:   " << folder.images.size() << " image files (listed, not decoded), " << folder.skipped.size()
              << " skipped\n"
              << "listing:  " << seconds << " s\n";
    if (!folder.classNames.empty()) {
        std::vector<std::int64_t> counts(folder.classNames.size(), 0);
        for (std::size_t i = 0; i < folder.images.size(); ++i)
            ++counts[static_cast<std::size_t>(folder.images.label(i))];
        constexpr std::size_t kShown = 50;
        std::cout << "classes:  " << folder.classNames.size() << "\n";
        for (std::size_t c = 0; c < std::min(kShown, counts.size()); ++c)
            std::cout << "  " << counts[c] << "\t" << folder.classNames[c] << "\n";
        if (counts.size() > kShown)
            std::cout << "  ... and " << counts.size() - kShown << " more classes\n";
    }
    printSkipped(std::cout, folder.skipped);
}

void runScan(const ScanArgs &args)
{
    if (!args.report.empty())
        core::checkOutputFile(args.report);
    TerminalProgress progress;
    const auto started = std::chrono::steady_clock::now();
    const auto folder = scanWithProgress(args.data, args.labels, progress);
    if (args.listOnly) {
        printListing(args, folder, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        writeSkippedReport(args.report, folder.skipped);
        return;
    }

    // Decode everything through the loader, exactly as training and feature extraction will.
    core::DecodeCheckOptions options;
    options.batchSize = args.batch;
    options.workers = args.workers;
    options.inputSize = args.size;
    options.useDecodedCache = args.useCache;
    const auto check = core::decodeEveryImage(folder.images, options, progress.sink());
    progress.finish();
    const auto decoded = check.readable;
    const auto total = static_cast<std::int64_t>(folder.images.size());
    const double seconds = check.seconds;
    const auto &failed = check.failed;
    if (decoded == 0)
        throw core::InputError(args.data + ": none of the " + std::to_string(total) + " image files could be decoded" +
                               (failed.empty()
                                    ? std::string()
                                    : " (first: " + failed.front().path.string() + ": " + failed.front().reason + ")"));
    auto skipped = folder.skipped;
    skipped.insert(skipped.end(), failed.begin(), failed.end());
    std::cout << "folder:   " << args.data << "\n"
              << "images:   " << decoded << " readable, " << skipped.size() << " skipped\n";
    if (!folder.classNames.empty())
        std::cout << "classes:  " << folder.classNames.size() << "\n";
    if (!check.cacheNote.empty()) // which cache was read, or that there was none
        std::cout << "cache:    " << check.cacheNote << "\n";
    std::cout << "decoding: " << decoded / std::max(seconds, 1e-9) << " images/s to " << args.size << "x" << args.size
              << " with " << args.workers << " loader threads (" << seconds << " s)\n";
    printSkipped(std::cout, skipped);
    writeSkippedReport(args.report, skipped);
}

} // namespace

void addScanCommand(CLI::App &app)
{
    auto args = std::make_shared<ScanArgs>();
    auto *cmd = app.add_subcommand("scan", "Check an image folder: decode every image, list the unreadable ones "
                                           "with the reason, and measure decoding speed");
    cmd->add_option("--data", args->data, "Image folder (scanned recursively)")->required()->check(CLI::ExistingDirectory);
    addLabelsOption(*cmd, args->labels);
    cmd->add_option("--size", args->size, "Resize and crop to this many pixels, as a model would")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--workers", args->workers, "Decoding threads")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--batch", args->batch, "Images per batch")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_flag("--use-cache", args->useCache,
                  "Read the folder's decoded-image cache (upstep cache) instead of the files: a speed check of "
                  "the cached pass");
    cmd->add_flag("--list-only", args->listOnly,
                  "Only list the folder: the image file count and the per-class breakdown, without decoding");
    cmd->add_option("--report", args->report, "Write the skipped files and reasons to this CSV");
    cmd->callback([args] { runScan(*args); });
}

} // namespace upstep::cli
