#include "method/iterationgate.h"

#include "upstep/common/error.h"

#include <algorithm>
#include <cmath>

namespace upstep::core {

IterationGate::IterationGate(GateConfig config) : m_config(config)
{
    if (!(config.quantile > 0 && config.quantile < 1))
        throw InputError("gate quantile must lie in (0, 1)");
    if (config.window < 2 || config.warmup < 0)
        throw InputError("gate window must be at least 2 and warm-up non-negative");
}

bool IterationGate::keep(std::int64_t step, double signal)
{
    bool keepIt = true;
    switch (m_config.policy) {
    case GatePolicy::None: break;
    case GatePolicy::Alternate: keepIt = step % 2 == 0; break;
    case GatePolicy::LossQuantile:
    case GatePolicy::Center: {
        if (static_cast<int>(m_recent.size()) >= std::max(m_config.warmup, 1) && std::isfinite(signal)) {
            std::vector<double> sorted(m_recent.begin(), m_recent.end());
            const auto rank = static_cast<std::size_t>(m_config.quantile * static_cast<double>(sorted.size() - 1));
            std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank), sorted.end());
            keepIt = signal >= sorted[rank]; // easy batches (low loss, or a center in place) are skipped
        }
        if (std::isfinite(signal)) {
            m_recent.push_back(signal);
            if (static_cast<int>(m_recent.size()) > m_config.window)
                m_recent.pop_front();
        }
        break;
    }
    }
    (keepIt ? m_kept : m_skipped) += 1;
    return keepIt;
}

double IterationGate::skippedFraction() const
{
    const auto total = m_kept + m_skipped;
    return total > 0 ? static_cast<double>(m_skipped) / static_cast<double>(total) : 0.0;
}

std::vector<double> IterationGate::state() const
{
    std::vector<double> out{static_cast<double>(m_kept), static_cast<double>(m_skipped)};
    out.insert(out.end(), m_recent.begin(), m_recent.end());
    return out;
}

void IterationGate::restore(const std::vector<double> &state)
{
    if (state.size() < 2 || state.size() - 2 > static_cast<std::size_t>(m_config.window))
        throw InputError("gate state does not match this gate's configuration");
    m_kept = static_cast<std::int64_t>(state[0]);
    m_skipped = static_cast<std::int64_t>(state[1]);
    m_recent.assign(state.begin() + 2, state.end());
}

} // namespace upstep::core
