// Image pipeline on real files: the natural photos shipped with python3-skimage (mixed sizes,
// gray and RGB, JPEG and PNG) plus a generated set of bad and unusual files. Checks what the
// scan and the loader report, and the decoded values.
#include "data/imageloader.h"
#include "data/imagetransform.h"
#include "io/imagedecode.h"
#include "io/imageheader.h"
#include "upstep/io/imagefolder.h"
#include "testdata.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace upstep::core;
namespace fs = std::filesystem;

namespace {

std::string encode(const cv::Mat &image, const std::string &ext)
{
    std::vector<unsigned char> bytes;
    if (!cv::imencode(ext, image, bytes))
        throw std::runtime_error("encode failed");
    return {bytes.begin(), bytes.end()};
}

// A JPEG with an EXIF APP1 segment whose Orientation tag is `orientation`.
std::string jpegWithOrientation(const cv::Mat &image, int orientation)
{
    const auto jpeg = encode(image, ".jpg");
    const unsigned char tiff[] = {'I', 'I', 0x2A, 0, 8, 0, 0, 0,                               // header, IFD at 8
                                  1, 0,                                                     // one entry
                                  0x12, 0x01, 3, 0, 1, 0, 0, 0, static_cast<unsigned char>(orientation), 0, 0, 0,
                                  0, 0, 0, 0};                                              // no next IFD
    std::string app1 = "\xFF\xE1";
    const int length = 2 + 6 + static_cast<int>(sizeof tiff);
    app1 += static_cast<char>(length >> 8);
    app1 += static_cast<char>(length & 0xFF);
    app1 += std::string("Exif\0\0", 6);
    app1.append(reinterpret_cast<const char *>(tiff), sizeof tiff);
    return jpeg.substr(0, 2) + app1 + jpeg.substr(2);
}

fs::path firstWithExtension(const fs::path &folder, const std::string &ext)
{
    for (const auto &entry : fs::directory_iterator(folder))
        if (entry.path().extension() == ext)
            return entry.path();
    throw std::runtime_error("no " + ext + " in " + folder.string());
}

} // namespace

class TestImageDecode : public QObject {
    Q_OBJECT
private slots:
    void realPhotosDecode()
    {
        const auto photos = upstep::test::dataPath("photos");
        const auto folder = scanImageFolder(photos);
        QVERIFY(folder.images.size() >= 20);
        std::set<int> channels;
        std::set<std::pair<int, int>> sizes;
        Preprocessing p; // 224 px RGB, ImageNet statistics
        int rejected = 0;
        for (const auto &image : folder.images) {
            // skimage ships one deliberately truncated JPEG for its own tests.
            if (image.path.filename() == "truncated.jpg") {
                QVERIFY_THROWS_EXCEPTION(DecodeError, decodeImageFile(image.path));
                ++rejected;
                continue;
            }
            cv::Mat decoded;
            try {
                decoded = decodeImageFile(image.path);
            } catch (const DecodeError &e) {
                QFAIL(e.what());
            }
            channels.insert(decoded.channels());
            sizes.insert({decoded.cols, decoded.rows});
            double lo = 0, hi = 0;
            cv::minMaxLoc(decoded.reshape(1), &lo, &hi);
            QVERIFY(lo >= 0.0 && hi <= 1.0);
            QVERIFY2(hi > lo, image.path.c_str());
            const auto tensor = evalTransform(decoded, p);
            QCOMPARE(tensor.sizes().vec(), (std::vector<std::int64_t>{3, 224, 224}));
        }
        QCOMPARE(rejected, 1);
        QVERIFY(channels.count(1) && channels.count(3)); // gray and colour photos
        QVERIFY(sizes.size() > 5);                       // of many sizes
    }

    void badAndUnusualFiles()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto photos = upstep::test::dataPath("photos");
        const auto png = upstep::test::readBytes(firstWithExtension(photos, ".png"));
        const auto jpg = upstep::test::readBytes(firstWithExtension(photos, ".jpg"));
        using upstep::test::writeBytes;
        writeBytes(root / "truncated.png", png.substr(0, png.size() / 2));
        writeBytes(root / "truncated.jpg", jpg.substr(0, jpg.size() / 2));
        writeBytes(root / "zero.png", "");
        writeBytes(root / "text.jpg", "this is not an image\n");
        writeBytes(root / "notes.txt", "hello\n");
        fs::create_symlink(root / "gone.png", root / "dangling.png");

