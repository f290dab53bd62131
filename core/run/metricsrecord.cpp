#include "upstep/run/metricsrecord.h"

#include <nlohmann/json.hpp>

namespace upstep::core {

namespace {

template <typename Visitor>
void visitMetrics(MetricsRecord &r, Visitor &&v)
{
    v("epoch", r.epoch);
    v("loss", r.loss);
    v("cluster_loss", r.clusterLoss);
    v("cvr_loss", r.cvrLoss);
    v("mu_norm", r.muNorm);
    v("center_drift", r.centerDrift);
    v("feature_drift", r.featureDrift);
    v("source_probe_top1", r.sourceProbeTop1);
    v("cluster_entropy", r.clusterEntropy);
    v("max_entropy", r.maxEntropy);
    v("skipped_fraction", r.skippedFraction);
    v("lr", r.learningRate);
    v("images_per_second", r.imagesPerSecond);
    v("elapsed_s", r.elapsedSeconds);
}

} // namespace

nlohmann::json metricsToJson(const MetricsRecord &record)
{
    nlohmann::json json{{"step", record.step}, {"total_steps", record.totalSteps}};
    auto copy = record;
    visitMetrics(copy, [&](const char *key, double value) {
        if (std::isfinite(value))
            json[key] = value;
    });
    return json;
}

MetricsRecord metricsFromJson(const nlohmann::json &json)
{
    MetricsRecord record;
    record.step = json.value("step", std::int64_t{0});
    record.totalSteps = json.value("total_steps", std::int64_t{0});
    visitMetrics(record, [&](const char *key, double &value) {
        if (const auto it = json.find(key); it != json.end() && it->is_number())
            value = it->get<double>();
    });
    return record;
}

} // namespace upstep::core
