#include "upstep/run/trainconfig.h"

#include "upstep/common/error.h"
#include "upstep/common/hardware.h"
#include "upstep/common/jsontext.h"
#include "upstep/io/atomicfile.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <type_traits>

namespace upstep::core {

namespace {

// One table drives both directions, so the schema cannot drift between writer and reader.
template <typename Visitor>
void visitFields(TrainConfig &c, Visitor &&v)
{
    v("weights", c.weights);
    v("arch", c.arch);
    v("target", c.target);
    v("source_probe", c.sourceProbe);
    v("target_test", c.targetTest);
    v("steps", c.steps);
    v("epochs", c.epochs);
    v("batch_size", c.batchSize);
    v("learning_rate", c.learningRate);
    v("weight_decay", c.weightDecay);
    v("warmup_fraction", c.warmupFraction);
    v("lr_schedule", c.lrSchedule);
    v("grad_clip", c.gradClip);
    v("tuning", c.tuning);
    v("lora_rank", c.loraRank);
    v("lora_alpha", c.loraAlpha);
    v("lora_targets", c.loraTargets);
    v("prototypes", c.prototypes);
    v("prototype_init", c.prototypeInit);
    v("sinkhorn_epsilon", c.sinkhornEpsilon);
    v("sinkhorn_iterations", c.sinkhornIterations);
    v("temperature", c.temperature);
    v("offline", c.offline);
    v("ema_momentum", c.emaMomentum);
    v("cvr_term", c.cvrTerm);
    v("cvr_space", c.cvrSpace);
    v("cvr_lambda", c.cvrLambda);
    v("cvr_momentum", c.cvrMomentum);
    v("cvr_beta", c.cvrBeta);
    v("gate", c.gate);
    v("gate_quantile", c.gateQuantile);
    v("small_crops", c.smallCrops);
    v("scale_min", c.scaleMin);
    v("horizontal_flip", c.horizontalFlip);
    v("color_jitter", c.colorJitter);
    v("probe_images", c.probeImages);
    v("source_probe_images", c.sourceProbeImages);
    v("log_every", c.logEvery);
    v("source_probe_every", c.sourceProbeEvery);
    v("precision", c.precision);
    v("device", c.device);
    v("threads", c.threads);
    v("workers", c.workers);
    v("decoded_cache", c.decodedCache);
    v("seed", c.seed);
    v("checkpoint_every", c.checkpointEvery);
    v("keep_checkpoints", c.keepCheckpoints);
}

// Reads a whole number into T, refusing what T cannot hold instead of letting nlohmann wrap or
// truncate it (4294967328 read as int is 32; 20.9 as int is 20; -1 as uint64 is 2^64 - 1).
template <typename T>
T wholeNumber(const char *key, const nlohmann::json &j)
{
    const auto refuse = [&](const std::string &why) {
        return InputError(std::string("config key '") + key + "' " + why + " (got " + jsonText(j) + ")");
    };
    long double v = 0;
    if (j.is_number_unsigned())
        v = static_cast<long double>(j.get<std::uint64_t>());
    else if (j.is_number_integer())
        v = static_cast<long double>(j.get<std::int64_t>());
    else if (j.is_number_float() && std::isfinite(j.get<double>()) && std::trunc(j.get<double>()) == j.get<double>())
        v = j.get<double>();
    else if (j.is_number())
        throw refuse("must be a whole number");
    else
        throw refuse(std::string("must be a number, not ") + j.type_name());
    if (v < static_cast<long double>(std::numeric_limits<T>::min()) ||
        v > static_cast<long double>(std::numeric_limits<T>::max()))
        throw refuse("is out of range [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
                     std::to_string(std::numeric_limits<T>::max()) + "]");
    return static_cast<T>(v);
}

template <typename T>
void readField(const char *key, const nlohmann::json &j, T &value)
{
    using V = std::decay_t<T>;
    if constexpr (std::is_enum_v<V>) {
        value = choiceFromName<V>(j.get<std::string>());
    } else if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
        value = wholeNumber<V>(key, j);
    } else if constexpr (std::is_floating_point_v<V>) {
        if (!j.is_number())
            throw InputError(std::string("config key '") + key + "' must be a number, not " + j.type_name());
        value = j.get<V>();
    } else {
        j.get_to(value);
    }
}

void require(bool ok, const std::string &message)
{
    if (!ok)
        throw InputError(message);
}

} // namespace

nlohmann::json trainConfigToJson(const TrainConfig &config)
{
    nlohmann::json json;
    json["schema"] = "upstep.train/1";
    auto copy = config;
    visitFields(copy, [&](const char *key, auto &value) {
        if constexpr (std::is_enum_v<std::decay_t<decltype(value)>>)
            json[key] = choiceName(value);
        else
            json[key] = value;
    });
    return json;
}

TrainConfig trainConfigFromJson(const nlohmann::json &json)
{
    if (!json.is_object())
        throw InputError("a training config must be a JSON object");
    TrainConfig config;
    std::set<std::string> known{"schema"};
    visitFields(config, [&](const char *key, auto &value) {
        known.insert(key);
        const auto it = json.find(key);
        if (it == json.end() || it->is_null())
            return;
        try {
            readField(key, *it, value);
        } catch (const nlohmann::json::exception &) {
            throw InputError(std::string("config key '") + key + "' has the wrong type (" + it->type_name() + ")");
        }
    });
    for (const auto &[key, _] : json.items())
        if (!known.count(key))
            throw InputError("unknown config key '" + key + "'");
    if (json.contains("schema") && json["schema"] != "upstep.train/1")
        throw InputError("config schema " + jsonText(json["schema"]) + " is not upstep.train/1");
    return config;
}

