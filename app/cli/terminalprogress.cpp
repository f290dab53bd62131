#include "terminalprogress.h"

#include <cstdio>
#include <unistd.h>

namespace upstep::cli {

std::string formatDuration(double seconds)
{
    const auto s = static_cast<long long>(seconds + 0.5);
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
    return text;
}

TerminalProgress::TerminalProgress() : m_tty(::isatty(STDERR_FILENO) == 1) {}

TerminalProgress::~TerminalProgress() { finish(); }

core::ProgressSink TerminalProgress::sink()
{
    return [this](const core::Progress &p) { update(p); };
}

void TerminalProgress::finish()
{
    if (m_lineOpen) {
        std::fputc('\n', stderr);
        m_lineOpen = false;
    }
}

void TerminalProgress::update(const core::Progress &p)
{
    const auto now = Clock::now();
    if (p.stage != m_stage) {
        finish();
        m_stage = p.stage;
        m_stageStart = now;
        m_lastDraw = {};
        m_lastDecile = -1;
    }
    if (p.done == 0 && p.total == 0) { // a stage announcement: nothing counted yet
        std::fprintf(stderr, "%s...\n", p.stage.c_str());
        m_lastDraw = now;
        return;
    }
    const bool complete = p.total > 0 && p.done >= p.total;
    const double elapsed = std::chrono::duration<double>(now - m_stageStart).count();
    const double rate = elapsed > 0 ? p.done / elapsed : 0.0;
    const double fraction = p.total > 0 ? static_cast<double>(p.done) / p.total : 0.0;

    char line[256];
    if (m_tty) {
        if (!complete && now - m_lastDraw < std::chrono::milliseconds(100))
            return;
        constexpr int kWidth = 28;
        std::string bar;
        if (p.total > 0) {
            const int filled = static_cast<int>(fraction * kWidth);
            // Appended piece by piece: GCC 12 mis-warns (-Wstringop-overflow) on "literal" + std::string.
            bar.append("[").append(static_cast<std::size_t>(filled), '#');
            bar.append(static_cast<std::size_t>(kWidth - filled), '.').append("] ");
        }
        std::string eta = p.total > 0 && rate > 0 && !complete ? " ETA " : " ";
        eta.append(formatDuration(p.total > 0 && rate > 0 && !complete ? (p.total - p.done) / rate : elapsed));
        std::snprintf(line, sizeof line, "\r%s %s%lld%s%lld %s  %.1f %s/s%s\x1b[K", p.stage.c_str(), bar.c_str(),
                      static_cast<long long>(p.done), p.total > 0 ? "/" : "", static_cast<long long>(p.total),
                      p.unit.c_str(), rate, p.unit.c_str(), eta.c_str());
        std::fputs(line, stderr);
        m_lineOpen = true;
        if (complete)
            finish();
    } else {
        const int decile = static_cast<int>(fraction * 10);
        if (!complete && decile == m_lastDecile && now - m_lastDraw < std::chrono::seconds(10))
            return;
        m_lastDecile = decile;
        char count[48];
        if (p.total > 0)
            std::snprintf(count, sizeof count, "%lld/%lld", static_cast<long long>(p.done),
                          static_cast<long long>(p.total));
        else
            std::snprintf(count, sizeof count, "%lld", static_cast<long long>(p.done));
        std::snprintf(line, sizeof line, "%s: %s %s (%.1f %s/s, %s elapsed)\n", p.stage.c_str(), count,
                      p.unit.c_str(), rate, p.unit.c_str(), formatDuration(elapsed).c_str());
        std::fputs(line, stderr);
    }
    m_lastDraw = now;
}

} // namespace upstep::cli
