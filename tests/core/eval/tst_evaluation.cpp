// Evaluation: weighted kNN and the linear probe on cases with known answers, and on real
// Fashion-MNIST pixels, where both must beat chance by far.
#include "upstep/common/error.h"
#include "common/runtime.h"
#include "eval/featureextractor.h"
#include "eval/knnclassifier.h"
#include "eval/linearprobe.h"
#include "upstep/eval/evalestimate.h"
#include "io/idx.h"
#include "models/backboneloader.h"
#include "testdata.h"

#include <QtTest>

using namespace upstep::core;

namespace {

// Fashion-MNIST images as raw pixel features [n, 784] with labels, from the real IDX files.
std::pair<torch::Tensor, torch::Tensor> fashionPixels(const char *split, std::int64_t n)
{
    const auto folder = upstep::test::dataPath("fashion-mnist");
    const auto images = readIdx(folder / (std::string(split) + "-images-idx3-ubyte.gz"));
    const auto labels = readIdx(folder / (std::string(split) + "-labels-idx1-ubyte.gz"));
    auto x = torch::from_blob(const_cast<std::uint8_t *>(images.data.data()), {images.dims[0], 784}, torch::kUInt8)
                 .narrow(0, 0, n)
                 .to(torch::kFloat32);
    auto y = torch::from_blob(const_cast<std::uint8_t *>(labels.data.data()), {labels.dims[0]}, torch::kUInt8)
                 .narrow(0, 0, n)
                 .to(torch::kInt64);
    return {x / 255.0, y};
}

} // namespace

class TestEvaluation : public QObject {
    Q_OBJECT
private slots:
    // The model of what an evaluation costs after its features (upstep/eval/evalestimate.h).
    void evalCostScalesWithItsInputs()
    {
        EvalCostShape shape{60000, 10000, 0, 192, false};
        const auto base = estimateEvalCost(shape, 2);
        // upstep-bench-eval --sizes 60000 --threads 2 (2026-12-03, docs/TRAINING.md): kNN 5.23 s,
        // linear probe 3.44 s; the model was fitted there and comes within a quarter of both.
        QVERIFY(std::abs(base.knnSeconds - 5.23) < 5.23 / 4);
        QVERIFY(std::abs(base.linearSeconds - 3.44) < 3.44 / 4);
        QCOMPARE(base.featurePasses, std::int64_t{70000});

        shape.withAdapter = true;
        shape.sourceImages = 10000;
        const auto adapted = estimateEvalCost(shape, 2);
        QCOMPARE(adapted.featurePasses, std::int64_t{160000}); // both models, over train, test and source
        QVERIFY(adapted.knnSeconds > 3 * base.knnSeconds);     // base, adapted and the twice-wide ensemble
        QVERIFY(adapted.peakBytes > base.peakBytes);
        QVERIFY(std::abs(estimateEvalCost(shape, 4).totalSeconds() * 2 - adapted.totalSeconds()) < 1e-9);

        shape.linearProbe = false;
        const auto knnOnly = estimateEvalCost(shape, 2);
        QCOMPARE(knnOnly.linearSeconds, 0.0);
        const auto text = describeEvalCost(knnOnly);
        QVERIFY2(text.starts_with("160000 feature passes") && text.find("(kNN)") != std::string::npos, text.c_str());
        shape.linearProbe = true;
        shape.linearIterations = 100;
        QVERIFY(std::abs(estimateEvalCost(shape, 2).linearSeconds * 2 - adapted.linearSeconds) < 1e-9);
    }

    void initTestCase() { torch::set_num_threads(2); }

    void knnByHand()
    {
        // Two classes on two axes; the query leans to class 1 and its nearest neighbours are class 1.
        const auto memory = torch::tensor({{1.0f, 0.0f}, {0.9f, 0.1f}, {0.0f, 1.0f}, {0.1f, 0.9f}});
        const auto labels = torch::tensor({0, 0, 1, 1}, torch::kInt64);
        const auto queries = torch::tensor({{0.2f, 1.0f}, {5.0f, 0.1f}});
        const auto result = knnClassify(memory, labels, queries, torch::tensor({1, 0}, torch::kInt64), {3, 0.07, 1});
        QCOMPARE(result.predictions[0].item<std::int64_t>(), 1);
        QCOMPARE(result.predictions[1].item<std::int64_t>(), 0); // cosine: the scale does not matter
        QCOMPARE(result.top1, 1.0);

        // With k = 4 all vote; weights exp(cos / T) still favour the nearer class.
        QCOMPARE(knnClassify(memory, labels, queries, torch::tensor({1, 0}, torch::kInt64), {4, 0.07, 512}).top1, 1.0);
        QVERIFY_THROWS_EXCEPTION(InputError, knnClassify(memory, labels, torch::ones({1, 3}), torch::zeros({1}), {}));
    }

