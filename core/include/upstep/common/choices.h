#pragma once
// The named choices of configs, run files and the command line, each with one name table. A
// table is the only place a choice's names are spelled: the JSON readers and writers, the CLI's
// option checks and help texts, and the workbench's menus all read it, so a new value is added in
// one line and every front end offers it.
//
// Threading: constant tables and pure functions; safe from any thread.

#include "upstep/common/error.h"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

template <typename Enum>
struct Choice {
    Enum value;
    const char *name; ///< as it appears in JSON files and on the command line
};

/// Specialised once per choice below: `what` names the setting in error messages, `table` lists
/// every value with its name.
template <typename Enum>
struct ChoiceTable;

/// Number format of the model's matrix products. The loss and the stored features stay float32.
enum class Precision { Auto, Fp32, Bf16 };
template <>
struct ChoiceTable<Precision> {
    static constexpr const char *what = "precision";
    static constexpr auto table = std::to_array<Choice<Precision>>(
        {{Precision::Auto, "auto"}, {Precision::Fp32, "fp32"}, {Precision::Bf16, "bf16"}});
};

/// Which kind of device runs the model; a CUDA device also carries an index (DeviceChoice).
enum class DeviceKind { Auto, Cpu, Cuda };
template <>
struct ChoiceTable<DeviceKind> {
    static constexpr const char *what = "device";
    static constexpr auto table = std::to_array<Choice<DeviceKind>>(
        {{DeviceKind::Auto, "auto"}, {DeviceKind::Cpu, "cpu"}, {DeviceKind::Cuda, "cuda"}});
};

/// Whether an iteration back-propagates (docs/METHOD.md §5): every second one, the batches whose
/// loss or whose center-vector term is high among the recent ones, or every one.
enum class GatePolicy { Alternate, LossQuantile, Center, None };
template <>
struct ChoiceTable<GatePolicy> {
    static constexpr const char *what = "gate";
    static constexpr auto table = std::to_array<Choice<GatePolicy>>({{GatePolicy::Alternate, "alternate"},
                                                                     {GatePolicy::LossQuantile, "loss-quantile"},
                                                                     {GatePolicy::Center, "center"},
                                                                     {GatePolicy::None, "none"}});
};

/// What center vector regularisation penalises (docs/METHOD.md §5): the distance of the center
/// of the normalised features from the base model's (anchor), or its length (magnitude: a long
/// center means the features crowd into one direction, the mark of collapse).
enum class CvrTerm { Anchor, Magnitude };
template <>
struct ChoiceTable<CvrTerm> {
    static constexpr const char *what = "CVR term";
    static constexpr auto table = std::to_array<Choice<CvrTerm>>(
        {{CvrTerm::Anchor, "anchor"}, {CvrTerm::Magnitude, "magnitude"}});
};

/// Where the center vector of CVR is taken (docs/METHOD.md §5): over the backbone's pooled
/// features (what the user keeps), or over the projection head's outputs (what the clustering
/// sees; the head is not exported).
enum class CvrSpace { Features, Head };
template <>
struct ChoiceTable<CvrSpace> {
    static constexpr const char *what = "CVR space";
    static constexpr auto table = std::to_array<Choice<CvrSpace>>(
        {{CvrSpace::Features, "features"}, {CvrSpace::Head, "head"}});
};

/// How the fixed prototypes are placed (docs/METHOD.md §2): seeded random directions, or the
/// k-means centroids of the target images as the base model and the untrained head see them.
enum class PrototypeInit { Random, Kmeans };
template <>
struct ChoiceTable<PrototypeInit> {
    static constexpr const char *what = "prototype init";
    static constexpr auto table = std::to_array<Choice<PrototypeInit>>(
        {{PrototypeInit::Random, "random"}, {PrototypeInit::Kmeans, "kmeans"}});
};

/// The learning rate after its linear warm-up: a cosine decay to zero, or constant.
enum class LrSchedule { Cosine, Constant };
template <>
struct ChoiceTable<LrSchedule> {
    static constexpr const char *what = "schedule";
    static constexpr auto table = std::to_array<Choice<LrSchedule>>(
        {{LrSchedule::Cosine, "cosine"}, {LrSchedule::Constant, "constant"}});
};

/// What trains: low-rank adapters on the frozen backbone (the method), or every backbone weight
/// (full fine-tuning with the same objective: a baseline, with the model's size in optimiser
/// state and a whole model, not an adapter, as its result).
enum class Tuning { Lora, Full };
template <>
struct ChoiceTable<Tuning> {
    static constexpr const char *what = "tuning";
    static constexpr auto table = std::to_array<Choice<Tuning>>({{Tuning::Lora, "lora"}, {Tuning::Full, "full"}});
};

