#include "embeddings/embeddingsource.h"

#include "upstep/run/runpaths.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <filesystem>

namespace upstep::ui {

EmbeddingSource embeddingSourceOf(const core::TrainConfig &config, const QString &runDir)
{
    EmbeddingSource source;
    source.weights = QString::fromStdString(config.weights);
    source.arch = QString::fromStdString(config.arch);
    source.data = QString::fromStdString(config.target);
    if (runDir.isEmpty() || !QFileInfo(runDir).isDir())
        return source;
    const core::RunPaths paths(runDir.toStdString());
    std::error_code ec;
    const bool hasCheckpoint = std::filesystem::exists(paths.adapter(), ec) ||
                               !std::filesystem::is_empty(paths.checkpoints(), ec);
    if (hasCheckpoint && !ec) {
        source.adapter = runDir;
        return source;
    }
    const auto run = QFileInfo(runDir).fileName();
    source.noAdapterReason =
        config.checkpointEvery > 0
            ? QCoreApplication::translate("EmbeddingSource",
                                          "run %1 has no checkpoint yet (the first is written at step %2)")
                  .arg(run)
                  .arg(config.checkpointEvery)
            : QCoreApplication::translate("EmbeddingSource",
                                          "run %1 has no checkpoint yet (one is written when it stops or ends)")
                  .arg(run);
    return source;
}

} // namespace upstep::ui