    void linearProbeSeparates()
    {
        torch::manual_seed(0);
        // Three classes in 8 dimensions, separable by direction.
        const auto centres = torch::eye(8).narrow(0, 0, 3) * 4;
        const auto labels = torch::arange(3, torch::kInt64).repeat({50});
        const auto features = centres.index_select(0, labels) + torch::randn({150, 8}) * 0.3;
        const auto result = linearProbe(features, labels, features, labels);
        QCOMPARE(result.top1, 1.0);
        // Deterministic: no random initialisation.
        QVERIFY(torch::equal(linearProbe(features, labels, features, labels).predictions, result.predictions));
    }

    // Feature extraction on the real photos: undecodable files are reported, and bf16 features
    // agree with fp32 ones to cosine 0.99 (bf16 keeps about three significant digits).
    void featuresOnRealPhotos()
    {
        const auto folder = scanImageFolder(upstep::test::dataPath("photos"));
        const auto spec = parseArchSpec("vit,img_size=64,patch=16,depth=2,dim=64,num_classes=0");
        torch::manual_seed(1);
        auto fp32Model = createBackbone(spec);
        torch::manual_seed(1);
        auto bf16Model = createBackbone(spec);
        FeatureOptions options;
        options.batchSize = 8;
        const auto fp32 = extractFeatures(*fp32Model, folder.images, options);
        options.dtype = resolvePrecision(Precision::Bf16, torch::kCPU);
        const auto bf16 = extractFeatures(*bf16Model, folder.images, options);

        QCOMPARE(fp32.images.size() + fp32.skipped.size(), folder.images.size());
        QCOMPARE(fp32.skipped.size(), 1u); // skimage's deliberately truncated JPEG
        QCOMPARE(fp32.features.sizes().vec(), (std::vector<std::int64_t>{static_cast<std::int64_t>(fp32.images.size()), 64}));
        QCOMPARE(bf16.features.scalar_type(), torch::kFloat32);
        const auto cosine = torch::cosine_similarity(fp32.features, bf16.features, 1);
        QVERIFY2(cosine.min().item<double>() > 0.99, qPrintable(QString::number(cosine.min().item<double>())));
        QVERIFY(!torch::equal(fp32.features, bf16.features));

        QCOMPARE(resolvePrecision(Precision::Fp32, torch::kCPU), torch::kFloat32);
        QCOMPARE(resolvePrecision(Precision::Auto, torch::kCPU), cpuHasFastBf16() ? torch::kBFloat16 : torch::kFloat32);
        QVERIFY_THROWS_EXCEPTION(InputError, choiceFromName<Precision>("fp8"));
    }

    void realFashionPixels()
    {
        const auto [trainX, trainY] = fashionPixels("train", 3000);
        const auto [testX, testY] = fashionPixels("t10k", 1000);
        const auto knn = knnClassify(trainX, trainY, testX, testY);
        const auto probe = linearProbe(trainX, trainY, testX, testY, {1e-4, 100});
        qInfo("Fashion-MNIST pixels, 3000 train / 1000 test: kNN top-1 %.3f, linear probe top-1 %.3f", knn.top1,
              probe.top1);
        QVERIFY(knn.top1 > 0.7);   // chance is 0.1
        QVERIFY(probe.top1 > 0.7);
        // Streamed in chunks of 700 rows (five chunks, the last short), the fit is the same up to
        // the order of float sums: L-BFGS may end a hair apart, so a few borderline images may flip.
        const auto chunked = linearProbe(trainX, trainY, testX, testY, {1e-4, 100, 700});
        const double agree = (chunked.predictions == probe.predictions).to(torch::kFloat64).mean().item<double>();
        qInfo("linear probe in chunks of 700: top-1 %.3f, predictions agreeing with one chunk: %.4f", chunked.top1,
              agree);
        QVERIFY(agree >= 0.99);
        QVERIFY(std::abs(chunked.top1 - probe.top1) <= 0.01);

        // A block bound of 7,000 values takes two queries at a time against the 3,000-item bank:
        // the same votes as 512 at a time.
        KnnConfig small;
        small.blockEntries = 7000;
        QVERIFY(torch::equal(knnClassify(trainX, trainY, testX, testY, small).predictions, knn.predictions));
    }
};

QTEST_GUILESS_MAIN(TestEvaluation)
#include "tst_evaluation.moc"
