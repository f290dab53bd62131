#pragma once
// The left column of the window: backbone, target images, optional evaluation folders and the
// settings, together one core::TrainConfig (a session). It knows whether a session can start.
//
// Threading: GUI thread only.

#include "upstep/run/trainconfig.h"

#include <QWidget>

namespace upstep::ui {

class BackbonePanel;
class HyperparameterForm;
class PathField;
class TargetFolderPanel;

class SetupPanel : public QWidget {
    Q_OBJECT
public:
    explicit SetupPanel(QWidget *parent = nullptr);

    core::TrainConfig config() const;
    void setConfig(const core::TrainConfig &config);
    /// Empty when a session can start, else what is missing, in words.
    QString missing() const;
    bool isBusy() const; ///< a scan or a backbone check is running

    BackbonePanel *backbone() const { return m_backbone; }
    TargetFolderPanel *target() const { return m_target; }
    HyperparameterForm *settings() const { return m_settings; }
    PathField *targetTest() const { return m_targetTest; }
    PathField *sourceProbe() const { return m_sourceProbe; }

signals:
    void changed(); ///< any input or its check changed

private:
    BackbonePanel *m_backbone;
    TargetFolderPanel *m_target;
    PathField *m_targetTest;
    PathField *m_sourceProbe;
    HyperparameterForm *m_settings;
};

} // namespace upstep::ui
