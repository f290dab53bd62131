#pragma once
// A sweep (docs/TRAINING.md, "Sweeps"): one base config, the variants to run on it, the seeds,
// and how each run is scored. `upstep sweep` runs the plan's runs one after another into one
// folder, skips those already finished and writes one table. The plan is a JSON file:
//
//   {"schema": "upstep.sweep/1",
//    "config": {...config.json keys...} or "path/to/config.json",
//    "variants": [{"name": "defaults", "seeds": [0, 1, 2]},
//                 {"name": "no-gate", "set": {"gate": "none"}}],
//    "grid": {"cvr_lambda": [0, 1, 5]},          every combination, crossed with the variants
//    "seeds": [0],                                for the variants without seeds of their own
//    "validation": {"folder": "...", "images": 10000, "source": "...", "source_images": 10000},
//    "test": {"train": "...", "test": "...", "source": "...", "max_train": 10000},
//    "eval_seed": 0}                               the subsets and halves of every run's scoring
//
// Relative paths (in the config, in a variant's "set", and in the scoring sections) are read
// against the plan file's folder, or "plan_folder" when given (the sweep folder's copy of a plan
// names it). Validation scores a seeded half/half
// split of a labeled folder (carved from the *training* images, for choosing); test scores the
// held-out test folders (for reporting).
//
// Threading: pure functions over small files; torch-free.

#include "upstep/eval/evaljob.h"
#include "upstep/run/trainconfig.h"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

struct SweepRun {
    std::string name;    ///< its folder's name in the sweep folder: variant, settings, seed
    std::string variant; ///< the variant's name, shared by its seeds
    TrainConfig config;
};

struct SweepPlan {
    std::vector<SweepRun> runs;
    /// Templates: weights, adapter and seed are filled in per run. Unset: not scored that way.
    std::optional<EvalJob> validation, test;
};

/// Expands the plan: variants (or one, "defaults") x grid combinations x seeds, seed by seed
/// (every variant's first seed, then every second one, ...). Throws
/// InputError naming the key that is wrong, or two runs that would share a folder.
SweepPlan sweepPlanFromJson(const nlohmann::json &json, const std::filesystem::path &planFolder);
SweepPlan loadSweepPlan(const std::filesystem::path &file);

/// The evaluation job of one run of the plan, from a template: the run's base, adapter, device
/// and precision; the template's folders, sizes and seed (the plan's eval_seed, for all runs).
EvalJob sweepEvalJob(const EvalJob &templ, const SweepRun &run, const std::filesystem::path &runDir);

} // namespace upstep::core
