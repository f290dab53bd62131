// `upstep-bench-tsne`: times core's map methods (exact PCA, FFT-accelerated t-SNE, UMAP) on the
// first n rows of a feature table (a projector base.tsv from `upstep embed --projector`), for each
// n asked, or on a table grown to --replicate rows (the rows repeated in order, with seeded
// Gaussian noise of --noise times the features' standard deviation). Reports each map's time,
// the neighbour graph's recall against exact search (sampled), trustworthiness@10 on a seeded
// 5,000-row sample and the process's peak resident memory. Writes each map as a TSV so another
// tool can judge it with its own metric. Prints one JSON object per line.
#include "upstep/common/hardware.h"
#include "upstep/eval/mapestimate.h"
#include "eval/projection.h"
#include "eval/tsne.h"
#include "eval/umap.h"
#include "benchmeasure.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

using namespace upstep::core;
using upstep::bench::Clock;
using upstep::bench::secondsSince;

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

/// The neighbour search's figures of a t-SNE or UMAP result into row; returns the map.
template <typename Result>
torch::Tensor recordNeighbours(nlohmann::json &row, const Result &result)
{
    row["approximate_neighbours"] = result.approximateNeighbours;
    row["neighbour_recall"] = result.neighbourRecall;
    row["neighbour_s"] = result.neighbourSeconds;
    return result.embedding;
}

void writeMap(const std::string &file, const torch::Tensor &map)
{
    std::ofstream out(file);
    const auto e = map.contiguous();
    const float *p = e.data_ptr<float>();
    for (std::int64_t i = 0; i < e.size(0); ++i)
        out << p[2 * i] << "\t" << p[2 * i + 1] << "\n";
    if (!out)
        throw std::runtime_error(file + ": write failed");
}

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"Times upstep's PCA, t-SNE and UMAP on a feature TSV"};
    std::string features, outPrefix;
    std::vector<std::int64_t> sizes{5000, 10000, 20000};
    std::vector<std::string> methods{"tsne"};
    std::int64_t replicate = 0;
    double noise = 0.01;
    int threads = 0;
    app.add_option("--features", features, "Feature TSV, one row per image")->required()->check(CLI::ExistingFile);
    app.add_option("--sizes", sizes, "Point counts (the first n rows)")->delimiter(',')->capture_default_str();
    app.add_option("--methods", methods, "tsne, umap (PCA is always timed)")->delimiter(',')->capture_default_str();
    app.add_option("--replicate", replicate, "Instead of --sizes: all rows repeated to this many, with noise");
    app.add_option("--noise", noise, "With --replicate: noise std as a fraction of the features' std")
        ->capture_default_str();
    app.add_option("--maps", outPrefix, "Write each map to PREFIX-METHOD-N.tsv");
    app.add_option("--threads", threads, "Compute threads (0: all cores)");
    bool estimateOnly = false;
    app.add_flag("--estimate-only", estimateOnly,
                 "Print the modelled map time (upstep/eval/mapestimate.h) of each size and method; map nothing");
    CLI11_PARSE(app, argc, argv);
    try {
        if (estimateOnly) {
            setComputeThreads(threads);
            const auto dim = readTsv(features, 1).size(1);
            for (const auto n : replicate > 0 ? std::vector<std::int64_t>{replicate} : sizes)
                for (const auto &method : methods) {
                    EmbedJob job;
                    job.method = method == "umap" ? EmbedMethod::Umap : EmbedMethod::Tsne;
                    const auto e = estimateMapCost(job, n, dim, false, -1, torch::get_num_threads());
                    std::cout << nlohmann::json{{"tool", "upstep-estimate"},
                                                {"method", method},
                                                {"n", n},
                                                {"threads", torch::get_num_threads()},
                                                {"neighbour_s", e.neighbourSeconds},
                                                {"map_s", e.neighbourSeconds + e.layoutSeconds}}
                                     .dump()
                              << std::endl;
                }
            return 0;
        }
        setComputeThreads(threads);
        torch::Tensor all;
        if (replicate > 0) {
            std::ifstream in(features);
            std::int64_t rows = 0;
            for (std::string line; std::getline(in, line);)
                ++rows;
            const auto table = readTsv(features, rows);
            auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
            const auto copies = (replicate + rows - 1) / rows;
            all = table.repeat({copies, 1}).slice(0, 0, replicate);
            all += at::normal(0, noise * table.std().item<double>(), all.sizes(), generator);
            sizes = {replicate};
        } else {
            all = readTsv(features, *std::max_element(sizes.begin(), sizes.end()));
        }
        for (const auto n : sizes) {
            const auto x = all.slice(0, 0, n).contiguous();
            auto start = Clock::now();
            const auto pca = projectPca(fitPca(x, 2), x);
            const double pcaSeconds = secondsSince(start);
            for (const auto &method : methods) {
                start = Clock::now();
                torch::Tensor map;
                nlohmann::json row{{"tool", "upstep"},
                                   {"method", method},
                                   {"n", n},
                                   {"dim", x.size(1)},
                                   {"threads", torch::get_num_threads()},
                                   {"pca_s", pcaSeconds}};
                if (method == "tsne") {
                    const auto result = runTsne(x, TsneConfig{});
                    map = recordNeighbours(row, result);
                    row["kl"] = result.klDivergence;
                    row["attraction_s"] = result.attractionSeconds;
                    row["repulsion_s"] = result.repulsionSeconds;
                } else if (method == "umap") {
                    const auto result = runUmap(x, UmapConfig{});
                    map = recordNeighbours(row, result);
                    row["epochs"] = result.epochs;
                } else {
                    throw std::runtime_error("unknown method " + method + " (tsne or umap)");
                }
                row["map_s"] = secondsSince(start);
                row["peak_rss_gb"] = upstep::bench::peakResidentBytes() / (1 << 30);
                row["trust_sample5000"] = sampledTrustworthiness(x, map, 10, 5000, 0);
                row["trust_pca_sample5000"] = sampledTrustworthiness(x, pca, 10, 5000, 0);
                std::cout << row.dump() << std::endl;
                if (!outPrefix.empty())
                    writeMap(outPrefix + "-" + method + "-" + std::to_string(n) + ".tsv", map);
            }
        }
    } catch (const std::exception &e) {
        std::cerr << "upstep-bench-tsne: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
