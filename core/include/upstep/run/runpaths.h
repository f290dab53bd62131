#pragma once
// Where each file of a run folder lives. The run folder is the unit the command line, the
// workbench and the exports share; docs/ARCHITECTURE.md describes its files and who writes them.
//
// Threading: a plain value type.

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

namespace upstep::core {

/// Folder layout of a run.
struct RunPaths {
    explicit RunPaths(std::filesystem::path root) : root(std::move(root)) {}
    std::filesystem::path root;
    std::filesystem::path config() const { return root / "config.json"; }
    std::filesystem::path metrics() const { return root / "metrics.jsonl"; }
    std::filesystem::path checkpoints() const { return root / "checkpoints"; }
    std::filesystem::path adapter() const { return root / "adapter.safetensors"; }
    /// tuning full: the whole fine-tuned backbone (upstep's layout, loadable as base weights).
    std::filesystem::path fineTuned() const { return root / "model.safetensors"; }
    std::filesystem::path summary() const { return root / "summary.json"; }
    std::filesystem::path evaluation() const { return root / "eval.json"; } ///< evalReportToJson, when evaluated
};

/// The steps of the checkpoints a run folder holds, oldest first (none for a missing folder).
/// A run keeps its newest keep_checkpoints of them.
std::vector<std::int64_t> checkpointSteps(const std::filesystem::path &runDir);

} // namespace upstep::core
