#pragma once
// A user's name and notes for a run, kept beside the run's own files in RUN/notes.json
// ({"name": ..., "notes": ...}), written atomically. The run's files stay untouched, so the
// command line and exports see the same run; a missing or unreadable notes.json is no name and no
// notes.
//
// Threading: plain file operations on one small file; any thread.

#include <QString>

namespace upstep::ui {

struct RunNotes {
    QString name; ///< empty: the folder's name is shown
    QString notes;
};

RunNotes loadRunNotes(const QString &runDir);
/// Throws core::IoError when the file cannot be written (the old notes stay).
void saveRunNotes(const QString &runDir, const RunNotes &notes);

} // namespace upstep::ui
