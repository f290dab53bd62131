// `upstep-workbench`: the desktop application. Opens --session FILE, else the demo session of
// scripts/demo when its files exist, so a first-time user can press Start.
#include "common/hardware.h"
#include "embeddingspanel.h"
#include "mainwindow.h"
#include "runcontrolbar.h"
#include "sessionfiles.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QPushButton>
#include <QTabWidget>
#include <QTimer>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("UpStep Workbench"));
    QApplication::setOrganizationName(QStringLiteral("UpStep"));
    QApplication::setApplicationVersion(QStringLiteral(UPSTEP_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("io.github.upstep.Workbench"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/upstep.png")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Adapt a pretrained vision backbone to unlabeled images with UpStep."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption session(QStringLiteral("session"), QStringLiteral("Open this session (a config.json)."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption start(QStringLiteral("start"), QStringLiteral("Start the session as soon as it is ready."));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Compute threads (default: all cores)."),
                                     QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption embed(QStringLiteral("embed"),
                                   QStringLiteral("Open the Embeddings tab and map the session's target images with METHOD "
                                                  "(pca or tsne), with its newest run as the adapter, once the session is ready."),
                                   QStringLiteral("METHOD"));
    const QCommandLineOption embedImages(QStringLiteral("embed-images"),
                                         QStringLiteral("Images in that map (default 10000; 0: all)."), QStringLiteral("N"),
                                         QStringLiteral("10000"));
    parser.addOptions({session, start, threads, embed, embedImages});
    parser.process(app);

    upstep::core::setComputeThreads(parser.value(threads).toInt());
    upstep::ui::MainWindow window;
    if (parser.isSet(session)) {
        if (!window.openSession(parser.value(session)))
            return 2;
    } else if (const auto demo = upstep::ui::demoSession()) {
        window.loadConfig(*demo);
    }
    window.show();
    if (parser.isSet(embed)) {
        const QString method = parser.value(embed);
        if (method != QLatin1String("pca") && method != QLatin1String("tsne")) {
            qCritical("--embed must be pca or tsne, got '%s'", qPrintable(method));
            return 2;
        }
        auto *panel = window.embeddings();
        panel->setMethod(method);
        panel->setMaxImages(parser.value(embedImages).toInt());
        // Map once the backbone check, the folder scan and the run listing have finished.
        auto *poll = new QTimer(&window);
        QObject::connect(poll, &QTimer::timeout, &window, [&window, panel, poll] {
            if (window.controls()->startButton()->isEnabled() && !window.isListingRuns()) {
                poll->stop();
                window.tabs()->setCurrentWidget(panel);
                panel->compute();
            }
        });
        poll->start(200);
    }
    if (parser.isSet(start)) {
        // Start once the backbone check and the folder scan have finished.
        auto *poll = new QTimer(&window);
        QObject::connect(poll, &QTimer::timeout, &window, [&window, poll] {
            if (window.controls()->startButton()->isEnabled()) {
                poll->stop();
                window.startRun();
            }
        });
        poll->start(200);
    }
    return QApplication::exec();
}
