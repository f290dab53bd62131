#include "commands.h"

#include "io/idx.h"
#include "terminalprogress.h"

#include <iostream>

namespace upstep::cli {

namespace {

struct ImportArgs {
    std::string images, labels, out;
    std::int64_t limit = 0;
    bool overwrite = false;
};

void runImport(const ImportArgs &args)
{
    TerminalProgress progress;
    const auto result = core::importIdx(args.images, args.labels, args.out, {args.limit, args.overwrite},
                                        progress.sink());
    progress.finish();
    std::cout << "wrote " << result.images << " PNG images in " << result.perClass.size() << " class folders to "
              << args.out << "\n";
}

} // namespace

void addImportIdxCommand(CLI::App &app)
{
    auto args = std::make_shared<ImportArgs>();
    auto *cmd = app.add_subcommand("import-idx", "Convert an IDX images/labels pair (gzip or raw) to a PNG folder "
                                                 "with one sub-folder per class");
    cmd->add_option("images", args->images, "IDX images file (magic 0x00000803)")->required()->check(CLI::ExistingFile);
    cmd->add_option("labels", args->labels, "IDX labels file (magic 0x00000801)")->required()->check(CLI::ExistingFile);
    cmd->add_option("out_dir", args->out, "Output folder (must not exist unless --overwrite)")->required();
    cmd->add_option("--limit", args->limit, "Import only the first N images");
    cmd->add_flag("--overwrite", args->overwrite, "Replace an existing output folder");
    cmd->callback([args] { runImport(*args); });
}

} // namespace upstep::cli
