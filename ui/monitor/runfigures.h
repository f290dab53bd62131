#pragma once
// Figures of a run that the result card and the runs table both show, computed the same way.
//
// Threading: pure functions.

#include "upstep/run/metricsrecord.h"

#include <QString>

#include <algorithm>
#include <vector>

namespace upstep::ui {

/// Training seconds over every segment of a run: elapsedSeconds restarts at each resume, so a
/// drop marks a new segment and each segment adds its last value. lastSegment: the last
/// segment's own measure (summary.json), used when it is longer than its last record.
inline double trainingSeconds(const std::vector<core::MetricsRecord> &metrics, double lastSegment = 0)
{
    double total = 0, previous = 0;
    for (const auto &r : metrics) {
        if (r.elapsedSeconds < previous)
            total += previous;
        previous = r.elapsedSeconds;
    }
    return total + std::max(previous, lastSegment);
}

/// True when the run was resumed at least once.
inline bool hasResumedSegments(const std::vector<core::MetricsRecord> &metrics)
{
    return std::adjacent_find(metrics.begin(), metrics.end(), [](const auto &a, const auto &b) {
               return b.elapsedSeconds < a.elapsedSeconds;
           }) != metrics.end();
}

/// "m:ss", or "h:mm:ss" from an hour on.
inline QString clockText(double seconds)
{
    const auto s = static_cast<long long>(seconds + 0.5);
    const QChar zero(QLatin1Char('0'));
    return s >= 3600 ? QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, zero).arg(s % 60, 2, 10, zero)
                     : QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, zero);
}

} // namespace upstep::ui
