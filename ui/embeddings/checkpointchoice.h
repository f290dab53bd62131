#pragma once
// The Embeddings tab's choice of which kept checkpoint of a run to map: "newest checkpoint" or
// one step. Visible only when the run keeps more than one; the choice is kept while the same run
// is listed again (it writes new checkpoints) and reset to the newest for another run.
//
// Threading: GUI thread only; setRun() lists the run's checkpoints folder.

#include <QComboBox>

#include <cstdint>

namespace upstep::ui {

class CheckpointChoice : public QComboBox {
    Q_OBJECT
public:
    explicit CheckpointChoice(QWidget *parent = nullptr);

    /// Lists runDir's checkpoints (none for an empty path or a folder that is no run).
    void setRun(const QString &runDir);
    /// The chosen step; -1 for the newest.
    std::int64_t step() const { return currentData().toLongLong(); }
    /// Chooses step if the run keeps it, else the newest.
    void setStep(std::int64_t step);

private:
    QString m_runDir;
};

} // namespace upstep::ui
