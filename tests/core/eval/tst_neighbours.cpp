// Approximate neighbour search (HNSW through hnswlib) against exact search on real images: the
// pixels of 6,000 Fashion-MNIST test images. Recall@10 must reach 0.95, every listed neighbour
// must be another row at the distance given, and the sampled recall estimate that maps show must
// agree with the recall measured over every row. The graph built on the table can be renumbered
// for locality without losing or changing an edge.
#include "upstep/common/error.h"
#include "eval/knngraph.h"
#include "eval/neighbours.h"
#include "eval/projection.h"
#include "io/idx.h"

#include "testdata.h"

#include <QtTest>

using namespace upstep::core;

class TestNeighbours : public QObject {
    Q_OBJECT

    torch::Tensor m_pixels; ///< [6000, 784] in [0, 1]

    /// Mean fraction of each row's exact neighbours that `found` lists.
    static double recall(const torch::Tensor &found, const torch::Tensor &exact)
    {
        return (found.unsqueeze(2) == exact.unsqueeze(1)).any(2).to(torch::kFloat64).mean().item<double>();
    }

private slots:
    void initTestCase()
    {
        torch::set_num_threads(2);
        const auto images = readIdx(upstep::test::dataPath("fashion-mnist") / "t10k-images-idx3-ubyte.gz");
        m_pixels = torch::from_blob(const_cast<std::uint8_t *>(images.data.data()), {6000, 784}, torch::kUInt8)
                       .to(torch::kFloat32) /
                   255;
    }

    void approximateMatchesExactOnRealImages()
    {
        const int k = 10;
        const auto exact = allNearestNeighbours(m_pixels, k, {NeighbourMethod::Exact});
        QVERIFY(!exact.approximate);
        const auto approximate = allNearestNeighbours(m_pixels, k, {NeighbourMethod::Approximate});
        QVERIFY(approximate.approximate);
        QCOMPARE(approximate.indices.sizes(), (std::vector<std::int64_t>{6000, k}));

        const double measured = recall(approximate.indices, exact.indices);
        const double estimated = estimateRecall(m_pixels, approximate, 500, 7);
        qInfo("HNSW recall@%d on 6000 Fashion-MNIST images: %.4f over all rows, %.4f estimated on 500", k, measured,
              estimated);
        QVERIFY2(measured >= 0.95, qPrintable(QString::number(measured)));
        QVERIFY2(std::abs(estimated - measured) < 0.03, qPrintable(QString("%1 vs %2").arg(estimated).arg(measured)));
        QCOMPARE(estimateRecall(m_pixels, exact), 1.0);

        // Each listed neighbour is another row, nearest first, at the squared distance given.
        const auto rows = torch::arange(6000).unsqueeze(1);
        QVERIFY(!(approximate.indices == rows).any().item<bool>());
        QVERIFY((approximate.distances.diff(1, 1) >= 0).all().item<bool>());
        const auto recomputed = (m_pixels.unsqueeze(1) - m_pixels.index({approximate.indices})).pow(2).sum(2);
        QVERIFY(torch::allclose(recomputed, approximate.distances, 1e-3, 1e-3));
        // Where both found a row's nearest neighbour, they agree on its distance.
        QVERIFY(
            torch::allclose(approximate.distances.select(1, 0).min(), exact.distances.select(1, 0).min(), 1e-3, 1e-3));
    }

    void automaticChoiceFollowsTheRowCount()
    {
        const auto x = m_pixels.slice(0, 0, 300);
        NeighbourSearchConfig config;
        config.exactUpTo = 299;
        QVERIFY(allNearestNeighbours(x, 5, config).approximate);
        config.exactUpTo = 300;
        const auto exact = allNearestNeighbours(x, 5, config);
        QVERIFY(!exact.approximate);
        QVERIFY(torch::equal(exact.indices, nearestNeighbours(x, 5).first));
    }

