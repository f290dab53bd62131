#pragma once
// Finding images in an embedding map by what is known of them, and summing up a selection.
//
// A query is words that must all match an image (case-insensitive):
//   label:NAME     its class folder starts with NAME ("label:sneak" finds 7-Sneaker);
//   cluster:N      its cluster (with a run's adapter) is N;
//   moved>X        its displacement is above X (moved<X: below);
//   anything else  a part of its path.
//
// Threading: pure functions.

#include "upstep/eval/embedjob.h"

#include <QString>
#include <QVector>

namespace upstep::ui {

struct MapQuery {
    QVector<int> matches; ///< image indices, ascending
    QString error;        ///< a word that cannot be understood; empty when the query is valid
};

MapQuery findImages(const core::EmbeddingMap &map, const QString &query);

/// One bar of a selection's histogram: a label or cluster, how many selected images have it and
/// how many images of the whole map do (what a random selection of that size would hold, scaled).
struct CountBar {
    int key = 0; ///< the label or cluster number (its colour on the map)
    QString name;
    int selected = 0;
    int inMap = 0;
};

/// Every class of the map in folder order; empty when the map has no labels.
QVector<CountBar> labelCounts(const core::EmbeddingMap &map, const QVector<int> &indices);
/// The clusters the selection touches, most selected first; empty without clusters.
QVector<CountBar> clusterCounts(const core::EmbeddingMap &map, const QVector<int> &indices);

/// "120 images · labels: Sneaker 80, Sandal 30, Bag 10 · clusters: 12 (70), 3 (50)", the most
/// frequent first (at most five of each), for a selection of image indices.
QString selectionSummary(const core::EmbeddingMap &map, const QVector<int> &indices);

/// Indices of the n images that moved most; with a selection, the selected images instead.
QVector<int> arrowImages(const core::EmbeddingMap &map, const QVector<int> &selection, int mostMoved);

} // namespace upstep::ui
