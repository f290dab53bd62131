#include "upstep/run/evalreport.h"

#include "upstep/io/atomicfile.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace upstep::core {

namespace {

void putScores(nlohmann::json &json, const char *key, const ProbeScores &s)
{
    auto &o = json[key] = nlohmann::json::object();
    if (std::isfinite(s.knnTop1))
        o["knn_top1"] = s.knnTop1;
    if (std::isfinite(s.linearTop1))
        o["linear_top1"] = s.linearTop1;
}

ProbeScores scoresFrom(const nlohmann::json &o)
{
    ProbeScores s;
    s.knnTop1 = o.value("knn_top1", ProbeScores::kUnset);
    s.linearTop1 = o.value("linear_top1", ProbeScores::kUnset);
    return s;
}

void putIfFinite(nlohmann::json &o, const char *key, double value)
{
    if (std::isfinite(value))
        o[key] = value;
}

/// Keys: the base score's, the adapted score's and their difference's (after minus before for a
/// gain, before minus after for a drop).
struct ClassKeys {
    const char *base, *adapted, *change;
    bool changeIsDrop;
};

nlohmann::json classScoresToJson(const std::vector<ClassScores> &classes, const ClassKeys &keys)
{
    auto list = nlohmann::json::array();
    for (const auto &c : classes) {
        nlohmann::json o{{"class", c.name}, {"images", c.images}};
        putIfFinite(o, keys.base, c.base);
        putIfFinite(o, keys.adapted, c.adapted);
        putIfFinite(o, keys.change, keys.changeIsDrop ? c.base - c.adapted : c.adapted - c.base);
        list.push_back(std::move(o));
    }
    return list;
}

std::vector<ClassScores> classScoresFrom(const nlohmann::json &list, const ClassKeys &keys)
{
    std::vector<ClassScores> classes;
    for (const auto &o : list) {
        ClassScores c;
        c.name = o.at("class").get<std::string>();
        c.images = o.value("images", std::int64_t{0});
        c.base = o.value(keys.base, ProbeScores::kUnset);
        c.adapted = o.value(keys.adapted, ProbeScores::kUnset);
        classes.push_back(std::move(c));
    }
    return classes;
}

constexpr ClassKeys kTargetKeys{"knn_top1_base", "knn_top1_adapted", "gain", false};
constexpr ClassKeys kSourceKeys{"top1_base", "top1_adapted", "drop", true};

} // namespace

nlohmann::json evalReportToJson(const EvalReport &r)
{
    nlohmann::json json;
    putScores(json, "base", r.base);
    if (r.adapted)
        putScores(json, "adapted", *r.adapted);
    if (r.ensemble)
        putScores(json, "ensemble", *r.ensemble);
    if (r.source) {
        auto &s = json["source"] = nlohmann::json::object();
        const auto put = [&](const char *key, double value) { putIfFinite(s, key, value); };
        put("head_top1_base", r.source->headTop1Base);
        put("head_top1_adapted", r.source->headTop1Adapted);
        put("head_drop", r.source->headTop1Base - r.source->headTop1Adapted);
        put("knn_top1_base", r.source->knnTop1Base);
        put("knn_top1_adapted", r.source->knnTop1Adapted);
        put("knn_drop", r.source->knnTop1Base - r.source->knnTop1Adapted);
        s["images"] = r.source->images;
        if (!r.source->perClass.empty()) {
            s["per_class_measure"] = r.source->perClassFromHead ? "head_top1" : "knn_top1";
            s["per_class"] = classScoresToJson(r.source->perClass, kSourceKeys);
        }
    }
    json["train_images"] = r.trainImages;
    json["test_images"] = r.testImages;
    json["classes"] = r.classes;
    if (!r.perClass.empty())
        json["per_class"] = classScoresToJson(r.perClass, kTargetKeys);
    json["seconds"] = r.seconds;
    return json;
}

EvalReport evalReportFromJson(const nlohmann::json &json)
{
    EvalReport r;
    if (json.contains("base"))
        r.base = scoresFrom(json.at("base"));
    if (json.contains("adapted"))
        r.adapted = scoresFrom(json.at("adapted"));
    if (json.contains("ensemble"))
        r.ensemble = scoresFrom(json.at("ensemble"));
    if (json.contains("source")) {
        const auto &o = json.at("source");
        SourceScores s;
        s.headTop1Base = o.value("head_top1_base", ProbeScores::kUnset);
        s.headTop1Adapted = o.value("head_top1_adapted", ProbeScores::kUnset);
        s.knnTop1Base = o.value("knn_top1_base", ProbeScores::kUnset);
        s.knnTop1Adapted = o.value("knn_top1_adapted", ProbeScores::kUnset);
        s.images = o.value("images", std::int64_t{0});
        if (o.contains("per_class"))
            s.perClass = classScoresFrom(o.at("per_class"), kSourceKeys);
        s.perClassFromHead = o.value("per_class_measure", std::string()) == "head_top1";
        r.source = s;
    }
    r.trainImages = json.value("train_images", std::int64_t{0});
    r.testImages = json.value("test_images", std::int64_t{0});
    r.classes = json.value("classes", std::vector<std::string>{});
    if (json.contains("per_class"))
        r.perClass = classScoresFrom(json.at("per_class"), kTargetKeys);
    r.seconds = json.value("seconds", 0.0);
    return r;
}

void saveEvalReport(const EvalReport &report, const std::filesystem::path &file)
{
    writeJsonAtomically(file, evalReportToJson(report));
}

} // namespace upstep::core
