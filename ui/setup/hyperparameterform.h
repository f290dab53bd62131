#pragma once
// The settings of a session, bound to core::TrainConfig: budget, LoRA, optimiser, CVR and gate,
// hardware. Every field has a tooltip, the defaults of docs/METHOD.md §8, and a range or a list,
// so an invalid value cannot be entered. Fields the form does not show keep the values they were
// loaded with.
//
// Threading: GUI thread only.

#include "upstep/run/trainconfig.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace upstep::ui {

class HyperparameterForm : public QWidget {
    Q_OBJECT
public:
    explicit HyperparameterForm(QWidget *parent = nullptr);

    void setConfig(const core::TrainConfig &config); ///< values outside a field's range are clamped
    /// The loaded config with the form's values written over it.
    core::TrainConfig config() const;

    /// One line for the window's status area, e.g. "CPU bf16, 2 threads".
    QString hardwareSummary() const;

signals:
    void changed();

protected:
    /// Wheel turns over a field that has no focus scroll the panel instead of changing the value.
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QWidget *budgetGroup();
    QWidget *loraGroup();
    QWidget *optimiserGroup();
    QWidget *regularisationGroup();
    QWidget *hardwareGroup();

    core::TrainConfig m_loaded;
    QComboBox *m_budgetUnit;
    QDoubleSpinBox *m_budget;
    QSpinBox *m_batch;
    QComboBox *m_tuning;
    QSpinBox *m_rank;
    QDoubleSpinBox *m_alpha;
    QLineEdit *m_loraTargets;
    QDoubleSpinBox *m_learningRate;
    QDoubleSpinBox *m_warmup;
    QComboBox *m_schedule;
    QCheckBox *m_cvr;
    QComboBox *m_cvrTerm;
    QComboBox *m_cvrSpace;
    QDoubleSpinBox *m_lambda;
    QComboBox *m_gate;
    QComboBox *m_prototypeInit;
    QComboBox *m_offline;
    QComboBox *m_precision;
    QComboBox *m_device;
    QSpinBox *m_workers;
    QComboBox *m_decodedCache;
    QSpinBox *m_seed;
};

} // namespace upstep::ui