    void duplicatesNeverListTheRowItself()
    {
        // 60 copies of one image among 240 others: a copy's neighbours are its twins at distance 0,
        // and the row itself may hide among them.
        const auto x = torch::cat({m_pixels.slice(0, 0, 240), m_pixels[0].unsqueeze(0).expand({60, 784})});
        const auto table = allNearestNeighbours(x, 8, {NeighbourMethod::Approximate});
        QVERIFY(!(table.indices == torch::arange(300).unsqueeze(1)).any().item<bool>());
        QVERIFY((table.distances.slice(0, 240).select(1, 7) < 1e-6).all().item<bool>());
    }

    void renumberingKeepsEveryEdgeAndBringsNeighboursClose()
    {
        const std::int64_t n = 3000, k = 10;
        const auto table = allNearestNeighbours(m_pixels.slice(0, 0, n), static_cast<int>(k), {NeighbourMethod::Exact});
        std::vector<float> weights(static_cast<std::size_t>(n * k));
        for (std::size_t e = 0; e < weights.size(); ++e)
            weights[e] = static_cast<float>(e % 97 + 1); // distinct enough to catch a mismatched edge
        const auto graph = symmetricGraph(table.indices, weights, [](float a, float b) { return a + b; });

        const auto order = localityOrder(graph);
        auto sorted = order;
        std::sort(sorted.begin(), sorted.end());
        for (std::int64_t r = 0; r < n; ++r)
            QCOMPARE(sorted[static_cast<std::size_t>(r)], static_cast<std::int32_t>(r)); // a permutation

        const auto renamed = renumbered(graph, order);
        QCOMPARE(renamed.column.size(), graph.column.size());
        std::vector<std::int32_t> newIndex(static_cast<std::size_t>(n));
        for (std::int64_t r = 0; r < n; ++r)
            newIndex[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])] = static_cast<std::int32_t>(r);
        double spanBefore = 0, spanAfter = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const auto r = static_cast<std::size_t>(newIndex[static_cast<std::size_t>(i)]);
            QCOMPARE(renamed.rowStart[r + 1] - renamed.rowStart[r], graph.rowStart[i + 1] - graph.rowStart[i]);
            for (auto e = graph.rowStart[i]; e < graph.rowStart[i + 1]; ++e) {
                const auto j = graph.column[static_cast<std::size_t>(e)];
                const auto first = renamed.column.begin() + renamed.rowStart[r];
                const auto last = renamed.column.begin() + renamed.rowStart[r + 1];
                const auto found = std::lower_bound(first, last, newIndex[static_cast<std::size_t>(j)]);
                QVERIFY(found != last && *found == newIndex[static_cast<std::size_t>(j)]);
                QCOMPARE(renamed.value[static_cast<std::size_t>(found - renamed.column.begin())],
                         graph.value[static_cast<std::size_t>(e)]);
                spanBefore += std::abs(static_cast<double>(j - i));
                spanAfter += std::abs(static_cast<double>(*found) - static_cast<double>(r));
            }
            QVERIFY(std::is_sorted(renamed.column.begin() + renamed.rowStart[r],
                                   renamed.column.begin() + renamed.rowStart[r + 1]));
        }
        // The test rows come in no particular order, so an edge spans about n / 3 rows before.
        qInfo("mean index distance along an edge: %.0f before, %.0f after renumbering",
              spanBefore / graph.column.size(), spanAfter / graph.column.size());
        QVERIFY(spanAfter < spanBefore / 2);

        // Two components: the order still covers both.
        SparseGraph two;
        two.rowStart = {0, 1, 2, 3, 4};
        two.column = {1, 0, 3, 2};
        two.value = {1, 1, 1, 1};
        QCOMPARE(localityOrder(two), (std::vector<std::int32_t>{0, 1, 2, 3}));
    }

    void refusesTooFewRowsAndStops()
    {
        QVERIFY_THROWS_EXCEPTION(InputError, allNearestNeighbours(m_pixels.slice(0, 0, 10), 10));
        std::atomic<bool> stop{true};
        QVERIFY_THROWS_EXCEPTION(Cancelled,
                                 allNearestNeighbours(m_pixels, 10, {NeighbourMethod::Approximate}, {}, &stop));
    }
};

QTEST_GUILESS_MAIN(TestNeighbours)
#include "tst_neighbours.moc"
