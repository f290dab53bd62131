// Projections for the embedding views: PCA against a closed-form case, trustworthiness at its
// extremes, the interpolated t-SNE repulsion against its exact sums, and t-SNE on real
// Fashion-MNIST pixels (three classes that pixels separate well): it keeps them apart, and it is
// deterministic for a seed (and a thread count, as BLAS sums in the neighbour search depend on it).
#include "upstep/common/error.h"
#include "eval/projection.h"
#include "eval/tsne.h"
#include "eval/tsnerepulsion.h"
#include "eval/umap.h"
#include "io/idx.h"

#include "testdata.h"

#include <QtTest>

using namespace upstep::core;

class TestProjection : public QObject {
    Q_OBJECT

    /// The first `perClass` test images of each of the given Fashion-MNIST classes, as [N, 784]
    /// pixels in [0, 1], with their labels.
    static std::pair<torch::Tensor, torch::Tensor> fashionPixels(const std::vector<int> &classes, int perClass)
    {
        const auto data = upstep::test::dataPath("fashion-mnist");
        const auto images = readIdx(data / "t10k-images-idx3-ubyte.gz");
        const auto labels = readIdx(data / "t10k-labels-idx1-ubyte.gz");
        std::vector<torch::Tensor> rows;
        std::vector<std::int64_t> rowLabels;
        std::map<int, int> taken;
        const auto count = static_cast<std::int64_t>(labels.data.size());
        for (std::int64_t i = 0; i < count; ++i) {
            const int label = labels.data[static_cast<std::size_t>(i)];
            if (std::find(classes.begin(), classes.end(), label) == classes.end() || taken[label] >= perClass)
                continue;
            ++taken[label];
            auto pixels = torch::from_blob(const_cast<std::uint8_t *>(images.data.data()) + i * 784, {784}, torch::kUInt8);
            rows.push_back(pixels.to(torch::kFloat32) / 255);
            rowLabels.push_back(label);
        }
        return {torch::stack(rows), torch::tensor(rowLabels)};
    }

private slots:
    void initTestCase() { torch::set_num_threads(2); }

    void pcaRecoversAKnownAxis()
    {
        // Points spread along (1, 2, 2)/3 with a little noise on an orthogonal axis; the noise
        // alternates in sign, so it is uncorrelated with the spread and the axis is exact.
        const auto axis = torch::tensor({1.0f, 2.0f, 2.0f}) / 3;
        const auto other = torch::tensor({2.0f, -1.0f, 0.0f}) / std::sqrt(5.0f);
        const auto t = torch::linspace(-5, 5, 101);
        const auto s = 0.1 * (1 - 2 * (torch::arange(101) % 2)).to(torch::kFloat32);
        const auto x = t.unsqueeze(1) * axis + s.unsqueeze(1) * other + torch::tensor({3.0f, -1.0f, 7.0f});
        const auto model = fitPca(x, 2);
        QVERIFY(torch::allclose(model.mean, x.mean(0), 1e-5, 1e-5));
        QVERIFY(torch::allclose(model.components[0], axis, 1e-4, 1e-4)); // sign fixed: largest coefficient positive
        const double expected = t.var().item<double>();
        QVERIFY(std::abs(model.variance[0].item<double>() - expected) < 1e-3 * expected);
        const auto projected = projectPca(model, x);
        QVERIFY(torch::allclose(projected.select(1, 0), t, 1e-3, 1e-3));
        QVERIFY(torch::allclose(projected.select(1, 1).abs(), (s - s.mean()).abs(), 1e-3, 1e-3));
    }

    void trustworthinessExtremes()
    {
        auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
        const auto x = at::normal(0, 1, {300, 2}, generator);
        QCOMPARE(trustworthiness(x, x, 10), 1.0);               // the map is the data
        const auto shuffled = x.index({torch::randperm(300, generator)});
        QVERIFY(trustworthiness(x, shuffled, 10) < 0.7);          // neighbours scrambled
    }

