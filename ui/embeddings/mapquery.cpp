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

template <typename Key>
QString topCounts(const std::map<Key, int> &counts, const std::function<QString(Key)> &name)
{
    std::vector<std::pair<int, Key>> sorted;
    for (const auto &[key, count] : counts)
        sorted.emplace_back(count, key);
    std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    QStringList parts;
    for (std::size_t i = 0; i < sorted.size() && i < 5; ++i)
        parts << QStringLiteral("%1 %2").arg(name(sorted[i].second)).arg(sorted[i].first);
    if (sorted.size() > 5)
        parts << QObject::tr("%n more", nullptr, static_cast<int>(sorted.size() - 5));
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
                return QString::fromStdString(map.paths()[i]).contains(word, Qt::CaseInsensitive);
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

QString selectionSummary(const core::EmbeddingMap &map, const QVector<int> &indices)
{
    std::map<int, int> labels, clusters;
    for (const int i : indices) {
        const auto at = static_cast<std::size_t>(i);
        if (at < map.labels().size() && map.labels()[at] >= 0)
            ++labels[map.labels()[at]];
        if (at < map.clusters().size())
            ++clusters[map.clusters()[at]];
    }
    QStringList parts{QObject::tr("%n image(s)", nullptr, static_cast<int>(indices.size()))};
    if (!labels.empty())
        parts << QObject::tr("labels: %1").arg(topCounts<int>(labels, [&map](int label) {
            return className(map, label);
        }));
    if (!clusters.empty())
        parts << QObject::tr("clusters: %1").arg(topCounts<int>(clusters, [](int c) { return QString::number(c); }));
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