/// Where the clustering targets come from (docs/METHOD.md §3): an EMA of the adapters and head,
/// or the online model's own scores, detached.
enum class OfflineStream { Ema, Shared };
template <>
struct ChoiceTable<OfflineStream> {
    static constexpr const char *what = "offline";
    static constexpr auto table = std::to_array<Choice<OfflineStream>>(
        {{OfflineStream::Ema, "ema"}, {OfflineStream::Shared, "shared"}});
};

/// How a run ended, as summary.json records it; Incomplete: no summary yet (running or killed).
enum class RunStatus { Finished, Stopped, Diverged, Incomplete };
template <>
struct ChoiceTable<RunStatus> {
    static constexpr const char *what = "status";
    static constexpr auto table = std::to_array<Choice<RunStatus>>({{RunStatus::Finished, "finished"},
                                                                    {RunStatus::Stopped, "stopped"},
                                                                    {RunStatus::Diverged, "diverged"},
                                                                    {RunStatus::Incomplete, "incomplete"}});
};

/// What an export writes: a PEFT adapter folder, or the base weights with LoRA folded in.
enum class ExportFormat { Peft, Merged };
template <>
struct ChoiceTable<ExportFormat> {
    static constexpr const char *what = "format";
    static constexpr auto table = std::to_array<Choice<ExportFormat>>(
        {{ExportFormat::Peft, "peft"}, {ExportFormat::Merged, "merged"}});
};

/// How an embedding map is made: exact PCA, or one joint t-SNE or UMAP map of both sides.
enum class EmbedMethod { Pca, Tsne, Umap };
template <>
struct ChoiceTable<EmbedMethod> {
    static constexpr const char *what = "method";
    static constexpr auto table = std::to_array<Choice<EmbedMethod>>(
        {{EmbedMethod::Pca, "pca"}, {EmbedMethod::Tsne, "tsne"}, {EmbedMethod::Umap, "umap"}});
};

/// Whether a run reads the target's decoded-image cache (docs/PERFORMANCE.md): use one that
/// exists, build it first when missing, or always decode the files.
enum class DecodedCacheMode { Auto, Build, Off };
template <>
struct ChoiceTable<DecodedCacheMode> {
    static constexpr const char *what = "decoded cache";
    static constexpr auto table = std::to_array<Choice<DecodedCacheMode>>(
        {{DecodedCacheMode::Auto, "auto"}, {DecodedCacheMode::Build, "build"}, {DecodedCacheMode::Off, "off"}});
};

/// Every name of a choice, in table order: for CLI checks and menus.
template <typename Enum>
std::vector<std::string> choiceNames()
{
    std::vector<std::string> names;
    for (const auto &choice : ChoiceTable<Enum>::table)
        names.emplace_back(choice.name);
    return names;
}

/// "a, b or c": the names for help texts and error messages.
template <typename Enum>
std::string choiceList()
{
    const auto &table = ChoiceTable<Enum>::table;
    std::string list;
    for (std::size_t i = 0; i < table.size(); ++i)
        list += (i == 0 ? "" : i + 1 == table.size() ? " or " : ", ") + std::string(table[i].name);
    return list;
}

template <typename Enum>
std::string choiceName(Enum value)
{
    for (const auto &choice : ChoiceTable<Enum>::table)
        if (choice.value == value)
            return choice.name;
    throw Error(std::string("no name for this ") + ChoiceTable<Enum>::what + " value");
}

/// The value called `name`, or nullopt.
template <typename Enum>
std::optional<Enum> findChoice(const std::string &name)
{
    for (const auto &choice : ChoiceTable<Enum>::table)
        if (name == choice.name)
            return choice.value;
    return std::nullopt;
}

/// The value called `name`. Throws InputError: "<what> must be a, b or c, got 'name'".
template <typename Enum>
Enum choiceFromName(const std::string &name)
{
    if (const auto value = findChoice<Enum>(name))
        return *value;
    throw InputError(std::string(ChoiceTable<Enum>::what) + " must be " + choiceList<Enum>() + ", got '" + name + "'");
}

/// A device by name: "auto", "cpu", "cuda" (the current CUDA device) or "cuda:N".
struct DeviceChoice {
    DeviceKind kind = DeviceKind::Auto;
    int index = -1; ///< cuda:N; -1 for the current device
};

/// Parses a device name. Throws InputError "device must be auto, cpu, cuda or cuda:N, got '...'".
DeviceChoice parseDevice(const std::string &name);
std::string deviceName(const DeviceChoice &device);

} // namespace upstep::core
