#include "upstep/train/sweepplan.h"

#include "upstep/common/error.h"
#include "upstep/common/jsontext.h"
#include "upstep/run/runrecord.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <set>

namespace upstep::core {

namespace {

std::string absoluteFrom(const std::filesystem::path &folder, const std::string &path)
{
    if (path.empty())
        return path;
    const std::filesystem::path p(path);
    return (p.is_absolute() ? p : folder / p).lexically_normal().string();
}

nlohmann::json readJsonFile(const std::filesystem::path &file)
{
    std::ifstream in(file);
    if (!in)
        throw IoError(file, "cannot open the file");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(file, std::string("not valid JSON: ") + e.what());
    }
}

constexpr const char *kPathKeys[] = {"weights", "target", "source_probe", "target_test"};

void absolutePaths(nlohmann::json &config, const std::filesystem::path &folder)
{
    for (const char *key : kPathKeys)
        if (config.contains(key) && config[key].is_string())
            config[key] = absoluteFrom(folder, config[key].get<std::string>());
}

// The base config as JSON, its paths made absolute against where it was written.
nlohmann::json baseConfig(const nlohmann::json &given, const std::filesystem::path &planFolder)
{
    nlohmann::json json = given;
    std::filesystem::path folder = planFolder;
    if (given.is_string()) {
        const auto file = std::filesystem::path(absoluteFrom(planFolder, given.get<std::string>()));
        json = readJsonFile(file);
        folder = file.parent_path();
    }
    if (!json.is_object())
        throw InputError("sweep key 'config' must be a config object or the path of a config.json");
    absolutePaths(json, folder);
    return json;
}

// A folder-safe rendering of a setting's value: 0.5, alternate, qkv+proj.
std::string valueText(const nlohmann::json &value)
{
    std::string text;
    if (value.is_string())
        text = value.get<std::string>();
    else if (value.is_array()) {
        for (const auto &item : value)
            text += (text.empty() ? "" : "+") + valueText(item);
    } else
        text = jsonText(value);
    for (auto &c : text)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' && c != '_')
            c = '_';
    return text;
}

struct Variant {
    std::string name;
    nlohmann::json set = nlohmann::json::object();
    std::optional<std::vector<std::uint64_t>> seeds; ///< its own seeds, instead of the plan's
};

std::vector<std::uint64_t> seedList(const nlohmann::json &value, const std::string &where)
{
    if (!value.is_array() || value.empty())
        throw InputError(where + " 'seeds' must be a non-empty list of whole numbers");
    std::vector<std::uint64_t> seeds;
    for (const auto &s : value) {
        if (!s.is_number_integer() || s.get<std::int64_t>() < 0) // JSON text gives unsigned, code signed
            throw InputError(where + " seeds must be whole numbers >= 0, got " + jsonText(s));
        seeds.push_back(s.get<std::uint64_t>());
    }
    return seeds;
}

std::vector<Variant> variantsOf(const nlohmann::json &plan)
{
    std::vector<Variant> variants;
    const auto it = plan.find("variants");
    if (it == plan.end()) {
        variants.push_back({"defaults"});
    } else {
        if (!it->is_array() || it->empty())
            throw InputError("sweep key 'variants' must be a non-empty list of {\"name\", \"set\"}");
        for (const auto &v : *it) {
            if (!v.is_object() || !v.contains("name") || !v["name"].is_string() || v["name"].get<std::string>().empty())
                throw InputError("every sweep variant needs a \"name\"");
            Variant variant{valueText(v["name"])};
            if (v.contains("set")) {
                if (!v["set"].is_object())
                    throw InputError("variant '" + variant.name + "': \"set\" must be an object of config keys");
                variant.set = v["set"];
            }
            if (v.contains("seeds"))
                variant.seeds = seedList(v["seeds"], "variant '" + variant.name + "':");
            for (const auto &[key, _] : v.items())
                if (key != "name" && key != "set" && key != "seeds")
                    throw InputError("variant '" + variant.name + "': unknown key '" + key + "'");
            variants.push_back(std::move(variant));
        }
    }
    const auto grid = plan.find("grid");
    if (grid == plan.end())
        return variants;
    if (!grid->is_object() || grid->empty())
        throw InputError("sweep key 'grid' must map config keys to lists of values");
    for (const auto &[key, values] : grid->items()) {
        if (!values.is_array() || values.empty())
            throw InputError("sweep grid key '" + key + "' must list at least one value");
        std::vector<Variant> crossed;
        for (const auto &variant : variants)
            for (const auto &value : values) {
                Variant v = variant;
                v.set[key] = value;
                v.name += "_" + key + "=" + valueText(value);
                crossed.push_back(std::move(v));
            }
        variants = std::move(crossed);
    }
    return variants;
}

// One seed for every run's scoring, so that runs of different seeds are scored on the same
// subsets and halves: the spread over seeds is then the training's alone.
std::uint64_t evalSeed(const nlohmann::json &plan)
{
    const auto it = plan.find("eval_seed");
    if (it == plan.end())
        return 0;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
        throw InputError("sweep key 'eval_seed' must be a whole number >= 0");
    return it->get<std::uint64_t>();
}

std::optional<EvalJob> validationJob(const nlohmann::json &plan, const std::filesystem::path &folder)
{
    const auto it = plan.find("validation");
    if (it == plan.end())
        return std::nullopt;
    const auto &v = *it;
    if (!v.is_object() || !v.contains("folder"))
        throw InputError("sweep key 'validation' needs a labeled \"folder\" (a part of the training images)");
    EvalJob job;
    job.seed = evalSeed(plan);
    job.test = absoluteFrom(folder, v.at("folder").get<std::string>()); // memory and queries: halves of it
    // `images` in all: half the kNN memory (and probe training set), half the queries. Both
    // halves are capped, or a large folder's whole other half would be the memory.
    const auto images = v.value("images", std::int64_t{10000});
    if (images < 2)
        throw InputError("sweep validation: \"images\" must be at least 2 (half memory, half queries)");
    job.maxTrain = images / 2;
    job.maxTest = images - images / 2;
    job.sourceTest = absoluteFrom(folder, v.value("source", std::string()));
    job.maxSource = v.value("source_images", std::int64_t{10000});
    for (const auto &[key, _] : v.items())
        if (key != "folder" && key != "images" && key != "source" && key != "source_images")
            throw InputError("sweep validation: unknown key '" + key + "'");
    return job;
}

std::optional<EvalJob> testJob(const nlohmann::json &plan, const std::filesystem::path &folder)
{
    const auto it = plan.find("test");
    if (it == plan.end())
        return std::nullopt;
    const auto &t = *it;
    if (!t.is_object() || !t.contains("test"))
        throw InputError("sweep key 'test' needs a labeled \"test\" folder");
    EvalJob job;
    job.seed = evalSeed(plan);
    job.train = absoluteFrom(folder, t.value("train", std::string()));
    job.test = absoluteFrom(folder, t.at("test").get<std::string>());
    job.sourceTest = absoluteFrom(folder, t.value("source", std::string()));
    job.maxTrain = t.value("max_train", std::int64_t{0});
    job.maxTest = t.value("max_test", std::int64_t{0});
    job.maxSource = t.value("max_source", std::int64_t{0});
    for (const auto &[key, _] : t.items())
        if (key != "train" && key != "test" && key != "source" && key != "max_train" && key != "max_test" &&
            key != "max_source")
            throw InputError("sweep test: unknown key '" + key + "'");
    return job;
}

} // namespace

