#pragma once
// An optional labeled folder (the target test folder, the source probe): a path field and, under
// it, what a check in the background found: "10 classes · 10,000 images · about 1,000 per class",
// or why the folder cannot be used (no class sub-folders, one class, no images). A folder that
// cannot be used is refused at selection, before a run trains for nothing and fails at evaluation.
//
// Threading: GUI thread only; the check runs in a BackgroundTask.

#include "tasks/coretypes.h"

#include <QPointer>
#include <QWidget>

namespace upstep::ui {

class BackgroundTask;
class PathField;
class StatusLine;

/// "10 classes · 10,000 images · about 1,000 per class" (or the smallest and largest class when
/// they differ by more than a tenth).
QString classSummary(const core::ImageFolder &folder);
/// The same from the images per class (empty: no classes) and the images in all.
QString classSummary(const std::vector<qlonglong> &perClass, qlonglong images);

class LabeledFolderField : public QWidget {
    Q_OBJECT
public:
    /// what: the folder's role in messages ("target test folder"); recentKey as for PathField.
    LabeledFolderField(QString what, const QString &recentKey, QWidget *parent = nullptr);

    QString path() const;
    void setPath(const QString &path);
    void setPlaceholder(const QString &text);
    bool isChecking() const;
    /// Empty when the folder is usable or none is chosen; else why it cannot be used.
    QString problem() const { return m_problem; }
    QString statusText() const;
    PathField *field() const { return m_path; }

signals:
    void changed(); ///< the path changed, or its check finished

private:
    void check(const QString &folder);

    QString m_what;
    PathField *m_path;
    StatusLine *m_status;
    QPointer<BackgroundTask> m_check;
    QString m_problem;
};

} // namespace upstep::ui
