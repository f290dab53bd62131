#pragma once
// Where the workbench keeps things, and sessions on disk. A session file is the config.json the
// command line reads (`upstep adapt --config FILE`), written atomically. Runs go to
// RUNS/run-YYYYMMDD-HHMMSS under the same cache as the command line's demo, so
// `upstep eval --adapter RUN` works on them.
//
// Threading: GUI thread (plain file operations on small files).

#include "upstep/run/trainconfig.h"

#include <QString>

#include <optional>

namespace upstep::ui {

/// $UPSTEP_CACHE, else $XDG_CACHE_HOME/upstep, else ~/.cache/upstep (as scripts/common.sh).
QString cacheRoot();
/// QSettings "runsFolder", else cacheRoot()/runs.
QString runsRoot();
/// A new run folder name under runsRoot() (not created).
QString newRunFolder();

/// The QSettings key of the recent sessions list (newest first).
QString recentSessionsKey();
/// Where the session dialogs open: the newest recent session's folder, else Documents, else home.
QString sessionDialogFolder();

/// Reads and validates a session; throws core::InputError / FormatError with the field or line.
core::TrainConfig loadSession(const QString &file);
/// Writes atomically; throws core::IoError.
void saveSession(const core::TrainConfig &config, const QString &file);

/// The demo session of scripts/demo (MNIST base model adapted to Fashion-MNIST), when its base
/// model and folders exist in the cache.
std::optional<core::TrainConfig> demoSession();

/// True when two configs adapt the same base to the same target (runs of one session).
bool sameSession(const core::TrainConfig &a, const core::TrainConfig &b);

} // namespace upstep::ui
