// `upstep`: the headless command line. Wires sub-commands to core and maps errors to exit codes.
#include "commands.h"

#include "upstep/common/error.h"
#include "upstep/common/hardware.h"
#include "common/runtime.h"
#include "upstep/train/trainer.h"

#include <cstdio>

int main(int argc, char **argv)
{
    using namespace upstep;
    core::preferPassiveOpenMpWaiting(argv);
    CLI::App app{"UpStep: adapt a pretrained vision backbone to unlabeled images of your domain"};
    app.require_subcommand(1);
    app.fallthrough(); // global options may also follow the sub-command
    int threads = 0;
    app.add_option("--threads", threads, "Torch threads (0: all cores)")->capture_default_str();
    app.parse_complete_callback([&] { core::configureThreads(threads); });

    cli::addInfoCommand(app);
    cli::addImportIdxCommand(app);
    cli::addFeaturesCommand(app);
    cli::addInitCommand(app);
    cli::addScanCommand(app);
    cli::addCacheCommand(app);
    cli::addPretrainCommand(app);
    cli::addAdaptCommand(app);
    cli::addEvalCommand(app);
    cli::addExportCommand(app);
    cli::addDemoCommand(app);
    cli::addEmbedCommand(app);
    cli::addSweepCommand(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e);
    } catch (const core::Cancelled &) {
        std::fprintf(stderr, "upstep: cancelled\n");
        return 130;
    } catch (const core::TrainingDiverged &e) {
        std::fprintf(stderr, "upstep: training diverged: %s\n", e.what());
        return 3;
    } catch (const core::Error &e) {
        std::fprintf(stderr, "upstep: error: %s\n", e.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "upstep: internal error: %s\n", e.what());
        return 2;
    }
    return 0;
}
