#include "embeddings/checkpointchoice.h"

#include "upstep/run/runpaths.h"

#include <QSignalBlocker>

#include <vector>

namespace upstep::ui {

CheckpointChoice::CheckpointChoice(QWidget *parent) : QComboBox(parent)
{
    setToolTip(tr("Which of the run's checkpoints the adapted map uses (\"newest\" follows a running run); the run "
                  "keeps its newest few"));
    setVisible(false);
    // Its longest entry must not widen the tool row (and so narrow the set-up panel): the
    // closed box elides, the open list shows every entry whole.
    setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    setMinimumContentsLength(18);
}

void CheckpointChoice::setRun(const QString &runDir)
{
    const auto chosen = runDir == m_runDir ? step() : -1; // another run: its newest, not the old choice
    m_runDir = runDir;
    const auto steps = runDir.isEmpty() ? std::vector<std::int64_t>{} : core::checkpointSteps(runDir.toStdString());
    const QSignalBlocker quiet(this);
    clear();
    // "Newest" follows a running run's new checkpoints; the step it is now says which one that is.
    addItem(steps.empty() ? tr("newest checkpoint") : tr("newest (step %1)").arg(steps.back()),
            QVariant::fromValue<qlonglong>(-1));
    for (auto it = steps.rbegin(); it != steps.rend(); ++it)
        addItem(tr("step %1").arg(*it), QVariant::fromValue<qlonglong>(*it));
    setStep(chosen);
    setVisible(steps.size() > 1); // one checkpoint: nothing to choose
}

void CheckpointChoice::setStep(std::int64_t step)
{
    const int index = findData(QVariant::fromValue<qlonglong>(step));
    setCurrentIndex(index >= 0 ? index : 0);
}

} // namespace upstep::ui
