#pragma once
// Draws core's progress records on stderr: a bar with rate and ETA, redrawn in place at most
// ten times a second on a terminal; plain log lines (every 10 % or 10 s) when stderr is not a
// terminal, so logs stay readable.
//
// Threading: call update() from one thread at a time (core calls it on the working thread).

#include "upstep/common/progress.h"

#include <chrono>
#include <string>

namespace upstep::cli {

class TerminalProgress {
public:
    TerminalProgress();
    ~TerminalProgress();

    void update(const core::Progress &progress);
    /// Ends the current line, if a bar is drawn.
    void finish();
    core::ProgressSink sink();

private:
    using Clock = std::chrono::steady_clock;
    bool m_tty;
    std::string m_stage;
    Clock::time_point m_stageStart;
    Clock::time_point m_lastDraw;
    int m_lastDecile = -1;
    bool m_lineOpen = false;
};

/// "1:02:03" or "2:03".
std::string formatDuration(double seconds);

} // namespace upstep::cli
