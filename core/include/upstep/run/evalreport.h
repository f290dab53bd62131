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

struct SourceScores {
    double headTop1Base = ProbeScores::kUnset; ///< unset when the base weights have no head
    double headTop1Adapted = ProbeScores::kUnset;
    double knnTop1Base = ProbeScores::kUnset;
    double knnTop1Adapted = ProbeScores::kUnset;
    std::int64_t images = 0;
};

struct EvalReport {
    ProbeScores base;
    std::optional<ProbeScores> adapted, ensemble;
    std::optional<SourceScores> source;
    std::int64_t trainImages = 0, testImages = 0;
    std::vector<std::string> classes;
    double seconds = 0;
};

/// {"base": {"knn_top1", "linear_top1"}, "adapted": {...}, "ensemble": {...},
///  "source": {"head_top1_base", "head_top1_adapted", "head_drop", "knn_top1_base", ...}, ...}
nlohmann::json evalReportToJson(const EvalReport &report);
/// The inverse of evalReportToJson; missing numbers stay unset. Throws nlohmann::json::exception on wrong types.
EvalReport evalReportFromJson(const nlohmann::json &json);

/// The one writer of eval.json: evalReportToJson(report), atomically.
void saveEvalReport(const EvalReport &report, const std::filesystem::path &file);

} // namespace upstep::core
