#include "run/metricslog.h"

#include "upstep/common/error.h"
#include "upstep/common/jsontext.h"
#include "upstep/io/atomicfile.h"

#include <nlohmann/json.hpp>

#include <string>

namespace upstep::core {

namespace {

/// The line's JSON object, or a discarded value for a torn or foreign line (one that is not a
/// JSON object with an integer "step", as a kill or a full disk in mid-line leaves).
nlohmann::json parseLine(const std::string &line)
{
    auto json = nlohmann::json::parse(line, nullptr, false);
    const auto integer = [&](const char *key) {
        const auto it = json.find(key);
        return it == json.end() || it->is_number_integer();
    };
    const bool record = json.is_object() && json.contains("step") && integer("step") && integer("total_steps");
    return record ? json : nlohmann::json(nlohmann::json::value_t::discarded);
}

} // namespace

MetricsLog::MetricsLog(std::filesystem::path file, bool append)
    : m_file(std::move(file)), m_out(m_file, append ? std::ios::app : std::ios::trunc)
{
    if (!m_out)
        throw IoError(m_file, "cannot open the metrics log for writing");
}

void MetricsLog::append(const MetricsRecord &record)
{
    m_out << jsonText(metricsToJson(record)) << "\n" << std::flush;
    if (!m_out)
        throw IoError(m_file, "cannot write the metrics log (disk full?)");
}

std::vector<MetricsRecord> readMetricsLog(const std::filesystem::path &file)
{
    std::vector<MetricsRecord> records;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
        if (const auto json = parseLine(line); !json.is_discarded())
            records.push_back(metricsFromJson(json));
    return records;
}

void truncateMetricsLog(const std::filesystem::path &file, std::int64_t step)
{
    std::ifstream in(file);
    std::string kept;
    for (std::string line; std::getline(in, line);) {
        const auto json = parseLine(line);
        if (!json.is_discarded() && json.value("step", std::int64_t{0}) <= step)
            kept += line + "\n";
    }
    writeFileAtomically(file, kept);
}

} // namespace upstep::core
