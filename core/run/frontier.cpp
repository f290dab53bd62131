#include "upstep/run/frontier.h"

#include <algorithm>
#include <cmath>

namespace upstep::core {

std::vector<bool> paretoFront(const std::vector<double> &gain, const std::vector<double> &forgetting)
{
    const auto n = std::min(gain.size(), forgetting.size());
    std::vector<bool> front(gain.size(), false);
    const auto valid = [&](std::size_t i) { return std::isfinite(gain[i]) && std::isfinite(forgetting[i]); };
    for (std::size_t i = 0; i < n; ++i) {
        if (!valid(i))
            continue;
        bool dominated = false;
        for (std::size_t j = 0; j < n && !dominated; ++j)
            dominated = j != i && valid(j) && gain[j] >= gain[i] && forgetting[j] <= forgetting[i] &&
                        (gain[j] > gain[i] || forgetting[j] < forgetting[i]);
        front[i] = !dominated;
    }
    return front;
}

} // namespace upstep::core
