// ImageList, the compact store of a scan's files: paths come back byte for byte, its sort is
// std::filesystem::path's order (which run fingerprints and epoch orders depend on), its seeded
// draw is the one shuffling the entries made, and it is compact at scale.
#include "upstep/io/imagefolder.h"
#include "testdata.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <random>

using namespace upstep::core;
namespace fs = std::filesystem;

namespace {

// Random paths built from elements chosen to trip a string-wise sort: "b" against "b.png" and
// "b-c" ('-' and '.' sort before '/'), doubled separators, rooted and relative paths.
std::vector<std::string> awkwardPaths(std::size_t count, std::uint64_t seed)
{
    const std::vector<std::string> elements{"a", "b", "b.png", "b-c", "b c", "B", "ab", "b0", "ü", "a.b"};
    std::mt19937_64 rng(seed);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < count; ++i) {
        std::string path = rng() % 4 == 0 ? "" : "/root";
        const auto depth = 1 + rng() % 4;
        for (std::size_t d = 0; d < depth; ++d)
            path += (path.empty() ? "" : (rng() % 10 == 0 ? "//" : "/")) + elements[rng() % elements.size()];
        path += (path.empty() ? "" : "/") + std::to_string(rng() % 5) + ".png";
        paths.push_back(path);
    }
    return paths;
}

} // namespace

class TestImageList : public QObject {
    Q_OBJECT

private slots:
    void pathsComeBackByteForByte()
    {
        const std::vector<std::string> paths{"x.png",           "/x.png", "a//b.png", "./d/e.png", "rel/dir/ü ñ.jpg",
                                             "/root/a b/c.png", "/root/a b/d.png"};
        ImageList list;
        for (std::size_t i = 0; i < paths.size(); ++i)
            list.append(paths[i], static_cast<int>(i) - 1);
        QCOMPARE(list.size(), paths.size());
        for (std::size_t i = 0; i < paths.size(); ++i) {
            QCOMPARE(list.pathString(i), paths[i]);
            QCOMPARE(list.path(i).native(), paths[i]);
            QCOMPARE(list[i], (ImageEntry{paths[i], static_cast<int>(i) - 1}));
        }
        std::vector<ImageEntry> iterated(list.begin(), list.end());
        QCOMPARE(iterated.size(), paths.size());
        QCOMPARE(iterated.back().path, fs::path("/root/a b/d.png"));
        list.pop_back();
        QCOMPARE(list.back().path, fs::path("/root/a b/c.png"));
    }

    void sortIsFilesystemPathOrder()
    {
        const auto paths = awkwardPaths(3000, 7);
        ImageList list;
        for (const auto &p : paths)
            list.append(p, -1);
        list.sortByPath();
        std::vector<fs::path> expected(paths.begin(), paths.end());
        std::stable_sort(expected.begin(), expected.end());
        QCOMPARE(list.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i)
            QCOMPARE(list.path(i).native(), expected[i].native());

        ImageList pair{{"r/a/b.png", 0}, {"r/a/b/c.png", 1}};
        pair.sortByPath();
        QCOMPARE(pair[0].path, fs::path("r/a/b/c.png")); // a string sort would put b.png first
    }

    void scanListsInPathOrder()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        for (const auto &name : {"b/c.png", "b.png/x.png", "b-c/y.png", "b.png.png", "a/b/c/d.png", "a/b.png"})
            upstep::test::writeBytes(root / name, "not decoded by a plain scan");
        const auto scan = scanImageFolder(root);
        std::vector<fs::path> expected;
        for (const auto &entry : fs::recursive_directory_iterator(root))
            if (entry.is_regular_file())
                expected.push_back(entry.path());
        std::sort(expected.begin(), expected.end());
        QCOMPARE(scan.images.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i)
            QCOMPARE(scan.images.path(i), expected[i]);
    }

    void selectRemoveAndDraw()
    {
        const auto paths = awkwardPaths(500, 11);
        ImageList list;
        std::vector<ImageEntry> entries;
        for (std::size_t i = 0; i < paths.size(); ++i) {
            list.append(paths[i], static_cast<int>(i % 7));
            entries.push_back({paths[i], static_cast<int>(i % 7)});
        }
        const auto chosen = list.select({4, 2, 499});
        QCOMPARE(chosen.size(), std::size_t{3});
        QCOMPARE(chosen[0], entries[4]);
        QCOMPARE(chosen[1], entries[2]);
        QCOMPARE(chosen[2], entries[499]);

        auto odd = list;
        QCOMPARE(odd.removeWhere([](std::size_t i) { return i % 2 == 0; }), std::size_t{250});
        QCOMPARE(odd.size(), std::size_t{250});
        for (std::size_t i = 0; i < odd.size(); ++i)
            QCOMPARE(odd[i], entries[2 * i + 1]);
        QVERIFY(odd != list);

        // The draw is the one a shuffle of the entries themselves made (earlier versions did that).
        std::mt19937_64 a(5), b(5);
        const auto drawn = seededDraw(list, 40, a);
        std::shuffle(entries.begin(), entries.end(), b);
        entries.resize(40);
        std::sort(entries.begin(), entries.end(), [](const auto &x, const auto &y) { return x.path < y.path; });
        QCOMPARE(drawn.size(), entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i)
            QCOMPARE(drawn[i], entries[i]);
    }

    void compactAtScale()
    {
        // 200,000 files in 100 class folders under a long root: what a std::filesystem::path per
        // file held in about 500 bytes each.
        ImageList list;
        const std::string root = "/home/someone/datasets/domain-photos/train/";
        for (int i = 0; i < 200'000; ++i)
            list.append(root + "class_" + std::to_string(i % 100) + "/img_" + std::to_string(i) + ".jpg", i % 100);
        list.shrinkToFit();
        const auto perFile = static_cast<double>(list.memoryBytes()) / static_cast<double>(list.size());
        qInfo("%.1f bytes per file", perFile);
        QVERIFY2(perFile < 48, qPrintable(QString::number(perFile)));
        QCOMPARE(list.pathString(123'456), root + "class_56/img_123456.jpg");
        QCOMPARE(list.label(123'456), 56);
    }
};

QTEST_GUILESS_MAIN(TestImageList)
#include "tst_imagelist.moc"
