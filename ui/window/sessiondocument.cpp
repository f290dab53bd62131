#include "window/sessiondocument.h"

#include "window/sessionfiles.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QWidget>

#include <nlohmann/json.hpp>

#include <utility>

namespace upstep::ui {

namespace {

QString jsonOf(const core::TrainConfig &config)
{
    return QString::fromStdString(core::trainConfigToJson(config).dump());
}

} // namespace

SessionDocument::SessionDocument(QWidget *window, std::function<core::TrainConfig()> form, QObject *parent)
    : QObject(parent), m_window(window), m_form(std::move(form))
{
}

void SessionDocument::markSaved(const QString &file)
{
    m_file = file;
    m_savedJson = jsonOf(m_form());
    // "[*]" is where Qt shows the unsaved-changes mark.
    m_window->setWindowTitle(file.isEmpty() ? tr("UpStep Workbench[*]")
                                            : tr("%1[*] - UpStep Workbench").arg(QFileInfo(file).fileName()));
    m_window->setWindowModified(false);
}

void SessionDocument::updateModified() { m_window->setWindowModified(jsonOf(m_form()) != m_savedJson); }

bool SessionDocument::isModified()
{
    updateModified();
    return m_window->isWindowModified();
}

bool SessionDocument::saveTo(const QString &file)
{
    try {
        saveSession(m_form(), file);
    } catch (...) {
        emit failed(currentTaskError(tr("Saving the session")));
        return false;
    }
    markSaved(file);
    emit saved(file);
    return true;
}

void SessionDocument::saveWithDialog(bool askName)
{
    auto file = m_file;
    if (askName || file.isEmpty())
        file = QFileDialog::getSaveFileName(m_window, tr("Save the session"),
                                            !m_file.isEmpty() ? m_file
                                                              : sessionDialogFolder() + QStringLiteral("/session.json"),
                                            tr("Sessions (*.json)"));
    if (!file.isEmpty())
        saveTo(file);
}

bool SessionDocument::askToSaveChanges()
{
    if (!isModified()) // compared now: a spin box edited but not left yet has not said so
        return true;
    const auto answer = QMessageBox::question(m_window, tr("Save the session?"),
                                              tr("The session has changes that are not saved. Save them first?"),
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel,
                                              QMessageBox::Save);
    if (answer == QMessageBox::Save)
        saveWithDialog(false);
    // Still modified after Save: the file dialog was cancelled or the save failed (and said why).
    return answer == QMessageBox::Discard || (answer == QMessageBox::Save && !isModified());
}

} // namespace upstep::ui
