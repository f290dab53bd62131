// The prefetching loader on real Fashion-MNIST images: identical batches for any number of
// worker threads, per-epoch shuffles, a bounded queue, and clean stops mid-epoch.
#include "data/imageloader.h"
#include "io/idx.h"
#include "testdata.h"

#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <thread>

using namespace upstep::core;
namespace fs = std::filesystem;

namespace {

std::vector<Batch> wholeEpoch(ImageLoader &loader, std::int64_t epoch)
{
    loader.startEpoch(epoch);
    std::vector<Batch> batches;
    while (auto batch = loader.next())
        batches.push_back(std::move(*batch));
    return batches;
}

bool sameBatches(const std::vector<Batch> &a, const std::vector<Batch> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].indices != b[i].indices || !torch::equal(a[i].images, b[i].images) ||
            !torch::equal(a[i].labels, b[i].labels))
            return false;
    return true;
}

} // namespace

class TestLoader : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const auto fashion = upstep::test::dataPath("fashion-mnist");
        const auto root = fs::path(m_dir.path().toStdString()) / "fashion";
        importIdx(fashion / "t10k-images-idx3-ubyte.gz", fashion / "t10k-labels-idx1-ubyte.gz", root,
                  {.limit = 200, .overwrite = false});
        m_images = scanImageFolder(root, {true}).images;
        QCOMPARE(m_images.size(), 200u);
    }

    void deterministicAcrossThreadCounts()
    {
        LoaderConfig config;
        config.batchSize = 24;
        config.shuffle = true;
        config.seed = 7;
        config.preprocessing.inputSize = 24;
        config.preprocessing.cropPct = 1.0;
        config.augment = AugmentConfig{0.4, 1.0, 3.0 / 4.0, 4.0 / 3.0, true};

        config.workers = 1;
        config.prefetchBatches = 1;
        ImageLoader single(m_images, config);
        const auto reference = wholeEpoch(single, 0);
        QCOMPARE(reference.size(), 9u); // 200 / 24, last batch partial

        config.workers = 4;
        config.prefetchBatches = 6;
        ImageLoader many(m_images, config);
        QVERIFY(sameBatches(wholeEpoch(many, 0), reference));
        QVERIFY(sameBatches(wholeEpoch(many, 0), reference)); // and again

        // Another epoch reshuffles and re-augments; another seed differs too.
        const auto epoch1 = wholeEpoch(many, 1);
        QVERIFY(epoch1[0].indices != reference[0].indices);
        config.seed = 8;
        ImageLoader otherSeed(m_images, config);
        QVERIFY(!sameBatches(wholeEpoch(otherSeed, 0), reference));

        // Every image appears exactly once per epoch, with its label.
        std::vector<int> seen(m_images.size(), 0);
        for (const auto &batch : reference)
            for (std::size_t i = 0; i < batch.indices.size(); ++i) {
                ++seen[static_cast<std::size_t>(batch.indices[i])];
                QCOMPARE(batch.labels[static_cast<std::int64_t>(i)].item<std::int64_t>(),
                         static_cast<std::int64_t>(m_images[static_cast<std::size_t>(batch.indices[i])].label));
            }
        QCOMPARE(seen, std::vector<int>(m_images.size(), 1));
    }

    // Batch memory is reused only once nothing outside the recycler refers to it.
    void batchMemoryIsReusedOnlyWhenReleased()
    {
        upstep::core::TensorRecycler recycler(2);
        auto first = recycler.acquire({2, 3});
        const auto *memory = first.data_ptr<float>();
        auto second = recycler.acquire({2, 3});
        QVERIFY(second.data_ptr<float>() != memory); // first is still held
        auto view = first.select(0, 1);
        first = torch::Tensor();
        QVERIFY(recycler.acquire({2, 3}).data_ptr<float>() != memory); // a view still holds it
        view = torch::Tensor();
        QCOMPARE(recycler.acquire({2, 3}).data_ptr<float>(), memory);
        QVERIFY(recycler.acquire({3, 2}).data_ptr<float>() != memory); // other sizes get their own
    }

    void queueIsBounded()
    {
        LoaderConfig config;
        config.batchSize = 8;
        config.workers = 3;
        config.prefetchBatches = 2;
        config.preprocessing.inputSize = 28;
        config.preprocessing.cropPct = 1.0;
        ImageLoader loader(m_images, config);
        loader.startEpoch(0);
        // Wait (generously, the machine may be busy) until the queue is full, then give the
        // workers time to overfill it if they could.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (loader.preparedBatches() < 2u && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        QCOMPARE(loader.preparedBatches(), 2u); // full, and no further
        QVERIFY(loader.next().has_value());
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        QVERIFY(loader.preparedBatches() <= 2u);
    }

    void stopsCleanlyMidEpoch()
    {
        LoaderConfig config;
        config.batchSize = 4;
        config.workers = 3;
        config.preprocessing.inputSize = 28;
        config.preprocessing.cropPct = 1.0;
        auto loader = std::make_unique<ImageLoader>(m_images, config);
        loader->startEpoch(0);
        QVERIFY(loader->next().has_value());
        const auto start = std::chrono::steady_clock::now();
        loader->stop();
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
        // Whatever was prepared may still be handed out, then the epoch ends.
        int remaining = 0;
        while (loader->next())
            ++remaining;
        QVERIFY(remaining <= config.prefetchBatches);
        QCOMPARE(wholeEpoch(*loader, 1).size(), 50u); // restartable
        loader->startEpoch(2);
        QVERIFY(loader->next().has_value());
        loader.reset(); // destroyed mid-epoch: joins its workers
    }

private:
    QTemporaryDir m_dir;
    ImageList m_images;
};

QTEST_GUILESS_MAIN(TestLoader)
#include "tst_loader.moc"
