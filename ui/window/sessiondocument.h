#pragma once
// The session as a document, the way an editor treats a file: which session file the form came
// from, whether the form now differs from it (Qt's "[*]" mark in the window title), saving to it
// or to a new name, and asking before unsaved changes are dropped (quitting, opening another).
// It compares the form's JSON with the JSON as last opened or saved, so an edit undone by hand
// is not "unsaved".
//
// Threading: GUI thread only (small files, written atomically by saveSession).

#include "tasks/taskerror.h"
#include "upstep/run/trainconfig.h"

#include <QObject>
#include <QString>

#include <functional>

class QWidget;

namespace upstep::ui {

class SessionDocument : public QObject {
    Q_OBJECT
public:
    /// form: the settings as the window shows them now. window: its title and modified mark
    /// are kept here, and dialogs open over it.
    SessionDocument(QWidget *window, std::function<core::TrainConfig()> form, QObject *parent = nullptr);

    QString file() const { return m_file; }
    /// The form as it is now is the session in file (empty: a new, unnamed session).
    void markSaved(const QString &file);
    /// Sets the title's unsaved mark from a comparison of the form with the saved session.
    void updateModified();
    bool isModified();
    /// Writes the form to file; false (after failed()) when that cannot be done.
    bool saveTo(const QString &file);
    /// Saves to the session's file, asking for a name when it has none or askName is set.
    void saveWithDialog(bool askName);
    /// Asks whether to save unsaved changes; false when the user cancels (or a save fails).
    bool askToSaveChanges();

signals:
    void saved(const QString &file);
    void failed(const upstep::ui::TaskError &error);

private:
    QWidget *m_window;
    std::function<core::TrainConfig()> m_form;
    QString m_file;
    QString m_savedJson; ///< the session as last opened or saved
};

} // namespace upstep::ui
