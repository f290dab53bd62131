// `upstep-bench-eval`: times the evaluation's two classifiers after the features, the weighted
// kNN (memory bank in chunks) and the L-BFGS linear probe (streamed over row chunks), for each
// memory/training size asked, against a fixed number of queries. The features are seeded
// Gaussian class blobs of the given width: the work of both depends on the sizes, not on the
// values (the probe's L-BFGS may stop early on easy data; the rows say how many evaluations it
// made). Reports seconds and the process's peak resident memory, one JSON object per line: run
// one size per process for a peak that belongs to that size.
// The rates behind upstep/eval/evalestimate.h come from this benchmark.
#include "upstep/common/hardware.h"
#include "upstep/eval/evalestimate.h"
#include "eval/knnclassifier.h"
#include "eval/linearprobe.h"
#include "benchmeasure.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace {

using namespace upstep::core;
using upstep::bench::Clock;
using upstep::bench::secondsSince;

struct Blobs {
    torch::Tensor features, labels;
};

/// rows around the class centres, labels drawn evenly.
Blobs blobs(const torch::Tensor &centres, std::int64_t rows, std::uint64_t seed)
{
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto classes = centres.size(0), dim = centres.size(1);
    Blobs b;
    b.labels = at::randint(0, classes, {rows}, generator, torch::kInt64);
    // In place: one rows x dim table at a time, so the process's peak is the classifiers'.
    b.features = at::normal(0, 1.5, {rows, dim}, generator);
    for (std::int64_t start = 0; start < rows; start += 65536) {
        const auto length = std::min<std::int64_t>(65536, rows - start);
        b.features.narrow(0, start, length).add_(centres.index_select(0, b.labels.narrow(0, start, length)));
    }
    return b;
}

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"Times upstep's kNN and linear probe on seeded features"};
    std::vector<std::int64_t> sizes{10000, 60000};
    std::int64_t queries = 10000, dim = 192, classes = 10;
    int threads = 0;
    app.add_option("--sizes", sizes, "Memory / training rows")->delimiter(',')->capture_default_str();
    app.add_option("--queries", queries, "Query / test rows")->capture_default_str();
    app.add_option("--dim", dim, "Feature width")->capture_default_str();
    app.add_option("--classes", classes, "Classes")->capture_default_str();
    app.add_option("--threads", threads, "Compute threads (0: all cores)");
    CLI11_PARSE(app, argc, argv);
    try {
        setComputeThreads(threads);
        auto generator = at::make_generator<at::CPUGeneratorImpl>(0);
        const auto centres = at::normal(0, 0.3, {classes, dim}, generator);
        const auto test = blobs(centres, queries, 2);
        for (const auto n : sizes) {
            const auto train = blobs(centres, n, 1);
            auto start = Clock::now();
            const auto knn = knnClassify(train.features, train.labels, test.features, test.labels);
            const double knnSeconds = secondsSince(start);
            start = Clock::now();
            const auto linear = linearProbe(train.features, train.labels, test.features, test.labels);
            const double linearSeconds = secondsSince(start);
            EvalCostShape shape;
            shape.trainImages = n;
            shape.testImages = queries;
            shape.featureDim = dim;
            shape.classes = classes;
            const auto estimate = estimateEvalCost(shape, torch::get_num_threads());
            std::cout << nlohmann::json{{"tool", "upstep-bench-eval"},
                                        {"train", n},
                                        {"test", queries},
                                        {"dim", dim},
                                        {"classes", classes},
                                        {"threads", torch::get_num_threads()},
                                        {"knn_s", knnSeconds},
                                        {"knn_top1", knn.top1},
                                        {"linear_s", linearSeconds},
                                        {"linear_top1", linear.top1},
                                        {"estimate_knn_s", estimate.knnSeconds},
                                        {"estimate_linear_s", estimate.linearSeconds},
                                        {"estimate_peak_gb", static_cast<double>(estimate.peakBytes) / (1 << 30)},
                                        {"peak_rss_gb", upstep::bench::peakResidentBytes() / (1 << 30)}}
                             .dump()
                      << std::endl;
        }
    } catch (const std::exception &e) {
        std::cerr << "upstep-bench-eval: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