        cv::Mat deep(6, 5, CV_16UC1, cv::Scalar(16384)); // 0.25 in 16 bits, impossible in 8 bits
        writeBytes(root / "sub" / "deep16.png", encode(deep, ".png"));
        writeBytes(root / "sub" / "one.png", encode(cv::Mat(1, 1, CV_8UC3, cv::Scalar(10, 20, 30)), ".png"));
        cv::Mat rgba(4, 4, CV_8UC4, cv::Scalar(255, 0, 0, 0)); // BGRA: pure blue, fully transparent
        writeBytes(root / "sub" / "rgba.png", encode(rgba, ".png"));
        writeBytes(root / "sub" / "rotated.jpg", jpegWithOrientation(cv::Mat(20, 40, CV_8UC3, cv::Scalar::all(128)), 6));
        writeBytes(root / "sub" / "locked.png", png);
        fs::permissions(root / "sub" / "locked.png", fs::perms::none);
        const bool root_user = ::geteuid() == 0; // root reads any file

        const auto folder = scanImageFolder(root);
        std::map<std::string, std::string> skipped;
        for (const auto &s : folder.skipped)
            skipped[s.path.filename().string()] = s.reason;
        QCOMPARE(skipped["zero.png"], std::string("empty file"));
        QCOMPARE(skipped["notes.txt"], std::string("not an image file type"));
        QCOMPARE(skipped["dangling.png"], std::string("broken link or vanished file"));
        if (!root_user)
            QCOMPARE(skipped["locked.png"], std::string("permission denied"));
        QCOMPARE(folder.skipped.size(), root_user ? 3u : 4u);

        // Decoding finds the corrupt ones; they are reported, the rest load.
        LoaderConfig config;
        config.batchSize = 3;
        config.workers = 2;
        ImageLoader loader(folder.images, config);
        loader.startEpoch(0);
        std::size_t loaded = 0;
        while (auto batch = loader.next()) {
            loaded += batch->indices.size();
            QCOMPARE(batch->images.size(0), static_cast<std::int64_t>(batch->indices.size()));
        }
        std::map<std::string, std::string> failed;
        for (const auto &f : loader.failures())
            failed[f.path.filename().string()] = f.reason;
        QCOMPARE(failed.size(), 3u);
        QVERIFY(failed.count("truncated.png"));
        QCOMPARE(failed["truncated.jpg"], std::string("truncated JPEG (no end-of-image marker)"));
        QVERIFY(failed.count("text.jpg"));
        QCOMPARE(loaded, folder.images.size() - 3);

        const auto sixteen = decodeImageFile(root / "sub" / "deep16.png");
        QCOMPARE(sixteen.channels(), 1);
        QVERIFY(std::abs(sixteen.at<float>(0, 0) - 16384.0f / 65535.0f) < 1e-6f);

        const auto one = decodeImageFile(root / "sub" / "one.png");
        QCOMPARE(one.size(), cv::Size(1, 1));
        QCOMPARE(evalTransform(one, Preprocessing{}).size(2), 224);

        const auto noAlpha = decodeImageFile(root / "sub" / "rgba.png");
        QCOMPARE(noAlpha.channels(), 3);
        const auto pixel = noAlpha.at<cv::Vec3f>(0, 0); // RGB order
        QCOMPARE(pixel[0], 0.0f);
        QCOMPARE(pixel[2], 1.0f);

        const auto rotated = decodeImageFile(root / "sub" / "rotated.jpg");
        QCOMPARE(rotated.size(), cv::Size(20, 40)); // 40x20 stored, EXIF says rotate 90 degrees

