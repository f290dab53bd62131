#include "commands.h"

#include "io/idx.h"
#include "terminalprogress.h"

#include "upstep/common/error.h"

#include <cctype>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace upstep::cli {

namespace {

struct ImportArgs {
    std::string images, labels, out, names;
    std::int64_t limit = 0;
    bool overwrite = false;
};

/// --names: a known data set's names, or a text file with one name per line in label order.
std::vector<std::string> classNames(const std::string &names)
{
    if (names.empty())
        return {};
    if (auto known = core::knownIdxClassNames(names); !known.empty())
        return known;
    std::ifstream file(names);
    if (!file)
        throw core::InputError("--names " + names +
                               ": neither a known data set (fashion-mnist, mnist) nor a readable file of names");
    std::vector<std::string> result;
    for (std::string line; std::getline(file, line);) {
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
            line.pop_back();
        result.push_back(line);
    }
    while (!result.empty() && result.back().empty())
        result.pop_back();
    for (std::size_t i = 0; i < result.size(); ++i)
        if (result[i].empty())
            throw core::InputError("--names " + names + ": line " + std::to_string(i + 1) + " is empty");
    if (result.empty())
        throw core::InputError("--names " + names + ": the file holds no names");
    return result;
}

void runImport(const ImportArgs &args)
{
    TerminalProgress progress;
    core::IdxImportOptions options;
    options.limit = args.limit;
    options.overwrite = args.overwrite;
    options.classNames = classNames(args.names);
    const auto result = core::importIdx(args.images, args.labels, args.out, options, progress.sink());
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
    cmd->add_option("--names", args->names,
                    "Name the class folders: fashion-mnist, mnist, or a text file with one name per line in label "
                    "order (folders become 0-T-shirt-top, 1-Trouser, ...; default: the label number)");
    cmd->callback([args] { runImport(*args); });
}

} // namespace upstep::cli
