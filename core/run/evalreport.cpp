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
        const auto put = [&](const char *key, double value) {
            if (std::isfinite(value))
                s[key] = value;
        };
        put("head_top1_base", r.source->headTop1Base);
        put("head_top1_adapted", r.source->headTop1Adapted);
        put("head_drop", r.source->headTop1Base - r.source->headTop1Adapted);
        put("knn_top1_base", r.source->knnTop1Base);
        put("knn_top1_adapted", r.source->knnTop1Adapted);
        put("knn_drop", r.source->knnTop1Base - r.source->knnTop1Adapted);
        s["images"] = r.source->images;
    }
    json["train_images"] = r.trainImages;
    json["test_images"] = r.testImages;
    json["classes"] = r.classes;
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
        r.source = s;
    }
    r.trainImages = json.value("train_images", std::int64_t{0});
    r.testImages = json.value("test_images", std::int64_t{0});
    r.classes = json.value("classes", std::vector<std::string>{});
    r.seconds = json.value("seconds", 0.0);
    return r;
}

void saveEvalReport(const EvalReport &report, const std::filesystem::path &file)
{
    writeJsonAtomically(file, evalReportToJson(report));
}

} // namespace upstep::core
