#pragma once
// The bar under the window's content: Start, Pause, Resume and Stop, the state, a progress bar
// with step, percent, ETA and images/s, and the export buttons. Buttons enable with the state,
// so nothing is clickable that would do nothing.
//
// Threading: GUI thread only.

#include "window/appstate.h"
#include "upstep/common/progress.h"

#include <QElapsedTimer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace upstep::ui {

class RunControlBar : public QWidget {
    Q_OBJECT
public:
    explicit RunControlBar(QWidget *parent = nullptr);

    /// canStart: inputs are ready; canResume: a stopped run can continue; canExport: a run has an adapter.
    void setState(AppState state, bool canStart, bool canResume, bool canExport);
    /// Why Start is disabled, or that it is ready; detail: the bar's tooltip (default: the hint).
    void setHint(const QString &hint, const QString &detail = {});
    void showProgress(const core::Progress &progress);
    void setImagesPerSecond(double value);
    QString stateText() const;

    QPushButton *startButton() const { return m_start; }
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *resumeButton() const { return m_resume; }
    QPushButton *stopButton() const { return m_stop; }
    QPushButton *exportAdapterButton() const { return m_exportAdapter; }
    QPushButton *exportMergedButton() const { return m_exportMerged; }

private:
    QPushButton *m_start, *m_pause, *m_resume, *m_stop, *m_exportAdapter, *m_exportMerged;
    QLabel *m_state, *m_detail, *m_rate;
    QProgressBar *m_progress;
    QElapsedTimer m_stageClock;
    std::string m_stage;
    std::int64_t m_stageFirstDone = 0;
};

} // namespace upstep::ui
