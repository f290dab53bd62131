#include "embeddings/mapquery.h"

#include <QObject>
#include <QStringList>

#include <algorithm>
#include <functional>
#include <map>

namespace upstep::ui {

namespace {

/// "0-T-shirt-top" reads as "T-shirt-top": import-idx --names puts the label number first.
QString className(const core::EmbeddingMap &map, int label)
{
    if (label < 0 || static_cast<std::size_t>(label) >= map.classNames().size())
        return QString::number(label);
    const auto name = QString::fromStdString(map.classNames()[static_cast<std::size_t>(label)]);
    const int dash = name.indexOf(QLatin1Char('-'));
    bool numbered = false;
    if (dash > 0)
        name.left(dash).toInt(&numbered);
    return numbered && dash + 1 < name.size() ? name.mid(dash + 1) : name;
}

QVector<CountBar> mostSelectedFirst(QVector<CountBar> bars)
{
    std::stable_sort(bars.begin(), bars.end(), [](const auto &a, const auto &b) { return a.selected > b.selected; });
    return bars;
}

QString topCounts(const QVector<CountBar> &bars)
{
    QStringList parts;
    int shown = 0, rest = 0;
    for (const auto &bar : mostSelectedFirst(bars)) {
        if (bar.selected == 0)
            continue;
        if (shown++ < 5)
            parts << QStringLiteral("%1 %2").arg(bar.name).arg(bar.selected);
        else
            ++rest;
    }
    if (rest > 0)
        parts << QObject::tr("%n more", nullptr, rest);
    return parts.join(QStringLiteral(", "));
}

} // namespace

MapQuery findImages(const core::EmbeddingMap &map, const QString &query)
{
    MapQuery result;
    const auto words = query.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    std::vector<std::function<bool(std::size_t)>> tests;
    for (const auto &word : words) {
        const auto lower = word.toLower();
        bool ok = true;
        if (lower.startsWith(QLatin1String("label:"))) {
            const auto wanted = word.mid(6);
            tests.push_back([&map, wanted](std::size_t i) {
                const int label = map.labels()[i];
                return label >= 0 && (className(map, label).startsWith(wanted, Qt::CaseInsensitive) ||
                                      QString::fromStdString(map.classNames()[static_cast<std::size_t>(label)])
                                          .startsWith(wanted, Qt::CaseInsensitive));
            });
        } else if (lower.startsWith(QLatin1String("cluster:"))) {
            const int cluster = word.mid(8).toInt(&ok);
            if (ok && map.clusters().empty())
                return {{}, QObject::tr("clusters are known only for a map made with a run")};
            tests.push_back([&map, cluster](std::size_t i) { return map.clusters()[i] == cluster; });
        } else if (lower.startsWith(QLatin1String("moved>")) || lower.startsWith(QLatin1String("moved<"))) {
            const double limit = word.mid(6).toDouble(&ok);
            const bool above = lower[5] == QLatin1Char('>');
            if (ok && map.displacement().empty())
                return {{}, QObject::tr("displacement is known only for a map made with an adapter")};
            tests.push_back([&map, limit, above](std::size_t i) {
                return above ? map.displacement()[i] > limit : map.displacement()[i] < limit;
            });
        } else {
            tests.push_back([&map, word](std::size_t i) {
                return QString::fromStdString(map.path(static_cast<std::int64_t>(i))).contains(word, Qt::CaseInsensitive);
            });
        }
        if (!ok)
            return {{}, QObject::tr("\"%1\" is not a number after its colon or sign").arg(word)};
    }
    if (tests.empty())
        return result;
    for (std::size_t i = 0; i < static_cast<std::size_t>(map.size()); ++i)
        if (std::all_of(tests.begin(), tests.end(), [i](const auto &test) { return test(i); }))
            result.matches.push_back(static_cast<int>(i));
    return result;
}

QVector<CountBar> labelCounts(const core::EmbeddingMap &map, const QVector<int> &indices)
{
    QVector<CountBar> bars;
    const auto &labels = map.labels();
    if (std::none_of(labels.begin(), labels.end(), [](int label) { return label >= 0; }))
        return bars;
    for (int c = 0; c < static_cast<int>(map.classNames().size()); ++c)
        bars.push_back({c, className(map, c)});
    for (const int label : labels)
        if (label >= 0 && label < bars.size())
            ++bars[label].inMap;
    for (const int i : indices) {
        const auto at = static_cast<std::size_t>(i);
        if (at < labels.size() && labels[at] >= 0 && labels[at] < bars.size())
            ++bars[labels[at]].selected;
    }
    return bars;
}

QVector<CountBar> clusterCounts(const core::EmbeddingMap &map, const QVector<int> &indices)
{
    const auto &clusters = map.clusters();
    std::map<int, CountBar> touched;
    for (const int i : indices)
        if (const auto at = static_cast<std::size_t>(i); at < clusters.size())
            ++touched.try_emplace(clusters[at], CountBar{clusters[at], QString::number(clusters[at])})
                  .first->second.selected;
    for (const int cluster : clusters)
        if (const auto it = touched.find(cluster); it != touched.end())
            ++it->second.inMap;
    QVector<CountBar> bars;
    for (const auto &[cluster, bar] : touched)
        bars.push_back(bar);
    return mostSelectedFirst(bars);
}

QString selectionSummary(const core::EmbeddingMap &map, const QVector<int> &indices)
{
    QStringList parts{QObject::tr("%n image(s)", nullptr, static_cast<int>(indices.size()))};
    if (const auto labels = topCounts(labelCounts(map, indices)); !labels.isEmpty())
        parts << QObject::tr("labels: %1").arg(labels);
    if (const auto clusters = topCounts(clusterCounts(map, indices)); !clusters.isEmpty())
        parts << QObject::tr("clusters: %1").arg(clusters);
    return parts.join(QStringLiteral(" · "));
}

QVector<int> arrowImages(const core::EmbeddingMap &map, const QVector<int> &selection, int mostMoved)
{
    if (!selection.isEmpty())
        return selection;
    QVector<int> result;
    for (const auto i : map.mostMoved(mostMoved))
        result.push_back(static_cast<int>(i));
    return result;
}

} // namespace upstep::ui