SweepPlan sweepPlanFromJson(const nlohmann::json &plan, const std::filesystem::path &planFolder)
{
    if (!plan.is_object())
        throw InputError("a sweep plan must be a JSON object");
    for (const auto &[key, _] : plan.items())
        if (key != "schema" && key != "config" && key != "variants" && key != "grid" && key != "seeds" &&
            key != "validation" && key != "test" && key != "eval_seed" && key != "plan_folder")
            throw InputError("unknown sweep key '" + key + "'");
    if (plan.contains("schema") && plan["schema"] != "upstep.sweep/1")
        throw InputError("sweep schema " + jsonText(plan["schema"]) + " is not upstep.sweep/1");
    if (!plan.contains("config"))
        throw InputError("a sweep plan needs a base \"config\"");
    // A sweep folder's copy of its plan names the folder the plan was read against.
    const std::filesystem::path folder = plan.contains("plan_folder")
                                             ? std::filesystem::path(plan["plan_folder"].get<std::string>())
                                             : planFolder;
    const auto base = baseConfig(plan["config"], folder);
    std::vector<std::uint64_t> planSeeds;
    if (const auto it = plan.find("seeds"); it != plan.end())
        planSeeds = seedList(*it, "sweep key");

    // Seed by seed: every variant's first seed, then every second one, so that an interrupted
    // sweep has the whole picture once before it has the spreads.
    const auto variants = variantsOf(plan);
    std::size_t rounds = 1;
    for (const auto &variant : variants)
        rounds = std::max(rounds, (variant.seeds ? *variant.seeds : planSeeds).size());
    SweepPlan out;
    std::set<std::string> names;
    for (std::size_t i = 0; i < rounds; ++i)
        for (const auto &variant : variants) {
            const auto &seeds = variant.seeds ? *variant.seeds : planSeeds;
            if (i >= std::max<std::size_t>(seeds.size(), 1))
                continue;
            auto json = base;
            auto set = variant.set;
            absolutePaths(set, folder); // a variant may name another folder, read as the base's are
            for (const auto &[key, value] : set.items())
                json[key] = value;
            SweepRun run;
            run.variant = variant.name;
            run.name = variant.name;
            if (!seeds.empty()) {
                json["seed"] = seeds[i];
                run.name += "_seed" + std::to_string(seeds[i]);
            }
            try {
                run.config = trainConfigFromJson(json);
                validateTrainConfig(run.config);
            } catch (const InputError &e) {
                throw InputError("sweep run '" + run.name + "': " + e.what());
            }
            if (!names.insert(run.name).second)
                throw InputError("two sweep runs would share the folder '" + run.name +
                                 "'; give the variants distinct names and each variant distinct seeds");
            if (run.name == "." || run.name == ".." || run.name == kSweepPlanFile || run.name == "sweep.md" ||
                run.name == "sweep.csv")
                throw InputError("'" + run.name + "' cannot name a sweep run: the sweep folder uses that name");
            out.runs.push_back(std::move(run));
        }
    out.validation = validationJob(plan, folder);
    out.test = testJob(plan, folder);
    return out;
}

SweepPlan loadSweepPlan(const std::filesystem::path &file)
{
    const auto json = readJsonFile(file);
    try {
        return sweepPlanFromJson(json, std::filesystem::absolute(file).parent_path());
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(file, std::string("a value has the wrong type: ") + e.what());
    } catch (const InputError &e) {
        throw FormatError(file, e.what());
    }
}

EvalJob sweepEvalJob(const EvalJob &templ, const SweepRun &run, const std::filesystem::path &runDir)
{
    auto job = templ;
    job.weights = run.config.weights;
    job.arch = run.config.arch;
    job.adapter = runDir;
    job.device = run.config.device;
    job.precision = run.config.precision;
    return job;
}

} // namespace upstep::core
