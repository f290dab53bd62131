#pragma once
// The workbench window. For now a placeholder that shows the intended layout (set-up panel,
// live curves) so the GUI target builds and runs; the real panels arrive with issue 4.
//
// Threading: GUI thread only.

#include <QMainWindow>

namespace upstep::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
};

} // namespace upstep::ui
