#pragma once
// Lets through at most one progress event per interval, but always the first of a new stage
// and the last of a stage, so a view never misses where work is.
//
// Threading: used by one thread (the worker that reports).

#include "upstep/common/progress.h"

#include <chrono>
#include <string>

namespace upstep::ui {

class ProgressThrottle {
public:
    explicit ProgressThrottle(std::chrono::milliseconds interval = std::chrono::milliseconds(50))
        : m_interval(interval) {}

    bool pass(const core::Progress &progress)
    {
        const auto now = std::chrono::steady_clock::now();
        const bool boundary = progress.stage != m_stage || (progress.total > 0 && progress.done >= progress.total);
        if (!boundary && now - m_last < m_interval)
            return false;
        m_stage = progress.stage;
        m_last = now;
        return true;
    }

private:
    std::chrono::milliseconds m_interval;
    std::chrono::steady_clock::time_point m_last{};
    std::string m_stage;
};

} // namespace upstep::ui
