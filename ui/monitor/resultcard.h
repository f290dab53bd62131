#pragma once
// Shown when a run ends: the big numbers a user tunes for (target gain, forgetting, skipped
// back-propagation, adapter share, total time), the accuracy table when labels were given, a
// "By class..." button that opens the per-class gain and forgetting tables, and the export
// buttons beside them.
//
// Threading: GUI thread only.

#include "tasks/coretypes.h"
#include "upstep/run/evalreport.h"
#include "upstep/run/metricsrecord.h"
#include "upstep/run/runrecord.h"
#include "upstep/run/trainsummary.h"

#include <QFrame>

#include <optional>
#include <vector>

class QGridLayout;
class QLabel;
class QPushButton;

namespace upstep::ui {
class ClassResultsDialog;
}

namespace upstep::ui {

class ResultCard : public QFrame {
    Q_OBJECT
public:
    explicit ResultCard(QWidget *parent = nullptr);

    /// What the card shows of one run. metrics: the whole run's records, earlier segments of a
    /// resumed run included (their training time counts); evaluationSeconds: the evaluation after
    /// training (0 when none); noEvaluation: why there is no evaluation, when there is none.
    struct Result {
        QString runName;
        core::TrainSummary summary;
        std::optional<core::EvalReport> evaluation;
        std::vector<core::MetricsRecord> metrics;
        double evaluationSeconds = 0;
        QString noEvaluation;
        QString health; ///< without an evaluation: what the monitors say of it (healthNote)
        bool wholeBackbone = false; ///< tuning full: no adapter; the run's result is a whole model
    };
    /// What the card shows of run, which must have a summary; notEvaluated: why a run that
    /// finished with a labeled test folder has no evaluation.
    static Result resultOfRun(const core::RunRecord &run, const QString &notEvaluated);
    void showResult(const Result &result);
    /// A listed run: its result, with a health note from sessionRuns when it has no evaluation,
    /// or why there is none (inUse: another process is training it). notEvaluated: what the
    /// card says in place of missing scores (empty: how to score the run with upstep eval).
    void showRun(const core::RunRecord &run, const std::vector<core::RunRecord> &sessionRuns, bool inUse,
                 const QString &notEvaluated = {});
    /// No result: message, or the first-run guidance when empty. The card keeps its place (the
    /// tabs under it never jump when a result arrives).
    void clear(const QString &message = {});
    bool hasResult() const { return m_hasResult; }
    /// The figure labels' texts by title, for tests and screenshots.
    QString figure(const QString &title) const;
    /// Opens (or raises) the per-class tables of the result shown; null when it has none.
    ClassResultsDialog *showClassResults();

signals:
    void exportRequested(bool merged);

private:
    void setFigure(int index, const QString &value, const QString &note, const QColor &color = {});
    static QString scoresTable(const core::EvalReport &evaluation); ///< base, adapted, ensemble: kNN and linear

    QLabel *m_title;
    std::vector<std::pair<QLabel *, QLabel *>> m_figures; ///< value, note
    std::vector<QString> m_figureTitles;
    QLabel *m_table;
    QPushButton *m_byClass, *m_exportAdapter, *m_exportMerged;
    ClassResultsDialog *m_classResults = nullptr; ///< made on first use
    std::optional<core::EvalReport> m_evaluation; ///< of the result shown
    QString m_runName;
    bool m_hasResult = false;
};

} // namespace upstep::ui
