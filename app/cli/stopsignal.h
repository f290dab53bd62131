#pragma once
// Ctrl-C or a polite kill (SIGTERM, as from systemd or a job scheduler) asks long commands to
// stop at the next safe point (a run checkpoints and exits cleanly); a second signal exits at
// once, keeping the newest checkpoint. `upstep adapt` and `upstep sweep` share this.
//
// Threading: the flag is set from the signal handler and read by the working thread.

#include <atomic>

namespace upstep::cli {

/// Installs the handlers (once) and returns the flag they set.
std::atomic<bool> &stopOnSignals();

} // namespace upstep::cli
