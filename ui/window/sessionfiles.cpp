#include "window/sessionfiles.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

namespace upstep::ui {

QString cacheRoot()
{
    if (const auto env = qEnvironmentVariable("UPSTEP_CACHE"); !env.isEmpty())
        return env;
    const auto xdg = qEnvironmentVariable("XDG_CACHE_HOME");
    return (xdg.isEmpty() ? QDir::homePath() + QStringLiteral("/.cache") : xdg) + QStringLiteral("/upstep");
}

QString runsRoot()
{
    const auto configured = QSettings().value(QStringLiteral("runsFolder")).toString();
    return configured.isEmpty() ? cacheRoot() + QStringLiteral("/runs") : configured;
}

QString recentSessionsKey() { return QStringLiteral("recent/sessions"); }

QString sessionDialogFolder()
{
    for (const auto &file : QSettings().value(recentSessionsKey()).toStringList())
        if (const QFileInfo info(file); info.dir().exists())
            return info.absolutePath();
    const auto documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return QFileInfo(documents).isDir() ? documents : QDir::homePath();
}

QString newRunFolder()
{
    const auto stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    auto folder = runsRoot() + QStringLiteral("/run-") + stamp;
    for (int i = 2; QFileInfo::exists(folder); ++i)
        folder = runsRoot() + QStringLiteral("/run-%1-%2").arg(stamp).arg(i);
    return folder;
}

core::TrainConfig loadSession(const QString &file)
{
    auto config = core::loadTrainConfig(file.toStdString());
    core::validateTrainConfig(config);
    return config;
}

void saveSession(const core::TrainConfig &config, const QString &file)
{
    core::saveTrainConfig(config, file.toStdString());
}

std::optional<core::TrainConfig> demoSession()
{
    const QDir cache(cacheRoot());
    const auto base = cache.filePath(QStringLiteral("models/demo-mnist-vit.safetensors"));
    const auto target = cache.filePath(QStringLiteral("folders/fashion-mnist/train"));
    if (!QFileInfo::exists(base) || !QFileInfo(target).isDir())
        return std::nullopt;
    core::TrainConfig config;
    config.weights = base.toStdString();
    config.target = target.toStdString();
    const auto test = cache.filePath(QStringLiteral("folders/fashion-mnist/test"));
    const auto source = cache.filePath(QStringLiteral("folders/mnist/test"));
    if (QFileInfo(test).isDir())
        config.targetTest = test.toStdString();
    if (QFileInfo(source).isDir())
        config.sourceProbe = source.toStdString();
    config.steps = 400;
    return config;
}

bool sameSession(const core::TrainConfig &a, const core::TrainConfig &b)
{
    const auto canonical = [](const std::string &path) {
        const QFileInfo info(QString::fromStdString(path));
        return info.exists() ? info.canonicalFilePath() : QString::fromStdString(path);
    };
    return canonical(a.weights) == canonical(b.weights) && canonical(a.target) == canonical(b.target);
}

} // namespace upstep::ui
