#pragma once
// What the Embeddings tab maps, and how the window chooses it for the run it shows.
//
// Threading: plain values; embeddingSourceOf() reads the run folder's listing on the caller's thread.

#include "upstep/run/trainconfig.h"

#include <QString>

namespace upstep::ui {

/// A base model, optionally a run folder (or adapter), and an image folder.
struct EmbeddingSource {
    QString weights, arch, data;
    QString adapter; ///< run folder, PEFT folder or adapter file; empty: the base model alone
    /// Without an adapter: why (for example "the run has no checkpoint yet (first at step 100)").
    QString noAdapterReason;
    bool operator==(const EmbeddingSource &) const = default;
};

/// The session's base model and target folder, adapted by runDir once that run has an adapter or
/// a checkpoint (its newest checkpoint is then the current adapter); before that the base model
/// alone, with the reason. An empty or missing runDir: the base model alone.
EmbeddingSource embeddingSourceOf(const core::TrainConfig &config, const QString &runDir);

} // namespace upstep::ui
