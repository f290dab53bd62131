// `upstep-workbench`: the desktop application. Opens --session FILE, else the demo session of
// scripts/demo when its files exist, so a first-time user can press Start.
#include "upstep/common/choices.h"
#include "upstep/common/hardware.h"
#include "embeddings/embeddingspanel.h"
#include "window/mainwindow.h"
#include "window/sessionfiles.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTabWidget>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/// QGuiApplication takes "--session ID" (like "-session ID") for X11 session management and
/// removes both words from argv before our parser sees them, so the documented `--session FILE`
/// would open an empty window. Joining the pair into "--session=FILE" (which Qt leaves alone)
/// keeps that spelling working. "-session ID", the form a session manager uses to restore the
/// app, stays Qt's. The strings live as long as the returned vector, which must outlive
/// QApplication.
std::vector<std::string> joinSessionArgument(int argc, char **argv)
{
    std::vector<std::string> args(argv, argv + argc);
    for (std::size_t i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == "--session") {
            args[i] = "--session=" + args[i + 1];
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        } else if (args[i] == "--") {
            break;
        }
    }
    return args;
}

} // namespace

int main(int argc, char **argv)
{
    upstep::core::preferPassiveOpenMpWaiting(argv); // the training thread must not starve the GUI's
    auto args = joinSessionArgument(argc, argv);
    std::vector<char *> pointers;
    for (auto &arg : args)
        pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    int joinedArgc = static_cast<int>(args.size());
    QApplication app(joinedArgc, pointers.data());
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
    const QCommandLineOption embed(
        QStringLiteral("embed"),
        QStringLiteral("Open the Embeddings tab and map the session's target images with METHOD "
                       "(pca, tsne or umap), with its newest run as the adapter, once the session is ready."),
        QStringLiteral("METHOD"));
    const QCommandLineOption embedImages(QStringLiteral("embed-images"),
                                         QStringLiteral("Images in that map (default 0: all)."), QStringLiteral("N"),
                                         QStringLiteral("0"));
    const QCommandLineOption tryImage(QStringLiteral("try-image"),
                                      QStringLiteral("With --embed: once the map is computed, compare this image with it "
                                                     "(its nearest map images before and after adaptation)."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption find(QStringLiteral("find"),
                                  QStringLiteral("With --embed: once the map is computed, select what this query finds "
                                                 "(as the Find box: label:NAME, cluster:N, moved>X, part of a path)."),
                                  QStringLiteral("QUERY"));
    parser.addOptions({session, start, threads, embed, embedImages, tryImage, find});
    parser.process(app);

    bool numeric = false;
    const int threadCount = parser.value(threads).toInt(&numeric);
    try {
        if (!numeric)
            throw std::invalid_argument("not a number");
        upstep::core::setComputeThreads(threadCount);
    } catch (const std::exception &e) {
        qCritical("--threads %s: %s", qPrintable(parser.value(threads)), e.what());
        return 2;
    }
    upstep::ui::MainWindow window;
    if (parser.isSet(session)) {
        // Checked here first: the window's message box would never show before main() returns.
        try {
            upstep::ui::loadSession(parser.value(session));
        } catch (const std::exception &e) {
            qCritical("cannot open the session %s: %s", qPrintable(parser.value(session)), e.what());
            return 2;
        }
        if (!window.openSession(parser.value(session)))
            return 2;
    } else if (const auto demo = upstep::ui::demoSession()) {
        window.loadConfig(*demo);
    }
    window.show();
    // Runs fn once the window is ready: the backbone check, the folder scan and the run listing
    // have finished and Start is possible (at once when it already is).
    const auto whenReady = [&window](const std::function<void()> &fn) {
        if (window.isReady())
            fn();
        else
            QObject::connect(&window, &upstep::ui::MainWindow::ready, &window, fn, Qt::SingleShotConnection);
    };
    if (parser.isSet(embed)) {
        upstep::core::EmbedMethod method;
        try {
            method = upstep::core::choiceFromName<upstep::core::EmbedMethod>(parser.value(embed).toStdString());
        } catch (const upstep::core::InputError &e) {
            qCritical("--embed: %s", e.what());
            return 2;
        }
        auto *panel = window.embeddings();
        panel->setMethod(method);
        panel->setMaxImages(parser.value(embedImages).toInt());
        // Map once the run listing has found the session's newest run (the adapter to map with).
        if (parser.isSet(tryImage))
            QObject::connect(panel, &upstep::ui::EmbeddingsPanel::computed, panel,
                             [panel, file = parser.value(tryImage)] { panel->tryImage(file); }, Qt::SingleShotConnection);
        if (parser.isSet(find))
            QObject::connect(
                panel, &upstep::ui::EmbeddingsPanel::computed, panel,
                [panel, query = parser.value(find)] { panel->find(query); }, Qt::SingleShotConnection);
        whenReady([&window, panel] {
            window.tabs()->setCurrentWidget(panel);
            panel->compute();
        });
    }
    if (parser.isSet(start))
        whenReady([&window] { window.startRun(); });
    return QApplication::exec();
}
