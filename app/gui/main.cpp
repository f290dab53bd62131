// `upstep-workbench`: the desktop application.
#include "mainwindow.h"

#include <QApplication>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName("UpStep Workbench");
    QApplication::setOrganizationName("UpStep");
    upstep::ui::MainWindow window;
    window.show();
    return QApplication::exec();
}