TrainConfig loadTrainConfig(const std::string &file)
{
    std::ifstream in(file);
    if (!in)
        throw IoError(file, "cannot open the config file");
    try {
        return trainConfigFromJson(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception &e) { // parse_error, or out_of_range for 1e999
        throw FormatError(file, std::string("not valid JSON: ") + e.what());
    } catch (const InputError &e) {
        throw FormatError(file, e.what());
    }
}

void saveTrainConfig(const TrainConfig &config, const std::filesystem::path &file)
{
    writeJsonAtomically(file, trainConfigToJson(config));
}

void validateTrainConfig(const TrainConfig &c)
{
    // Every real-valued setting must be a number: NaN passes no range test below by accident.
    auto copy = c;
    visitFields(copy, [](const char *key, auto &value) {
        if constexpr (std::is_floating_point_v<std::decay_t<decltype(value)>>)
            require(std::isfinite(value), std::string(key) + " must be a finite number");
    });
    for (const auto *path : {&c.weights, &c.target, &c.sourceProbe, &c.targetTest})
        require(isValidUtf8(*path), "the path " + *path +
                                        " is not valid UTF-8, so config.json cannot store it for --resume; "
                                        "rename the file or folder");
    require(!c.weights.empty(), "no base weights given");
    require(!c.target.empty(), "no target folder given");
    require(c.steps >= 0 && c.epochs >= 0, "steps and epochs cannot be negative");
    require(c.steps > 0 || c.epochs > 0, "give a budget: steps or epochs");
    require(c.steps <= kMaxSteps, "steps must be at most " + std::to_string(kMaxSteps));
    require(c.epochs <= kMaxEpochs, "epochs must be at most " + std::to_string(static_cast<long long>(kMaxEpochs)));
    require(c.batchSize >= 2, "batch size must be at least 2 (Sinkhorn spreads a batch over the prototypes)");
    require(c.batchSize <= kMaxBatch,
            "batch size " + std::to_string(c.batchSize) + " is over the limit of " + std::to_string(kMaxBatch) +
                " (two 224-pixel views of " + std::to_string(c.batchSize) + " images alone take " +
                std::to_string(static_cast<long long>(c.batchSize * 2.0 * 3 * 224 * 224 * 4 / 1e9)) + " GB)");
    require(c.learningRate > 0 && c.learningRate < 1, "learning rate must lie in (0, 1)");
    require(c.weightDecay >= 0, "weight decay cannot be negative");
    require(c.warmupFraction >= 0 && c.warmupFraction < 1, "warm-up fraction must lie in [0, 1)");
    require(c.gradClip >= 0, "gradient clip cannot be negative");
    require(c.loraRank >= 1 && c.loraRank <= 1024, "LoRA rank must lie in [1, 1024]");
    require(c.loraAlpha > 0, "LoRA alpha must be positive");
    require(c.prototypes >= 2, "at least two prototypes are needed");
    require(c.prototypes <= kMaxPrototypes,
            std::to_string(c.prototypes) + " prototypes are over the limit of " + std::to_string(kMaxPrototypes) +
                " (the scores of one batch of 64 against them alone would take " +
                std::to_string(static_cast<long long>(64.0 * 2 * c.prototypes * 4 / 1e6)) + " MB)");
    require(c.sinkhornEpsilon > 0 && c.sinkhornIterations >= 1, "Sinkhorn needs epsilon > 0 and one iteration");
    require(c.sinkhornIterations <= kMaxSinkhornIterations,
            "sinkhorn_iterations must be at most " + std::to_string(kMaxSinkhornIterations) + " (3 is the default)");
    require(c.temperature > 0, "temperature must be positive");
    require(c.emaMomentum >= 0 && c.emaMomentum <= 1, "EMA momentum must lie in [0, 1]");
    require(c.cvrLambda >= 0, "CVR lambda cannot be negative");
    require(c.cvrMomentum >= 0 && c.cvrMomentum < 1 && c.cvrBeta >= 0 && c.cvrBeta < 1,
            "CVR momentum and beta must lie in [0, 1)");
    require(c.gateQuantile > 0 && c.gateQuantile < 1, "gate quantile must lie in (0, 1)");
    require(c.smallCrops >= 0 && c.smallCrops <= 16, "small crops must lie in [0, 16]");
    require(c.scaleMin > 0 && c.scaleMin <= 1, "scale_min must lie in (0, 1]");
    require(c.probeImages >= 2 && c.probeImages <= kMaxProbeImages,
            "probe_images must lie in [2, " + std::to_string(kMaxProbeImages) + "]");
    require(c.sourceProbeImages >= 2 && c.sourceProbeImages <= kMaxProbeImages,
            "source_probe_images must lie in [2, " + std::to_string(kMaxProbeImages) + "]");
    require(c.logEvery >= 1 && c.sourceProbeEvery >= 1, "logging intervals must be at least 1");
    parseDevice(c.device);
    require(c.threads >= 0 && c.threads <= maxUsefulThreads(),
            "threads must lie in [0, " + std::to_string(maxUsefulThreads()) + "] (4 per core; 0 leaves it alone)");
    require(c.workers >= 1 && c.workers <= kMaxWorkers, "workers must lie in [1, " + std::to_string(kMaxWorkers) + "]");
    require(c.checkpointEvery >= 0 && c.keepCheckpoints >= 1 && c.keepCheckpoints <= kMaxKeptCheckpoints,
            "checkpoint_every >= 0 and keep_checkpoints in [1, " + std::to_string(kMaxKeptCheckpoints) + "]");
}

} // namespace upstep::core
