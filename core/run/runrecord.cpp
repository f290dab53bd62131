#include "upstep/run/runrecord.h"

#include "common/jsonfile.h"

#include "upstep/common/error.h"
#include "run/checkpoint.h"
#include "run/metricslog.h"
#include "upstep/run/runpaths.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace upstep::core {

namespace fs = std::filesystem;

RunRecord loadRunRecord(const fs::path &runDir)
{
    const RunPaths paths(runDir);
    if (!fs::exists(paths.config()))
        throw InputError(runDir.string() + " is not a run folder: it has no config.json");
    RunRecord record;
    record.dir = runDir;
    record.config = loadTrainConfig(paths.config().string());
    record.metrics = readMetricsLog(paths.metrics());
    try {
        if (auto summary = readJsonIfPresent(paths.summary()))
            record.summary = summaryFromJson(*summary);
        if (auto evaluation = readJsonIfPresent(paths.evaluation()))
            record.evaluation = evalReportFromJson(*evaluation);
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(runDir, std::string("unexpected summary or evaluation content: ") + e.what());
    }
    record.hasCheckpoint = !listCheckpoints(paths.checkpoints()).empty();
    return record;
}

std::vector<fs::path> findRunFolders(const fs::path &root)
{
    std::vector<std::pair<fs::file_time_type, fs::path>> runs;
    const auto collect = [&runs](const fs::path &folder, auto &recurse, bool intoSweeps) -> void {
        std::error_code listError;
        for (fs::directory_iterator it(folder, listError), end; !listError && it != end; it.increment(listError)) {
            const RunPaths paths(it->path());
            std::error_code timeError;
            if (!it->is_directory(timeError))
                continue;
            if (fs::exists(paths.config(), timeError))
                runs.emplace_back(fs::last_write_time(paths.config(), timeError), it->path());
            else if (intoSweeps && fs::exists(it->path() / kSweepPlanFile, timeError))
                recurse(it->path(), recurse, false); // a sweep's runs sit one level down
        }
    };
    collect(root, collect, true);
    std::sort(runs.begin(), runs.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<fs::path> folders;
    for (auto &[time, path] : runs)
        folders.push_back(std::move(path));
    return folders;
}

double targetGain(const EvalReport &report)
{
    return report.adapted ? report.adapted->knnTop1 - report.base.knnTop1 : ProbeScores::kUnset;
}

double forgetting(const EvalReport &report)
{
    if (!report.source)
        return ProbeScores::kUnset;
    const auto &s = *report.source;
    if (std::isfinite(s.headTop1Base) && std::isfinite(s.headTop1Adapted))
        return s.headTop1Base - s.headTop1Adapted;
    return s.knnTop1Base - s.knnTop1Adapted;
}

} // namespace upstep::core
