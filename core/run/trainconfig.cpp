#include "upstep/run/trainconfig.h"

#include "upstep/common/error.h"
#include "upstep/io/atomicfile.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <type_traits>
#include <set>

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
    v("grad_clip", c.gradClip);
    v("lora_rank", c.loraRank);
    v("lora_alpha", c.loraAlpha);
    v("lora_targets", c.loraTargets);
    v("prototypes", c.prototypes);
    v("sinkhorn_epsilon", c.sinkhornEpsilon);
    v("sinkhorn_iterations", c.sinkhornIterations);
    v("temperature", c.temperature);
    v("offline", c.offline);
    v("ema_momentum", c.emaMomentum);
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
    v("seed", c.seed);
    v("checkpoint_every", c.checkpointEvery);
    v("keep_checkpoints", c.keepCheckpoints);
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
            if constexpr (std::is_enum_v<std::decay_t<decltype(value)>>)
                value = choiceFromName<std::decay_t<decltype(value)>>(it->get<std::string>());
            else
                it->get_to(value);
        } catch (const nlohmann::json::exception &) {
            throw InputError(std::string("config key '") + key + "' has the wrong type (" + it->type_name() + ")");
        }
    });
    for (const auto &[key, _] : json.items())
        if (!known.count(key))
            throw InputError("unknown config key '" + key + "'");
    if (json.contains("schema") && json["schema"] != "upstep.train/1")
        throw InputError("config schema " + json["schema"].dump() + " is not upstep.train/1");
    return config;
}

TrainConfig loadTrainConfig(const std::string &file)
{
    std::ifstream in(file);
    if (!in)
        throw IoError(file, "cannot open the config file");
    try {
        return trainConfigFromJson(nlohmann::json::parse(in));
    } catch (const nlohmann::json::parse_error &e) {
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
    require(!c.weights.empty(), "no base weights given");
    require(!c.target.empty(), "no target folder given");
    require(c.steps >= 0 && c.epochs >= 0, "steps and epochs cannot be negative");
    require(c.steps > 0 || c.epochs > 0, "give a budget: steps or epochs");
    require(c.batchSize >= 2, "batch size must be at least 2 (Sinkhorn spreads a batch over the prototypes)");
    require(c.learningRate > 0 && c.learningRate < 1, "learning rate must lie in (0, 1)");
    require(c.weightDecay >= 0, "weight decay cannot be negative");
    require(c.warmupFraction >= 0 && c.warmupFraction < 1, "warm-up fraction must lie in [0, 1)");
    require(c.gradClip >= 0, "gradient clip cannot be negative");
    require(c.loraRank >= 1 && c.loraRank <= 1024, "LoRA rank must lie in [1, 1024]");
    require(c.loraAlpha > 0, "LoRA alpha must be positive");
    require(c.prototypes >= 2, "at least two prototypes are needed");
    require(c.sinkhornEpsilon > 0 && c.sinkhornIterations >= 1, "Sinkhorn needs epsilon > 0 and one iteration");
    require(c.temperature > 0, "temperature must be positive");
    require(c.emaMomentum >= 0 && c.emaMomentum <= 1, "EMA momentum must lie in [0, 1]");
    require(c.cvrLambda >= 0, "CVR lambda cannot be negative");
    require(c.cvrMomentum >= 0 && c.cvrMomentum < 1 && c.cvrBeta >= 0 && c.cvrBeta < 1,
            "CVR momentum and beta must lie in [0, 1)");
    require(c.gateQuantile > 0 && c.gateQuantile < 1, "gate quantile must lie in (0, 1)");
    require(c.smallCrops >= 0 && c.smallCrops <= 16, "small crops must lie in [0, 16]");
    require(c.scaleMin > 0 && c.scaleMin <= 1, "scale_min must lie in (0, 1]");
    require(c.probeImages >= 2, "the probe sample needs at least two images");
    require(c.logEvery >= 1 && c.sourceProbeEvery >= 1, "logging intervals must be at least 1");
    parseDevice(c.device);
    require(c.threads >= 0 && c.workers >= 1, "threads cannot be negative and at least one worker is needed");
    require(c.checkpointEvery >= 0 && c.keepCheckpoints >= 1, "checkpoint_every >= 0 and keep_checkpoints >= 1");
}

} // namespace upstep::core