    void trustworthinessMatchesTheDefinition()
    {
        // Venna and Kaski's formula written out with a full sort per point, against the chunked
        // rank counting in core.
        auto generator = at::make_generator<at::CPUGeneratorImpl>(2);
        const std::int64_t n = 400;
        const int k = 7;
        const auto x = at::normal(0, 1, {n, 8}, generator);
        const auto map = x.slice(1, 0, 2) + 0.7 * at::normal(0, 1, {n, 2}, generator);
        const auto high = torch::cdist(x, x), low = torch::cdist(map, map);
        double penalty = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            auto lowRow = low[i].clone();
            lowRow[i] = std::numeric_limits<float>::infinity();
            const auto mapNeighbours = std::get<1>(lowRow.topk(k, 0, false));
            const auto order = high[i].argsort(); // order[0] is i itself (distance 0)
            auto position = torch::empty({n}, torch::kInt64);
            position.index_put_({order}, torch::arange(n));
            for (std::int64_t j = 0; j < k; ++j)
                penalty += std::max<std::int64_t>(0, position[mapNeighbours[j]].item<std::int64_t>() - k);
        }
        const double expected = 1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * penalty;
        QVERIFY2(std::abs(trustworthiness(x, map, k) - expected) < 1e-9,
                 qPrintable(QString("%1 against %2").arg(trustworthiness(x, map, k)).arg(expected)));
    }

    void mapNeighboursMatchBruteForce()
    {
        // 2-D maps take the grid path: clusters of very different density and exact duplicates.
        auto generator = at::make_generator<at::CPUGeneratorImpl>(3);
        auto points = torch::cat({at::normal(0, 0.01, {500, 2}, generator), at::normal(0, 30, {500, 2}, generator),
                                  torch::full({20, 2}, 5.0f)});
        const int k = 9;
        const auto [indices, distances] = nearestNeighbours(points, k);
        auto all = (points.unsqueeze(1) - points.unsqueeze(0)).pow(2).sum(2); // exact, unlike a matmul-based cdist
        all.fill_diagonal_(std::numeric_limits<float>::infinity());
        const auto expected = std::get<0>(all.topk(k, 1, false, true));
        QVERIFY(torch::allclose(distances, expected, 1e-4, 1e-6));
        const auto recomputed = (points.unsqueeze(1) - points.index({indices})).pow(2).sum(2);
        QVERIFY(torch::allclose(recomputed, distances, 1e-4, 1e-6)); // the indices name those distances
        for (std::int64_t i = 0; i < points.size(0); ++i)
            QVERIFY(!(indices[i] == i).any().item<bool>());
    }

    void tsneKeepsClassesApartAndIsDeterministic()
    {
        const auto [x, labels] = fashionPixels({1, 5, 8}, 150); // trouser, sandal, bag
        TsneConfig config;
        config.iterations = 500;
        config.seed = 3;
        const auto first = runTsne(x, config);
        QCOMPARE(first.embedding.sizes(), (std::vector<std::int64_t>{450, 2}));
        QVERIFY(torch::isfinite(first.embedding).all().item<bool>());
        const double agreement = knnLabelAgreement(first.embedding, labels, 10);
        const double trust = trustworthiness(x, first.embedding, 10);
        qInfo("t-SNE of 450 Fashion-MNIST images: kNN label agreement %.3f, trustworthiness %.3f, KL %.3f", agreement,
              trust, first.klDivergence);
        QVERIFY(agreement > 0.9);
        QVERIFY(trust > 0.9);

        QVERIFY(torch::equal(first.embedding, runTsne(x, config).embedding)); // same inputs, same map

        config.randomInit = true;
        const auto seeded = runTsne(x, config);
        QVERIFY(torch::equal(seeded.embedding, runTsne(x, config).embedding));
        QVERIFY(!torch::equal(seeded.embedding, first.embedding));
    }

    void interpolatedRepulsionMatchesExactSums()
    {
        // A late map (clusters spread over about 80 units) and an early one (all within 1e-3):
        // the grid's interpolation must give the O(N^2) sums to a small relative error in both.
        auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
        const auto centres = at::normal(0, 25, {8, 2}, generator, torch::kFloat64);
        const auto late =
            (centres.repeat({375, 1}) + at::normal(0, 3, {3000, 2}, generator, torch::kFloat64)).contiguous();
        for (const auto &map : {late, (late * 1e-5).contiguous()}) {
            const std::vector<double> y(map.data_ptr<double>(), map.data_ptr<double>() + map.numel());
            std::vector<double> force, exactForce;
            InterpolatedRepulsion field;
            const double z = field.compute(y, force);
            const double exactZ = exactRepulsion(y, exactForce);
            const auto f = torch::tensor(force), e = torch::tensor(exactForce);
            const double forceError = ((f - e).norm() / e.norm()).item<double>();
            const double zError = std::abs(z - exactZ) / exactZ;
            qInfo("interpolated repulsion on a %d-node grid: force error %.2e, Z error %.2e", field.gridSide(),
                  forceError, zError);
            QVERIFY2(forceError < 3e-2, qPrintable(QString::number(forceError)));
            QVERIFY2(zError < 3e-3, qPrintable(QString::number(zError)));
        }
    }

    void umapCurveMatchesUmapLearn()
    {
        // umap-learn's find_ab_params(spread=1, min_dist=0.1): a = 1.5769, b = 0.8951.
        const auto [a, b] = fitUmapCurve(0.1, 1.0);
        QVERIFY2(std::abs(a - 1.5769) < 0.01 && std::abs(b - 0.8951) < 0.01,
                 qPrintable(QString("%1 %2").arg(a).arg(b)));
        const auto [a2, b2] = fitUmapCurve(0.5, 1.0); // a wider floor flattens the curve's head
        QVERIFY(a2 < a && b2 > b);
    }

    void umapKeepsClassesApartAndRepeatsOnOneThread()
    {
        const auto [x, labels] = fashionPixels({1, 5, 8}, 150);
        UmapConfig config;
        config.seed = 5;
        const auto first = runUmap(x, config);
        QCOMPARE(first.embedding.sizes(), (std::vector<std::int64_t>{450, 2}));
        QCOMPARE(first.epochs, 500);
        QVERIFY(torch::isfinite(first.embedding).all().item<bool>());
        const double agreement = knnLabelAgreement(first.embedding, labels, 10);
        const double trust = trustworthiness(x, first.embedding, 10);
        qInfo("UMAP of 450 Fashion-MNIST images: kNN label agreement %.3f, trustworthiness %.3f", agreement, trust);
        QVERIFY(agreement > 0.9);
        QVERIFY(trust > 0.9);

        torch::set_num_threads(1); // lock-free parallel updates repeat only on one thread
        const auto once = runUmap(x, config);
        QVERIFY(torch::equal(once.embedding, runUmap(x, config).embedding));
        torch::set_num_threads(2);
        QVERIFY_THROWS_EXCEPTION(InputError, runUmap(x.slice(0, 0, 15)));
    }

    void sampledTrustworthinessJudgesASubMap()
    {
        const auto [x, labels] = fashionPixels({1, 5, 8}, 150);
        const auto pca = projectPca(fitPca(x, 2), x);
        QCOMPARE(sampledTrustworthiness(x, pca, 10, 450), trustworthiness(x, pca, 10)); // all rows: the same
        const auto sample = sampledTrustworthiness(x, pca, 10, 200, 4);
        QVERIFY(sample > 0.5 && sample < 1);
        QCOMPARE(sampledTrustworthiness(x, pca, 10, 200, 4), sample); // seeded
    }

    void tsneRefusesTooFewPoints()
    {
        QVERIFY_THROWS_EXCEPTION(InputError, runTsne(torch::rand({20, 5})));
    }
};

QTEST_GUILESS_MAIN(TestProjection)
#include "tst_projection.moc"
