// `upstep-bench-tsne`: times core's exact PCA and Barnes-Hut t-SNE on the first n rows of a
// feature table (a projector base.tsv from `upstep embed --projector`), for each n asked, and
// reports trustworthiness@10 of the t-SNE map. Writes each map as a TSV so another tool can
// judge it with its own metric. Prints one JSON object per line.
#include "upstep/common/hardware.h"
#include "eval/projection.h"
#include "eval/tsne.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

using namespace upstep::core;
using Clock = std::chrono::steady_clock;

torch::Tensor readTsv(const std::string &file, std::int64_t rows)
{
    std::ifstream in(file);
    if (!in)
        throw std::runtime_error(file + ": cannot open");
    std::vector<float> values;
    std::int64_t columns = 0, read = 0;
    for (std::string line; read < rows && std::getline(in, line); ++read) {
        std::istringstream fields(line);
        std::int64_t count = 0;
        for (float v; fields >> v; ++count)
            values.push_back(v);
        if (columns && count != columns)
            throw std::runtime_error(file + ": row " + std::to_string(read + 1) + " has " + std::to_string(count) +
                                     " values, not " + std::to_string(columns));
        columns = count;
    }
    if (read < rows)
        throw std::runtime_error(file + ": has " + std::to_string(read) + " rows, fewer than " + std::to_string(rows));
    return torch::from_blob(values.data(), {read, columns}, torch::kFloat32).clone();
}

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"Times upstep's PCA and t-SNE on the first n rows of a feature TSV"};
    std::string features, outPrefix;
    std::vector<std::int64_t> sizes{5000, 10000, 20000};
    int threads = 0;
    app.add_option("--features", features, "Feature TSV, one row per image")->required()->check(CLI::ExistingFile);
    app.add_option("--sizes", sizes, "Point counts")->delimiter(',')->capture_default_str();
    app.add_option("--maps", outPrefix, "Write each t-SNE map to PREFIX-N.tsv");
    app.add_option("--threads", threads, "Compute threads (0: all cores)");
    CLI11_PARSE(app, argc, argv);
    try {
        setComputeThreads(threads);
        const auto all = readTsv(features, *std::max_element(sizes.begin(), sizes.end()));
        for (const auto n : sizes) {
            const auto x = all.slice(0, 0, n).contiguous();
            auto start = Clock::now();
            const auto pca = projectPca(fitPca(x, 2), x);
            const double pcaSeconds = since(start);
            start = Clock::now();
            const auto map = runTsne(x, TsneConfig{});
            const double tsneSeconds = since(start);
            start = Clock::now();
            const double trustTsne = trustworthiness(x, map.embedding, 10);
            const double trustSeconds = since(start);
            nlohmann::json row{{"tool", "upstep"},
                               {"n", n},
                               {"dim", x.size(1)},
                               {"threads", torch::get_num_threads()},
                               {"pca_s", pcaSeconds},
                               {"tsne_s", tsneSeconds},
                               {"kl", map.klDivergence},
                               {"trust_pca", trustworthiness(x, pca, 10)},
                               {"trust_tsne", trustTsne},
                               {"trust_s", trustSeconds}};
            std::cout << row.dump() << std::endl;
            if (!outPrefix.empty()) {
                std::ofstream out(outPrefix + "-" + std::to_string(n) + ".tsv");
                const auto e = map.embedding.contiguous();
                for (std::int64_t i = 0; i < n; ++i)
                    out << e[i][0].item<float>() << "\t" << e[i][1].item<float>() << "\n";
            }
        }
    } catch (const std::exception &e) {
        std::cerr << "upstep-bench-tsne: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
