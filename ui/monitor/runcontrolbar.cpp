#include "monitor/runcontrolbar.h"

#include "monitor/runfigures.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>

namespace upstep::ui {

RunControlBar::RunControlBar(QWidget *parent)
    : QWidget(parent), m_start(new QPushButton(tr("Start"), this)), m_pause(new QPushButton(tr("Pause"), this)),
      m_resume(new QPushButton(tr("Resume"), this)), m_stop(new QPushButton(tr("Stop"), this)),
      m_exportAdapter(new QPushButton(tr("Export adapter..."), this)),
      m_exportMerged(new QPushButton(tr("Export merged..."), this)), m_state(new QLabel(this)),
      m_detail(new QLabel(this)), m_rate(new QLabel(this)), m_progress(new QProgressBar(this))
{
    m_start->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    m_pause->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    m_resume->setIcon(style()->standardIcon(QStyle::SP_MediaSeekForward));
    m_stop->setIcon(style()->standardIcon(QStyle::SP_MediaStop));
    m_start->setToolTip(tr("Start a new run of this session (Ctrl+R)"));
    m_pause->setToolTip(tr("Hold the run between iterations (Space)"));
    m_resume->setToolTip(tr("Continue a paused run, or the last stopped run of this session from its checkpoint"));
    m_stop->setToolTip(tr("Stop after this iteration and write a checkpoint; Resume continues from it"));
    m_exportAdapter->setToolTip(tr("Write the adapter as a Hugging Face PEFT folder, verified after writing (Ctrl+E)"));
    m_exportMerged->setToolTip(tr("Write the base weights with the adapter folded in, in the base file's layout"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(true);
    m_progress->setFormat(QString());
    m_state->setMinimumWidth(110);
    // Long stage texts and hints must neither widen the window nor change the bar's height.
    m_progress->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_progress->setMinimumWidth(160);
    m_detail->setMinimumWidth(90);
    m_state->setStyleSheet(QStringLiteral("font-weight: bold;"));
    m_rate->setMinimumWidth(90);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    for (auto *button : {m_start, m_pause, m_resume, m_stop})
        layout->addWidget(button);
    layout->addSpacing(8);
    layout->addWidget(m_state);
    layout->addWidget(m_progress, 1);
    layout->addWidget(m_detail);
    layout->addWidget(m_rate);
    layout->addSpacing(8);
    layout->addWidget(m_exportAdapter);
    layout->addWidget(m_exportMerged);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    setState(AppState::Idle, false, false, false);
}

void RunControlBar::setState(AppState state, bool canStart, bool canResume, bool canExport)
{
    const bool running = state == AppState::Training || state == AppState::Paused || state == AppState::Evaluating;
    const bool busy = running || state == AppState::Stopping || state == AppState::Exporting;
    const bool hadFocus = m_start->hasFocus() || m_pause->hasFocus() || m_resume->hasFocus();
    m_start->setEnabled(!busy && canStart);
    m_pause->setEnabled(state == AppState::Training);
    m_resume->setEnabled(state == AppState::Paused || (!busy && canStart && canResume));
    m_stop->setEnabled(running);
    m_exportAdapter->setEnabled(!busy && canExport);
    m_exportMerged->setEnabled(!busy && canExport);
    // Space presses the focused button: when Start, Pause or Resume had the focus and was just
    // disabled, Qt would pass it on to Stop. It goes to the button that took its place instead.
    if (const auto *now = QApplication::focusWidget(); hadFocus && (!now || now == m_stop || !now->isEnabled()))
        for (auto *button : {m_pause, m_resume, m_start})
            if (button->isEnabled()) {
                button->setFocus(Qt::OtherFocusReason);
                break;
            }
    m_state->setText(appStateName(state));
    const auto color = state == AppState::Failed ? QStringLiteral("#c62828")
                       : running                 ? QStringLiteral("#1e88e5")
                                                 : QString();
    m_state->setStyleSheet(QStringLiteral("font-weight: bold;") + (color.isEmpty() ? QString() : " color: " + color + ";"));
    if (!busy) {
        // What the bar said about the last task is over: "scanning 8/8 100 %" must not stay
        // under a failure. Idle states get their hint from the window right after this.
        m_rate->clear();
        m_stage.clear();
        m_detail->clear();
        m_progress->setValue(0);
        m_progress->setFormat(state == AppState::Failed ? tr("Failed: the Log tab says why") : QString());
    } else if (state == AppState::Paused) {
        // The ETA would freeze; it starts again from the next progress after resuming.
        m_stage.clear();
        m_detail->setText(tr("paused"));
    }
}

void RunControlBar::setHint(const QString &hint, const QString &detail)
{
    m_progress->setValue(0);
    m_progress->setFormat(hint);
    m_progress->setToolTip(detail.isEmpty() ? hint : detail); // the whole text where the bar cuts it
    m_detail->clear();
}

QString RunControlBar::stateText() const { return m_state->text(); }

void RunControlBar::showProgress(const core::Progress &p)
{
    if (p.stage != m_stage) {
        m_stage = p.stage;
        m_stageFirstDone = p.done;
        m_stageClock.start();
    }
    const QLocale locale;
    if (p.total <= 0) {
        m_progress->setValue(0);
        // Nothing counted yet: the stage alone ("measuring the base model...", not "...: 0 steps").
        m_progress->setFormat(p.done <= 0 ? QString::fromStdString(p.stage)
                                          : QStringLiteral("%1: %2 %3")
                                                .arg(QString::fromStdString(p.stage),
                                                     locale.toString(static_cast<qlonglong>(p.done)),
                                                     QString::fromStdString(p.unit)));
        m_detail->clear();
        return;
    }
    const double fraction = static_cast<double>(p.done) / static_cast<double>(p.total);
    m_progress->setValue(static_cast<int>(1000 * fraction));
    m_progress->setFormat(QStringLiteral("%1  %2 / %3 %4  %5 %")
                              .arg(QString::fromStdString(p.stage), locale.toString(static_cast<qlonglong>(p.done)),
                                   locale.toString(static_cast<qlonglong>(p.total)), QString::fromStdString(p.unit))
                              .arg(100 * fraction, 0, 'f', 0));
    const auto doneHere = p.done - m_stageFirstDone;
    const double seconds = m_stageClock.elapsed() / 1000.0;
    if (doneHere > 0 && seconds > 1)
        m_detail->setText(tr("ETA %1").arg(
            clockText(seconds / static_cast<double>(doneHere) * static_cast<double>(p.total - p.done))));
    else
        m_detail->setText(tr("ETA -"));
}

void RunControlBar::setImagesPerSecond(double value)
{
    m_rate->setText(tr("%1 img/s").arg(value, 0, 'f', value < 10 ? 1 : 0));
}

} // namespace upstep::ui
