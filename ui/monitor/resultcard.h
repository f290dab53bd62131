#pragma once
// Shown when a run ends: the big numbers a user tunes for (target gain, forgetting, skipped
// back-propagation, trainable share, wall time), the accuracy table when labels were given, and
// the export buttons beside them.
//
// Threading: GUI thread only.

#include "tasks/coretypes.h"
#include "upstep/run/evalreport.h"
#include "upstep/run/metricsrecord.h"
#include "upstep/run/trainsummary.h"

#include <QFrame>

#include <optional>
#include <vector>

class QGridLayout;
class QLabel;
class QPushButton;

namespace upstep::ui {

class ResultCard : public QFrame {
    Q_OBJECT
public:
    explicit ResultCard(QWidget *parent = nullptr);

    void showResult(const QString &runName, const core::TrainSummary &summary,
                    const std::optional<core::EvalReport> &evaluation, const std::vector<core::MetricsRecord> &metrics);
    void clear();
    /// The figure labels' texts by title, for tests and screenshots.
    QString figure(const QString &title) const;

signals:
    void exportRequested(bool merged);

private:
    void setFigure(int index, const QString &value, const QString &note, const QColor &color = {});

    QLabel *m_title;
    std::vector<std::pair<QLabel *, QLabel *>> m_figures; ///< value, note
    std::vector<QString> m_figureTitles;
    QLabel *m_table;
    QPushButton *m_exportAdapter, *m_exportMerged;
};

} // namespace upstep::ui