        QCOMPARE(matchChannels(sixteen, 3).channels(), 3);
    }

    // A photo much larger than the model needs is decoded at 1/2, 1/4 or 1/8 size in the DCT
    // domain: the shorter side keeps what was asked, the pixels match the full decode shrunk by
    // area averaging, a gray JPEG stays gray and the EXIF orientation still applies.
    void signatureScanGivesTheSameReasonsInParallel()
    {
        // The signature check runs after the listing on several threads once a folder holds more
        // than one chunk of files: the same images and the same reasons as the plain scan, plus
        // the content it exists to catch, and a FIFO named like an image must not block it.
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto png = upstep::test::readBytes(firstWithExtension(upstep::test::dataPath("photos"), ".png"));
        using upstep::test::writeBytes;
        for (int i = 0; i < 700; ++i)
            writeBytes(root / ("many" + std::to_string(i % 3)) / (std::to_string(i) + ".png"), png);
        writeBytes(root / "zero.png", "");
        writeBytes(root / "text.jpg", "this is not an image\n");
        writeBytes(root / "tiny.bmp", "BM"); // a signature but 2 bytes: passes here, fails decoding
        writeBytes(root / "notes.txt", "hello\n");
        fs::create_symlink(root / "gone.png", root / "dangling.png");
        QCOMPARE(::mkfifo((root / "pipe.png").c_str(), 0644), 0);

        const auto plain = scanImageFolder(root);
        ScanOptions options;
        options.checkSignatures = true;
        std::int64_t lastDone = 0, total = 0;
        const auto checked = scanImageFolder(root, options, [&](const Progress &p) {
            if (p.stage != "checking")
                return;
            QVERIFY(p.done >= lastDone); // one reporter, never counting down
            lastDone = p.done;
            total = p.total;
        });
        std::map<std::string, std::string> skipped;
        for (const auto &s : checked.skipped)
            skipped[s.path.filename().string()] = s.reason;
        QCOMPARE(skipped["zero.png"], std::string("empty file"));
        QCOMPARE(skipped["notes.txt"], std::string("not an image file type"));
        QCOMPARE(skipped["dangling.png"], std::string("broken link or vanished file"));
        QCOMPARE(skipped["pipe.png"], std::string("not a regular file"));
        QCOMPARE(skipped["text.jpg"], std::string("content is not a known image format (corrupt or misnamed)"));
        QCOMPARE(checked.skipped.size(), 5u);
        QVERIFY(std::is_sorted(checked.skipped.begin(), checked.skipped.end(),
                               [](const auto &a, const auto &b) { return a.path < b.path; }));

        QCOMPARE(checked.images.size(), 701u); // the 700 and tiny.bmp
        QCOMPARE(plain.images.size(), 702u);   // text.jpg too: the plain scan reads no content
        std::vector<fs::path> expected;
        for (const auto &image : plain.images)
            if (image.path.filename() != "text.jpg")
                expected.push_back(image.path);
        std::vector<fs::path> got;
        for (const auto &image : checked.images)
            got.push_back(image.path);
        QVERIFY(got == expected);              // same order: sorted by path
        QCOMPARE(lastDone, std::int64_t{705}); // every file named like an image was checked
        QCOMPARE(total, std::int64_t{705});
    }

    void largeJpegsDecodeReduced()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto photo = cv::imread(upstep::test::dataPath("photos") / "astronaut.png", cv::IMREAD_COLOR);
        QVERIFY(!photo.empty());
        cv::Mat large;
        cv::resize(photo, large, cv::Size(1600, 1200), 0, 0, cv::INTER_CUBIC);
        std::vector<unsigned char> bytes;
        cv::imencode(".jpg", large, bytes, {cv::IMWRITE_JPEG_QUALITY, 95});
        upstep::test::writeBytes(root / "large.jpg", std::string(bytes.begin(), bytes.end()));

        const auto full = decodeImagePixels(root / "large.jpg");
        QCOMPARE(full.size(), cv::Size(1600, 1200));
        QCOMPARE(full.type(), CV_8UC3);
        const auto reduced = decodeImagePixels(root / "large.jpg", 224); // 1/4 keeps 300 >= 224; 1/8 would not
        QCOMPARE(reduced.size(), cv::Size(400, 300));
        QCOMPARE(decodeImagePixels(root / "large.jpg", 300).size(), cv::Size(400, 300));
        QCOMPARE(decodeImagePixels(root / "large.jpg", 301).size(), cv::Size(800, 600));
        QCOMPARE(decodeImagePixels(root / "large.jpg", 1201).size(), cv::Size(1600, 1200));
        cv::Mat shrunk;
        cv::resize(full, shrunk, reduced.size(), 0, 0, cv::INTER_AREA);
        cv::Mat difference;
        cv::absdiff(shrunk, reduced, difference);
        const double meanDifference = cv::mean(difference.reshape(1))[0];
        QVERIFY2(meanDifference < 2.0, qPrintable(QString::number(meanDifference)));

        // What the model sees differs little from the full-size path.
        Preprocessing p;
        const auto a = evalTransform(toUnitFloat(full), p);
        const auto b = evalTransform(toUnitFloat(reduced), p);
        const double tensorDifference = (a - b).abs().mean().item<double>();
        QVERIFY2(tensorDifference < 0.03, qPrintable(QString::number(tensorDifference)));

        cv::Mat gray;
        cv::cvtColor(large, gray, cv::COLOR_BGR2GRAY);
        cv::imencode(".jpg", gray, bytes);
        upstep::test::writeBytes(root / "gray.jpg", std::string(bytes.begin(), bytes.end()));
        const auto grayReduced = decodeImagePixels(root / "gray.jpg", 150);
        QCOMPARE(grayReduced.size(), cv::Size(200, 150));
        QCOMPARE(grayReduced.channels(), 1);

        cv::Mat wide;
        cv::resize(photo, wide, cv::Size(1600, 800));
        upstep::test::writeBytes(root / "rotated.jpg", jpegWithOrientation(wide, 6));
        QCOMPARE(decodeImagePixels(root / "rotated.jpg", 200).size(), cv::Size(200, 400)); // 1/4, then turned
    }

    void labelsFromClassFolders()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto image = encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(3)), ".png");
        upstep::test::writeBytes(root / "cat" / "a.png", image);
        upstep::test::writeBytes(root / "cat" / "deeper" / "b.png", image);
        upstep::test::writeBytes(root / "dog" / "c.png", image);
        upstep::test::writeBytes(root / "stray.png", image);
        QVERIFY(!hasClassSubfolders(root));
        const auto folder = scanImageFolder(root, {true});
        QCOMPARE(folder.classNames, (std::vector<std::string>{"cat", "dog"}));
        QCOMPARE(folder.images.size(), 3u);
        QCOMPARE(folder.images[0].label, 0);
        QCOMPARE(folder.images[1].label, 0);
        QCOMPARE(folder.images[2].label, 1);
        QCOMPARE(folder.skipped.size(), 1u);
        QCOMPARE(folder.skipped[0].reason, std::string("not inside a class folder"));
        fs::remove(root / "stray.png");
        QVERIFY(hasClassSubfolders(root));
    }

    // A scan can be reused (the workbench's, by the run) only while no folder it listed changed.
    void scanKnowsWhenItIsStale()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto image = encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(3)), ".png");
        upstep::test::writeBytes(root / "a.png", image);
        upstep::test::writeBytes(root / "sub" / "deeper" / "b.png", image);
        const auto settle = [&] { // folders changed just now are never trusted (coarse clocks)
            const auto past = fs::file_time_type::clock::now() - std::chrono::minutes(5);
            for (const auto *folder : {"", "sub", "sub/deeper"})
                fs::last_write_time(root / folder, past);
        };
        settle();
        auto scan = scanImageFolder(root);
        QCOMPARE(scan.listed.size(), 3u);
        QVERIFY(isScanCurrent(scan));

        upstep::test::writeBytes(root / "sub" / "deeper" / "c.png", image); // added two levels down
        QVERIFY(!isScanCurrent(scan));
        settle();
        scan = scanImageFolder(root);
        QVERIFY(isScanCurrent(scan));
        fs::rename(root / "a.png", root / "renamed.png");
        QVERIFY(!isScanCurrent(scan));
        settle();
        scan = scanImageFolder(root);
        fs::remove_all(root / "sub"); // a whole listed folder gone
        QVERIFY(!isScanCurrent(scan));

        upstep::test::writeBytes(root / "fresh.png", image); // changed within the clock's tick of the scan
        QVERIFY(!isScanCurrent(scanImageFolder(root)));
    }

    void declaredSizeMatchesTheEncoders_data()
    {
        QTest::addColumn<QString>("ext");
        for (const char *ext : {".png", ".jpg", ".bmp", ".tiff", ".webp", ".pgm", ".ppm", ".jp2"})
            QTest::addRow("%s", ext) << QString(ext);
    }

    // The header reader agrees with what OpenCV's own encoders write, for every format it reads.
    void declaredSizeMatchesTheEncoders()
    {
        QFETCH(QString, ext);
        const bool color = ext != ".pgm";
        // Odd sizes, large enough for JPEG 2000's default six resolution levels.
        const cv::Mat image(77, 123, color ? CV_8UC3 : CV_8UC1, cv::Scalar(40, 90, 200));
        std::vector<unsigned char> bytes;
        bool encoded = false;
        try {
            encoded = cv::haveImageWriter(("x" + ext).toStdString()) && cv::imencode(ext.toStdString(), image, bytes);
        } catch (const cv::Exception &) {
        }
        if (!encoded)
            QSKIP("this OpenCV build cannot write the format");
        const auto declared = readDeclaredImageSize(bytes.data(), bytes.size());
        QVERIFY(declared.has_value());
        QCOMPARE(declared->width, 123);
        QCOMPARE(declared->height, 77);
        // A prefix of the file gives no size or the right one, never a size read from past its end.
        for (std::size_t n = 0; n < std::min<std::size_t>(bytes.size(), 64); ++n) {
            const auto prefix = readDeclaredImageSize(bytes.data(), n);
            QVERIFY(!prefix || (prefix->width == 123 && prefix->height == 77));
        }
    }

    // A PNG that declares 30000 x 30000 pixels is refused from its header, before OpenCV would
    // allocate 2.7 GB for it; a folder with one such file loses only that file.
    void decompressionBombIsRefusedBeforeDecoding()
    {
        auto png = encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(0)), ".png");
        const auto setBigEndian = [&](std::size_t at, std::uint32_t v) {
            for (int i = 0; i < 4; ++i)
                png[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
        };
        setBigEndian(16, 30000); // IHDR width
        setBigEndian(20, 30000); // IHDR height (the CRC no longer matches, as in a crafted file)
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        upstep::test::writeBytes(root / "bomb.png", png);
        for (int i = 0; i < 4; ++i)
            upstep::test::writeBytes(root / ("good" + std::to_string(i) + ".png"),
                                     encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(10 * i)), ".png"));
        try {
            decodeImageFile(root / "bomb.png");
            QFAIL("the bomb was decoded");
        } catch (const DecodeError &e) {
            const QString message = e.what();
            QVERIFY2(message.contains("bomb.png") && message.contains("30000x30000 pixels (900 megapixels)"),
                     qPrintable(message));
        }
        const auto folder = scanImageFolder(root);
        LoaderConfig config;
        config.batchSize = 5;
        config.preprocessing.inputSize = 8;
        ImageLoader loader(folder.images, config);
        loader.startEpoch(0);
        std::size_t loaded = 0;
        while (auto batch = loader.next())
            loaded += batch->indices.size();
        QCOMPARE(loaded, 4u);
        QCOMPARE(loader.failureCount(), 1u);
    }

    // Sides whose product overflows 64 bits, and formats whose size cannot be read first, are
    // refused too; neither reaches OpenCV.
    void unboundedImagesAreRefused()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        upstep::test::writeBytes(root / "huge.pgm", "P5\n999999999999 999999999999\n255\n" + std::string(64, '\0'));
        upstep::test::writeBytes(root / "pam.png", "P7\nWIDTH 30000\nHEIGHT 30000\nDEPTH 1\nMAXVAL 255\nENDHDR\n");
        for (const auto &[name, problem] : {std::pair{"huge.pgm", "999999999999x999999999999 pixels"},
                                            std::pair{"pam.png", "whose size can be read from its header"}}) {
            try {
                decodeImageFile(root / name);
                QFAIL(name);
            } catch (const DecodeError &e) {
                QVERIFY2(QString(e.what()).contains(problem), e.what());
            }
        }
    }

    // A link back into the tree (a -> .) lists each folder once, so no image is counted twice.
    void symlinkLoopCountsEachImageOnce()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto image = encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(3)), ".png");
        upstep::test::writeBytes(root / "one.png", image);
        upstep::test::writeBytes(root / "sub" / "two.png", image);
        fs::create_directory_symlink(".", root / "a");
        fs::create_directory_symlink("..", root / "sub" / "up");
        fs::create_directory_symlink("sub", root / "alias");
        const auto folder = scanImageFolder(root);
        QCOMPARE(folder.images.size(), 2u);
    }

    void emptyOrMissingFolderIsAnError()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        upstep::test::writeBytes(root / "readme.txt", "no images here");
        QVERIFY_THROWS_EXCEPTION(InputError, scanImageFolder(root));
        QVERIFY_THROWS_EXCEPTION(IoError, scanImageFolder(root / "missing"));
    }
};

QTEST_GUILESS_MAIN(TestImageDecode)
#include "tst_imagedecode.moc"
