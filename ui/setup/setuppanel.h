#pragma once
// The left column of the window: backbone, target images, optional evaluation folders and the
// settings, together one core::TrainConfig (a session). It knows whether a session can start.
//
// Threading: GUI thread only.

#include "upstep/run/trainconfig.h"

#include <QWidget>

class QLabel;

namespace upstep::ui {

class BackbonePanel;
class HyperparameterForm;
class LabeledFolderField;
class TargetFolderPanel;

class SetupPanel : public QWidget {
    Q_OBJECT
public:
    explicit SetupPanel(QWidget *parent = nullptr);

    core::TrainConfig config() const;
    void setConfig(const core::TrainConfig &config);
    /// Takes run's settings (the form below the folders) and keeps the session's backbone and
    /// folders: copying a run's settings must not rescan or switch them. Emits nothing.
    void copySettings(const core::TrainConfig &run);
    /// Empty when a session can start, else what is missing, in words.
    QString missing() const;
    bool isBusy() const; ///< a scan or a backbone check is running

    BackbonePanel *backbone() const { return m_backbone; }
    TargetFolderPanel *target() const { return m_target; }
    HyperparameterForm *settings() const { return m_settings; }
    LabeledFolderField *targetTest() const { return m_targetTest; }
    LabeledFolderField *sourceProbe() const { return m_sourceProbe; }
    /// Locks the inputs while a run is active (a changed rank would not apply to it, nor to its
    /// resume), with a line that says so; unlocks them again.
    void setLocked(bool locked);
    bool isLocked() const { return m_locked; }
    /// Wide enough for the inputs and a vertical scroll bar: buttons are never cut off.
    QSize minimumSizeHint() const override;

signals:
    void changed(); ///< any input or its check changed

private:
    BackbonePanel *m_backbone;
    TargetFolderPanel *m_target;
    LabeledFolderField *m_targetTest;
    LabeledFolderField *m_sourceProbe;
    HyperparameterForm *m_settings;
    QWidget *m_content;
    QWidget *m_inputs;
    QLabel *m_lockNote;
    bool m_locked = false;
};

} // namespace upstep::ui
