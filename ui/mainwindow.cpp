#include "mainwindow.h"

#include "models/archspec.h"

#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace upstep::ui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(tr("UpStep Workbench"));
    auto *splitter = new QSplitter(this);

    auto *setup = new QWidget(splitter);
    auto *layout = new QVBoxLayout(setup);
    auto *intro = new QLabel(tr("<h2>UpStep Workbench</h2>"
                                "<p>Adaptation sessions are not available in this build yet.</p>"
                                "<p>Use the <tt>upstep</tt> command line to inspect backbones and extract "
                                "features.</p><p>Supported architectures:<br>%1</p>")
                                 .arg(QString::fromStdString(core::archPresetList())),
                             setup);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addStretch();

    auto *plot = new QCustomPlot(splitter);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, tr("Loss"), QFont("sans", 11, QFont::Bold)));
    plot->xAxis->setLabel(tr("step"));
    plot->yAxis->setLabel(tr("loss"));

    splitter->addWidget(setup);
    splitter->addWidget(plot);
    splitter->setStretchFactor(1, 3);
    setCentralWidget(splitter);
    resize(1100, 680);
}

} // namespace upstep::ui
