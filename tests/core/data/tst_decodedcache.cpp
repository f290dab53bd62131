// The decoded-image cache on real photos (python3-skimage's: JPEG and PNG, gray and RGB, one
// truncated file): what it stores, that the loader reads it as it would the files, that a changed
// folder or a damaged file is never read, and that a cancelled build leaves nothing behind.
#include "data/decodedcache.h"
#include "data/imageloader.h"
#include "io/imagedecode.h"
#include "testdata.h"

#include <opencv2/imgproc.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace upstep::core;
namespace fs = std::filesystem;

class TestDecodedCache : public QObject {
    Q_OBJECT

    fs::path folder() const { return fs::path(m_dir.path().toStdString()) / "cache"; }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // A copy, so that the tests may touch files.
        const auto photos = fs::path(m_dir.path().toStdString()) / "photos";
        fs::copy(upstep::test::dataPath("photos"), photos);
        m_images = scanImageFolder(photos).images;
        QVERIFY(m_images.size() >= 20);
    }

    void storesEveryImageAtItsSide()
    {
        const int side = 64;
        const auto cache = DecodedCache::build(folder(), m_images, side, 2);
        QCOMPARE(cache->size(), m_images.size());
        QCOMPARE(cache->side(), side);
        QVERIFY(fs::exists(cache->path()));
        int failures = 0, gray = 0;
        for (std::size_t i = 0; i < m_images.size(); ++i) {
            const auto path = m_images[i].path;
            const auto stored = cache->image(i);
            if (path.filename() == "truncated.jpg") {
                QVERIFY(stored.empty());
                QCOMPARE(cache->failure(i), std::string("truncated JPEG (no end-of-image marker)"));
                ++failures;
                continue;
            }
            QVERIFY2(!stored.empty(), path.c_str());
            QVERIFY(cache->failure(i).empty());
            QCOMPARE(stored.depth(), CV_8U);
            const auto full = decodeImagePixels(path);
            QCOMPARE(stored.channels(), full.channels());
            gray += stored.channels() == 1 ? 1 : 0;
            const int shorter = std::min(full.cols, full.rows);
            QCOMPARE(std::min(stored.cols, stored.rows), std::min(shorter, side)); // never enlarged
            QVERIFY(
                std::abs(static_cast<double>(stored.cols) / stored.rows - static_cast<double>(full.cols) / full.rows) <
                0.05 * static_cast<double>(full.cols) / full.rows + 1.0 / stored.rows);
            // The pixels are the file's, shrunk: compare with an area-averaged full decode.
            cv::Mat eight = full;
            if (full.depth() != CV_8U)
                full.convertTo(eight, CV_MAKETYPE(CV_8U, full.channels()), 255.0 * unitScale(full.depth()));
            cv::Mat shrunk, difference;
            cv::resize(eight, shrunk, stored.size(), 0, 0, cv::INTER_AREA);
            cv::absdiff(shrunk, stored, difference);
            QVERIFY2(cv::mean(difference.reshape(1))[0] < 3.0, path.c_str());
        }
        QCOMPARE(failures, 1);
        QVERIFY(gray > 0);
    }

    void loaderReadsItAsItWouldTheFiles()
    {
        LoaderConfig config;
        config.batchSize = 8;
        config.workers = 2;
        config.preprocessing.inputSize = 48;
        ImageLoader fromFiles(m_images, config);
        config.cache = DecodedCache::open(folder(), m_images, 64);
        QVERIFY(config.cache);
        ImageLoader fromCache(m_images, config);
        fromFiles.startEpoch(0);
        fromCache.startEpoch(0);
        while (auto a = fromFiles.next()) {
            auto b = fromCache.next();
            QVERIFY(b.has_value());
            QCOMPARE(a->indices, b->indices);
            // Normalised units (about 4.4 per unit of [0, 1]): the cache only adds one resampling.
            const double difference = (a->images - b->images).abs().mean().item<double>();
            QVERIFY2(difference < 0.08, qPrintable(QString::number(difference)));
        }
        QVERIFY(!fromCache.next().has_value());
        QCOMPARE(fromCache.failures().size(), 1u);
        QCOMPARE(fromCache.failures().front().reason, fromFiles.failures().front().reason);
    }

    // The same images named relatively (as `upstep cache --data photos` run in their parent
    // folder lists them) find the cache built from absolute paths.
    void relativePathsNameTheSameCache()
    {
        const auto parent = fs::path(m_dir.path().toStdString());
        const auto previous = fs::current_path();
        fs::current_path(parent);
        ImageList relative;
        for (const auto &image : m_images)
            relative.push_back({fs::path("./photos/") / image.path.filename(), image.label});
        const bool found = DecodedCache::open(folder(), relative, 64) != nullptr;
        fs::current_path(previous);
        QVERIFY(found);
    }

    void aChangedFolderGetsANewCache()
    {
        const auto before = DecodedCache::fileFor(folder(), m_images, 64);
        QVERIFY(DecodedCache::open(folder(), m_images, 64));
        auto fewer = m_images;
        fewer.pop_back();
        QVERIFY(!DecodedCache::open(folder(), fewer, 64));
        const auto touched = m_images.front().path;
        fs::last_write_time(touched, fs::last_write_time(touched) + std::chrono::seconds(5));
        QVERIFY(DecodedCache::fileFor(folder(), m_images, 64) != before);
        std::string problem;
        QVERIFY(!DecodedCache::open(folder(), m_images, 64, &problem));
        QVERIFY(problem.empty()); // simply none yet: the old file is for the old content
    }

    void aDamagedFileIsNotRead()
    {
        const auto cache = DecodedCache::build(folder(), m_images, 32, 2);
        const auto file = cache->path();
        const auto size = fs::file_size(file);
        const auto damage = [&](auto &&change) {
            const auto copy = file.string() + ".good";
            fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
            change();
            std::string problem;
            const bool opened = DecodedCache::open(folder(), m_images, 32, &problem) != nullptr;
            fs::rename(copy, file);
            return opened ? std::string("opened") : problem;
        };
        QVERIFY(damage([&] { fs::resize_file(file, size - 7); }).find("not used") != std::string::npos);
        QVERIFY(damage([&] { fs::resize_file(file, 10); }).find("too short") != std::string::npos);
        QVERIFY(damage([&] {
                    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
                    f.seekp(-8 - 8 - 8 - 4 - 4 - 8, std::ios::end); // the footer's magic
                    f.write("XXXXXXXX", 8);
                }).find("not a decoded-image cache") != std::string::npos);
        QVERIFY(DecodedCache::open(folder(), m_images, 32)); // the restored file reads again
    }

    void aCancelledBuildLeavesNothing()
    {
        const auto empty = fs::path(m_dir.path().toStdString()) / "cancelled";
        std::atomic<bool> stop{true};
        QVERIFY_THROWS_EXCEPTION(Cancelled, DecodedCache::build(empty, m_images, 48, 2, {}, &stop));
        QVERIFY(fs::is_empty(empty));
    }

    void runsUseBuildOrFindTheCache()
    {
        const auto where = fs::path(m_dir.path().toStdString()) / "runs";
        qputenv("UPSTEP_CACHE_DIR", QByteArray::fromStdString(where.string()));
        std::string note;
        QVERIFY(!decodedCacheForRun(DecodedCacheMode::Auto, m_images, 40, 2, {}, nullptr, &note));
        QVERIFY2(note.find("no decoded-image cache") != std::string::npos, note.c_str());
        const auto built = decodedCacheForRun(DecodedCacheMode::Build, m_images, 40, 2, {}, nullptr, &note);
        QVERIFY(built && built->side() == 40);
        QVERIFY2(note.find("built") != std::string::npos, note.c_str());
        QVERIFY(!decodedCacheForRun(DecodedCacheMode::Off, m_images, 40, 2, {}, nullptr, &note));
        // A run that needs more pixels still reads the smaller cache, and says so.
        const auto smaller = decodedCacheForRun(DecodedCacheMode::Auto, m_images, 80, 2, {}, nullptr, &note);
        QVERIFY(smaller && smaller->side() == 40);
        QVERIFY2(note.find("below the 80") != std::string::npos, note.c_str());
        qunsetenv("UPSTEP_CACHE_DIR");
    }

private:
    QTemporaryDir m_dir;
    ImageList m_images;
};

QTEST_GUILESS_MAIN(TestDecodedCache)
#include "tst_decodedcache.moc"
