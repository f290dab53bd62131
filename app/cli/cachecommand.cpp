// `upstep cache`: decodes a folder once into the decoded-image cache that `upstep adapt` reads
// (core/data/decodedcache.h), after saying how large it will be and where it goes.
#include "commands.h"

#include "upstep/common/error.h"
#include "upstep/common/units.h"
#include "data/decodedcache.h"
#include "folderreport.h"
#include "upstep/run/trainconfig.h"
#include "upstep/train/trainer.h"
#include "terminalprogress.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>

namespace upstep::cli {

namespace {

std::atomic<bool> g_interrupted{false};

struct CacheArgs {
    std::string data;
    int size = 224;
    int side = 0;
    int workers = 2;
    bool dryRun = false;
};

void runCache(const CacheArgs &args)
{
    TerminalProgress progress;
    // Scanned as `upstep adapt` scans its target, so that the image lists, and the caches' keys, agree.
    auto folder = core::scanImageFolder(args.data, core::targetScanOptions(), progress.sink());
    progress.finish();
    if (folder.images.empty())
        throw core::InputError(args.data + " holds no image files");
    core::Preprocessing preprocessing;
    preprocessing.inputSize = args.size;
    const int side = args.side > 0 ? args.side : core::trainingDecodeSide(core::TrainConfig{}, preprocessing);
    const auto where = core::defaultDecodedCacheFolder();
    const auto estimate = core::DecodedCache::estimate(folder.images, side);
    std::error_code error;
    const auto space = std::filesystem::space(std::filesystem::exists(where) ? where : where.parent_path(), error);
    std::cout << "folder:   " << args.data << " (" << folder.images.size() << " images)\n"
              << "side:     " << side << " px, the shorter side kept"
              << (args.side > 0 ? ""
                                : " (what training crops of " + std::to_string(args.size) +
                                      " px need; --size sets the model's input size)")
              << "\n"
              << "estimate: about " << core::gigabytes(static_cast<double>(estimate.bytes)) << " (from "
              << estimate.sampled << " image headers) in " << where.string()
              << (error ? std::string() : ", " + core::gigabytes(static_cast<double>(space.available)) + " free")
              << "\n";
    std::string problem;
    if (auto cache = core::DecodedCache::open(where, folder.images, side, &problem)) {
        std::cout << "cache:    " << cache->path().string() << " exists and matches the folder ("
                  << core::gigabytes(static_cast<double>(cache->bytes())) << "); nothing to do\n";
        return;
    }
    if (!problem.empty())
        std::cout << "note:     " << problem << "\n";
    if (args.dryRun)
        return;
    // Ctrl-C or SIGTERM stops the build; its temporary file is removed and nothing is left. A
    // second signal exits at once (the temporary file may then stay, hidden, beside the caches).
    std::signal(SIGINT, [](int) {
        if (g_interrupted.exchange(true))
            std::_Exit(130);
    });
    std::signal(SIGTERM, [](int) {
        if (g_interrupted.exchange(true))
            std::_Exit(130);
    });
    const auto start = std::chrono::steady_clock::now();
    const auto cache = core::DecodedCache::build(where, folder.images, side, args.workers, progress.sink(),
                                                 &g_interrupted);
    progress.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::size_t failed = 0;
    for (std::size_t i = 0; i < cache->size(); ++i)
        failed += cache->failure(i).empty() ? 0 : 1;
    std::cout << "cache:    " << cache->path().string() << " (" << core::gigabytes(static_cast<double>(cache->bytes()))
              << ", " << cache->size() << " images, " << failed << " could not be decoded)\n"
              << "built in: " << std::setprecision(3) << seconds << " s ("
              << static_cast<double>(cache->size()) / std::max(seconds, 1e-9) << " images/s with " << args.workers
              << " decoding threads)\n";
}

} // namespace

void addCacheCommand(CLI::App &app)
{
    auto args = std::make_shared<CacheArgs>();
    auto *cmd = app.add_subcommand(
        "cache", "Decode a folder's images once into the decoded-image cache that `adapt` reads (memory-mapped, "
                 "rebuilt when the folder changes; location: $UPSTEP_CACHE_DIR or ~/.cache/upstep/decoded)");
    cmd->add_option("--data", args->data, "Image folder (scanned recursively)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--size", args->size, "The model's input size; sets the side training crops need")
        ->check(CLI::Range(8, 4096))
        ->capture_default_str();
    cmd->add_option("--side", args->side, "Keep this shorter side instead (smaller: less disk, blurrier crops)")
        ->check(CLI::Range(8, 8192));
    cmd->add_option("--workers", args->workers, "Decoding threads")->check(CLI::Range(1, 256))->capture_default_str();
    cmd->add_flag("--dry-run", args->dryRun, "Only print the side, the size estimate and the free space");
    cmd->callback([args] { runCache(*args); });
}

} // namespace upstep::cli
