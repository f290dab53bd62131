#pragma once
// The backbone of a session: a weights file (chosen, typed, dropped or from the recent list),
// checked in the background by loading it, then shown with its architecture, size and
// preprocessing, or with a clear message when it is not a supported model.
//
// Threading: GUI thread only; the check runs in a BackgroundTask.

#include "tasks/coretypes.h"

#include <QPointer>
#include <QWidget>

#include <optional>

namespace upstep::ui {

class BackgroundTask;
class PathField;
class StatusLine;

class BackbonePanel : public QWidget {
    Q_OBJECT
public:
    explicit BackbonePanel(QWidget *parent = nullptr);

    QString file() const;
    void setFile(const QString &file, const QString &archOverride = {});
    QString archOverride() const { return m_arch; }
    bool isChecking() const;
    const std::optional<core::BackboneSummary> &summary() const { return m_summary; }
    QString statusText() const;

signals:
    void checked(bool usable);

private:
    void check(const QString &file);

    PathField *m_path;
    StatusLine *m_info;
    QString m_arch;
    QPointer<BackgroundTask> m_check;
    std::optional<core::BackboneSummary> m_summary;
};

} // namespace upstep::ui
