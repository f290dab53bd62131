#pragma once
// What the workbench is doing, as the run-control bar always shows it
// (docs/WORKBENCH.md "State is visible").
//
// Threading: a plain value.

#include <QCoreApplication>
#include <QString>

namespace upstep::ui {

enum class AppState { Idle, Checking, Training, Paused, Stopping, Evaluating, Exporting, Failed };

inline QString appStateName(AppState state)
{
    switch (state) {
    case AppState::Idle: return QCoreApplication::translate("AppState", "Idle");
    case AppState::Checking: return QCoreApplication::translate("AppState", "Scanning");
    case AppState::Training: return QCoreApplication::translate("AppState", "Training");
    case AppState::Paused: return QCoreApplication::translate("AppState", "Paused");
    case AppState::Stopping: return QCoreApplication::translate("AppState", "Stopping (writing a checkpoint)");
    case AppState::Evaluating: return QCoreApplication::translate("AppState", "Evaluating");
    case AppState::Exporting: return QCoreApplication::translate("AppState", "Exporting");
    case AppState::Failed: return QCoreApplication::translate("AppState", "Failed");
    }
    return {};
}

} // namespace upstep::ui
