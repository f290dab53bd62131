#pragma once
// The per-class view of an evaluation (opened from the result card): which target classes the
// adaptation helped and which source classes it made the model forget. Two sortable tables,
// class · images · base % · adapted % · change in points, the change coloured good or bad.
//
// Threading: GUI thread only.

#include "upstep/run/evalreport.h"

#include <QDialog>

class QLabel;
class QTableWidget;

namespace upstep::ui {

class ClassResultsDialog : public QDialog {
    Q_OBJECT
public:
    explicit ClassResultsDialog(QWidget *parent = nullptr);

    /// Replaces both tables with report's; a part the report lacks says so.
    void showReport(const QString &runName, const core::EvalReport &report);

    QTableWidget *targetTable() const { return m_target; }
    QTableWidget *sourceTable() const { return m_source; }

private:
    QTableWidget *m_target, *m_source;
    QLabel *m_targetTitle, *m_sourceTitle;
};

/// True when report has a per-class part to show.
bool hasClassResults(const core::EvalReport &report);

} // namespace upstep::ui
