#pragma once
// The numbers of an evaluation (docs/METHOD.md §6), as plain values: what the CLI prints, what the
// workbench's result card shows and what eval --json writes. Torch-free.
//
// Threading: plain value types.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

struct ProbeScores {
    static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
    double knnTop1 = kUnset;
    double linearTop1 = kUnset;
};

/// One class's top-1 before and after adaptation, from the same predictions as the overall score.
struct ClassScores {
    std::string name;
    std::int64_t images = 0; ///< scored images of this class
    double base = ProbeScores::kUnset;
    double adapted = ProbeScores::kUnset; ///< unset without an adapter
};

struct SourceScores {
    double headTop1Base = ProbeScores::kUnset; ///< unset when the base weights have no head
    double headTop1Adapted = ProbeScores::kUnset;
    double knnTop1Base = ProbeScores::kUnset;
    double knnTop1Adapted = ProbeScores::kUnset;
    std::int64_t images = 0;
    /// Forgetting by source class: the base head's top-1 where the weights have a head, else the
    /// split kNN's (perClassFromHead says which), on the images that score was computed on.
    std::vector<ClassScores> perClass;
    bool perClassFromHead = false;
};

struct EvalReport {
    ProbeScores base;
    std::optional<ProbeScores> adapted, ensemble;
    std::optional<SourceScores> source;
    std::int64_t trainImages = 0, testImages = 0;
    std::vector<std::string> classes;
    std::vector<ClassScores> perClass; ///< target gain by class: kNN top-1 on the test images
    double seconds = 0;
};

/// {"base": {"knn_top1", "linear_top1"}, "adapted": {...}, "ensemble": {...},
///  "source": {"head_top1_base", "head_top1_adapted", "head_drop", "knn_top1_base", ...,
///             "per_class_measure", "per_class": [{"class", "images", "top1_base", "top1_adapted", "drop"}]},
///  "per_class": [{"class", "images", "knn_top1_base", "knn_top1_adapted", "gain"}], ...}
nlohmann::json evalReportToJson(const EvalReport &report);
/// The inverse of evalReportToJson; missing numbers stay unset. Throws nlohmann::json::exception on wrong types.
EvalReport evalReportFromJson(const nlohmann::json &json);

/// The one writer of eval.json: evalReportToJson(report), atomically.
void saveEvalReport(const EvalReport &report, const std::filesystem::path &file);

} // namespace upstep::core
