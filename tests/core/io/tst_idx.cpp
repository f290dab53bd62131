// IDX reading (gzip and raw) on the real MNIST and Fashion-MNIST files, import to PNG folders,
// and malformed files.
#include "upstep/common/error.h"
#include "io/idx.h"
#include "io/imagedecode.h"
#include "upstep/io/imagefolder.h"
#include "testdata.h"

#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

using namespace upstep::core;
namespace fs = std::filesystem;

namespace {

std::string idxHeader(std::uint32_t magic, std::vector<std::uint32_t> dims)
{
    std::string out;
    auto put = [&](std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
            out += static_cast<char>((v >> shift) & 0xFF);
    };
    put(magic);
    for (auto d : dims)
        put(d);
    return out;
}

} // namespace

class TestIdx : public QObject {
    Q_OBJECT
private slots:
    void realFiles()
    {
        const auto fashion = upstep::test::dataPath("fashion-mnist");
        const auto labels = readIdx(fashion / "t10k-labels-idx1-ubyte.gz"); // gzip
        QCOMPARE(labels.dims, (std::vector<std::int64_t>{10000}));
        std::vector<int> counts(10, 0);
        for (auto v : labels.data) {
            QVERIFY(v < 10);
            ++counts[v];
        }
        QCOMPARE(counts, std::vector<int>(10, 1000)); // Fashion-MNIST test is balanced

        const auto mnist = upstep::test::dataPath("mnist");
        const auto images = readIdx(mnist / "t10k-images-idx3-ubyte"); // raw
        QCOMPARE(images.dims, (std::vector<std::int64_t>{10000, 28, 28}));
        QCOMPARE(images.data.size(), 10000u * 28 * 28);
    }

    void importWritesClassFolders()
    {
        QTemporaryDir dir;
        const fs::path out = fs::path(dir.path().toStdString()) / "fashion";
        const auto fashion = upstep::test::dataPath("fashion-mnist");
        const auto images = fashion / "t10k-images-idx3-ubyte.gz";
        const auto labels = fashion / "t10k-labels-idx1-ubyte.gz";
        const auto result = importIdx(images, labels, out, {.limit = 120, .overwrite = false});
        QCOMPARE(result.images, 120);

        const auto folder = scanImageFolder(out, {true});
        QCOMPARE(folder.images.size(), 120u);
        QCOMPARE(folder.classNames.size(), result.perClass.size());
        QVERIFY(!fs::exists(fs::path(out.string() + ".partial")));

        // The first image's pixels survive the round trip exactly.
        const auto raw = readIdx(images);
        const auto first = out / std::to_string(readIdx(labels).data[0]) / "000.png";
        const auto decoded = decodeImageFile(first);
        QCOMPARE(decoded.size(), cv::Size(28, 28));
        for (int i = 0; i < 28 * 28; ++i)
            QCOMPARE(static_cast<int>(std::lround(decoded.at<float>(i / 28, i % 28) * 255.0f)),
                     static_cast<int>(raw.data[static_cast<std::size_t>(i)]));

        // An existing folder is refused unless overwriting is asked for.
        QVERIFY_THROWS_EXCEPTION(InputError, importIdx(images, labels, out, {.limit = 5, .overwrite = false}));
        QCOMPARE(importIdx(images, labels, out, {.limit = 5, .overwrite = true}).images, 5);
        QCOMPARE(scanImageFolder(out).images.size(), 5u);
    }

    void importNamesClassFolders()
    {
        // Built-in names: folders sort in label order and say what the class is.
        QTemporaryDir dir;
        const fs::path out = fs::path(dir.path().toStdString()) / "named";
        const auto fashion = upstep::test::dataPath("fashion-mnist");
        const auto images = fashion / "t10k-images-idx3-ubyte.gz";
        const auto labels = fashion / "t10k-labels-idx1-ubyte.gz";
        IdxImportOptions options;
        options.limit = 200;
        options.classNames = knownIdxClassNames("fashion-mnist");
        QCOMPARE(options.classNames.size(), std::size_t{10});
        importIdx(images, labels, out, options);
        const auto folder = scanImageFolder(out, {true});
        QCOMPARE(folder.classNames.front(), std::string("0-T-shirt-top"));
        QCOMPARE(folder.classNames.back(), std::string("9-Ankle-boot"));
        // Labels keep their numbers: the first image's folder is its label's.
        const int first = readIdx(labels).data[0];
        QVERIFY(fs::exists(out / classFolderName(first, options.classNames) / "000.png"));

        // Eleven names pad the label to two digits; a label without a name is refused up front.
        std::vector<std::string> eleven(11, "x y");
        QCOMPARE(classFolderName(3, eleven), std::string("03-x-y"));
        options.classNames.resize(5);
        QVERIFY_THROWS_EXCEPTION(InputError,
                                 importIdx(images, labels, fs::path(dir.path().toStdString()) / "short", options));
        QVERIFY(!fs::exists(fs::path(dir.path().toStdString()) / "short"));
        QCOMPARE(classFolderName(7, {}), std::string("7"));
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("problem");
        auto row = [](const char *name, const std::string &bytes, const char *problem) {
            QTest::addRow("%s", name) << QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size())) << problem;
        };
        row("empty", "", "too short");
        row("bad magic", idxHeader(0x12345678, {}), "not an unsigned-byte IDX");
        row("float type", idxHeader(0x00000D01, {4}) + std::string(16, '\0'), "not an unsigned-byte IDX");
        row("truncated header", idxHeader(0x00000803, {10}), "truncated IDX header");
        row("truncated data", idxHeader(0x00000801, {10}) + "abc", "truncated");
        row("trailing data", idxHeader(0x00000801, {2}) + "abc", "unexpected data");
        row("huge dims", idxHeader(0x00000803, {1u << 31, 1u << 31, 16}), "implausibly large");
    }

    void malformed()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        const auto file = fs::path(dir.path().toStdString()) / "bad-idx1-ubyte";
        upstep::test::writeBytes(file, bytes.toStdString());
        try {
            readIdx(file);
            QFAIL("no error");
        } catch (const FormatError &e) {
            QVERIFY2(QString(e.what()).contains(problem), e.what());
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(file.string())), e.what());
        }
    }

    void mismatchedPairLeavesNothing()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        upstep::test::writeBytes(root / "images", idxHeader(0x00000803, {3, 2, 2}) + std::string(12, '\1'));
        upstep::test::writeBytes(root / "labels", idxHeader(0x00000801, {2}) + std::string(2, '\0'));
        QVERIFY_THROWS_EXCEPTION(InputError, importIdx(root / "images", root / "labels", root / "out"));
        QVERIFY(!fs::exists(root / "out"));
        QVERIFY(!fs::exists(root / "out.partial"));
    }
};

QTEST_GUILESS_MAIN(TestIdx)
#include "tst_idx.moc"
