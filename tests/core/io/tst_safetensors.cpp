// safetensors: round trips for every dtype, metadata, atomic writes, and every malformed case
// the reader must reject with a FormatError naming the file and the problem.
#include "upstep/common/error.h"
#include "io/safetensors.h"
#include "testdata.h"

#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <cstdint>
#include <limits>
#include <random>
#include <sys/resource.h>

using namespace upstep::core;
namespace fs = std::filesystem;

Q_DECLARE_METATYPE(torch::ScalarType)

namespace {

// The 8-byte little-endian header length.
std::string lengthOnly(std::uint64_t n)
{
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i, n >>= 8)
        out[static_cast<std::size_t>(i)] = static_cast<char>(n & 0xff);
    return out;
}

// Builds a file: header length, header text, data bytes.
std::string fileBytes(const std::string &header, const std::string &data)
{
    return lengthOnly(header.size()) + header + data;
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void roundTrip_data()
    {
        QTest::addColumn<torch::ScalarType>("type");
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addRow("F32") << torch::kFloat32 << QList<qint64>{3, 4};
        QTest::addRow("F16") << torch::kFloat16 << QList<qint64>{5};
        QTest::addRow("BF16") << torch::kBFloat16 << QList<qint64>{2, 3};
        QTest::addRow("F64") << torch::kFloat64 << QList<qint64>{2, 2, 2};
        QTest::addRow("I64") << torch::kInt64 << QList<qint64>{7};
        QTest::addRow("I32") << torch::kInt32 << QList<qint64>{3, 1};
        QTest::addRow("I16") << torch::kInt16 << QList<qint64>{4};
        QTest::addRow("I8") << torch::kInt8 << QList<qint64>{4};
        QTest::addRow("U8") << torch::kUInt8 << QList<qint64>{2, 8};
        QTest::addRow("BOOL") << torch::kBool << QList<qint64>{9};
        QTest::addRow("scalar") << torch::kFloat32 << QList<qint64>{};
        QTest::addRow("empty") << torch::kFloat32 << QList<qint64>{0, 3};
    }

    void roundTrip()
    {
        QFETCH(torch::ScalarType, type);
        QFETCH(QList<qint64>, shape);
        torch::manual_seed(1);
        const std::vector<std::int64_t> dims(shape.begin(), shape.end());
        auto values = (torch::randn(dims) * 50).to(type);
        const TensorMap tensors{{"values", values}, {"other.weight", torch::arange(6, torch::kFloat32).reshape({2, 3})}};
        const Metadata metadata{{"format", "pt"}, {"note", "ünïcode ok"}};
        const auto file = fs::path(m_dir.filePath("round.safetensors").toStdString());
        saveSafetensors(file, tensors, metadata);

        const auto header = readSafetensorsHeader(file);
        QCOMPARE((header.dataStart - 8) % 8, 0u); // header padded so data stays aligned
        const auto loaded = loadSafetensors(file);
        QCOMPARE(loaded.metadata, metadata);
        QCOMPARE(loaded.tensors.size(), 2u);
        const auto &back = loaded.tensors.at("values");
        QCOMPARE(back.scalar_type(), type);
        QCOMPARE(back.sizes().vec(), dims);
        QVERIFY(torch::equal(back, values));
        QVERIFY(torch::equal(loaded.tensors.at("other.weight"), tensors.at("other.weight")));

        // Conversion on load touches floating tensors only.
        const auto converted = loadSafetensors(file, torch::kFloat32).tensors.at("values");
        QCOMPARE(converted.scalar_type(), values.is_floating_point() ? torch::kFloat32 : type);
        QVERIFY(torch::equal(converted, values.is_floating_point() ? values.to(torch::kFloat32) : values));
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("problem");
        auto row = [](const char *name, const std::string &bytes, const char *problem) {
            QTest::addRow("%s", name) << QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size()))
                                      << QString(problem);
        };
        const std::string f32x4(16, '\0');
        row("zero bytes", "", "too short");
        row("short length", "abc", "too short");
        row("truncated header", fileBytes("{\"a\":", "").substr(0, 10), "truncated");
        row("header too large", lengthOnly(std::uint64_t(1) << 40) + "{}", "over the limit");
        row("tensor named twice",
            fileBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                      f32x4),
            "names tensor 'a' twice");
        row("torch.save zip (.pth)", std::string("PK\x03\x04", 4) + std::string(60, '\0'), "torch.save format");
        row("pickle (.pth)", std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46", 8) + std::string(60, '\0'),
            "Python pickle");
        row("header longer than file", lengthOnly(1000) + "{}", "truncated");
        row("bad json", fileBytes("{not json", ""), "not valid JSON");
        row("json array", fileBytes("[1,2]", ""), "not a JSON object");
        row("unknown dtype", fileBytes(R"({"a":{"dtype":"F8","shape":[4],"data_offsets":[0,4]}})", f32x4), "unknown dtype");
        row("shape vs bytes", fileBytes(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}})", f32x4),
            "shape needs");
        row("negative dim", fileBytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", f32x4),
            "non-negative");
        row("shape overflow",
            fileBytes(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]}})",
                      f32x4),
            "too large");
        row("offsets reversed", fileBytes(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", f32x4),
            "end before");
        row("offsets out of range", fileBytes(R"({"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", f32x4),
            "outside");
        row("truncated data", fileBytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", f32x4.substr(0, 9)),
            "outside");
        row("overlapping", fileBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                     f32x4),
            "overlap");
        row("missing offsets", fileBytes(R"({"a":{"dtype":"F32","shape":[2]}})", f32x4), "data_offsets");
        row("metadata not strings", fileBytes(R"({"__metadata__":{"a":1}})", ""), "not a string");
        row("entry not object", fileBytes(R"({"a":3})", ""), "not a JSON object");
    }

    void malformed()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, problem);
        const auto file = fs::path(m_dir.filePath("bad.safetensors").toStdString());
        upstep::test::writeBytes(file, bytes.toStdString());
        bool thrown = false;
        try {
            loadSafetensors(file);
        } catch (const FormatError &e) {
            thrown = true;
            const QString message = e.what();
            QVERIFY2(message.contains(QString::fromStdString(file.string())), qPrintable(message));
            QVERIFY2(message.contains(problem), qPrintable(message));
        }
        QVERIFY(thrown);
    }

    void nonFiniteValuesAreRefused()
    {
        const auto file = fs::path(m_dir.filePath("nan.safetensors").toStdString());
        auto values = torch::ones({4, 3});
        values[2][1] = std::numeric_limits<float>::quiet_NaN();
        values[3][0] = std::numeric_limits<float>::infinity();
        saveSafetensors(file, {{"blocks.0.weight", values}, {"ok", torch::ones({2})}});
        const auto loaded = loadSafetensors(file);
        try {
            requireFinite(file, loaded.tensors);
            QFAIL("NaN weights were accepted");
        } catch (const FormatError &e) {
            const QString message = e.what();
            QVERIFY2(message.contains("'blocks.0.weight' holds 2 of 12 values that are NaN or infinite"),
                     qPrintable(message));
        }
        requireFinite(file, {{"ok", torch::ones({2})}, {"ints", torch::zeros({2}, torch::kInt64)}});
    }

    void atomicWrites()
    {
        const auto folder = fs::path(m_dir.filePath("atomic").toStdString());
        fs::create_directories(folder);
        const auto file = folder / "w.safetensors";
        saveSafetensors(file, {{"a", torch::ones({3})}});
        const auto before = upstep::test::readBytes(file);

        // A tensor safetensors cannot store fails the write: the old file stays, no temp remains.
        bool thrown = false;
        try {
            saveSafetensors(file, {{"a", torch::ones({3})}, {"z", torch::ones({2}, torch::kComplexFloat)}});
        } catch (const Error &) {
            thrown = true;
        }
        QVERIFY(thrown);
        QCOMPARE(upstep::test::readBytes(file), before);
        QCOMPARE(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 1);

        // A missing folder is an IoError and creates nothing.
        thrown = false;
        try {
            saveSafetensors(folder / "missing" / "x.safetensors", {{"a", torch::ones({1})}});
        } catch (const IoError &e) {
            thrown = QString(e.what()).contains("does not exist");
        }
        QVERIFY(thrown);
        QVERIFY(!fs::exists(folder / "missing"));
    }

    // Random byte mutations of a valid file: every outcome is a clean load or a typed error,
    // never a crash or a huge allocation (run under the asan preset to check memory too).
    void mutatedFilesNeverCrash()
    {
        const auto file = fs::path(m_dir.filePath("fuzz.safetensors").toStdString());
        saveSafetensors(file, {{"a", torch::arange(12, torch::kFloat32).reshape({3, 4})},
                               {"b", torch::ones({5}, torch::kInt64)}},
                        {{"k", "v"}});
        const auto valid = upstep::test::readBytes(file);
        std::mt19937 rng(1234);
        // Characters that keep a mutated header JSON-like (the index must stop before the NUL:
        // UBSan under the asan preset found "% 19" reading one past this array).
        static constexpr char kJsonChars[] = "{}[]\",:0123456789";
        int rejected = 0;
        for (int round = 0; round < 3000; ++round) {
            auto bytes = valid;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                const auto at = rng() % bytes.size();
                switch (rng() % 3) {
                case 0: bytes[at] = static_cast<char>(rng() % 256); break;
                case 1: bytes.resize(at); break; // truncate
                default: bytes.insert(at, 1, kJsonChars[rng() % (sizeof kJsonChars - 1)]); break;
                }
                if (bytes.empty())
                    break;
            }
            upstep::test::writeBytes(file, bytes);
            try {
                loadSafetensors(file);
            } catch (const Error &) {
                ++rejected;
            }
        }
        QVERIFY(rejected > 1000); // most mutations must be caught
    }

    // A full disk, simulated with a file size limit: the write fails with IoError, the old file
    // stays as it was and no temporary file is left behind.
    void fullDiskLeavesNothing()
    {
        const auto folder = fs::path(m_dir.filePath("full").toStdString());
        fs::create_directories(folder);
        const auto file = folder / "w.safetensors";
        saveSafetensors(file, {{"a", torch::ones({4})}});
        const auto before = upstep::test::readBytes(file);

        rlimit old{};
        getrlimit(RLIMIT_FSIZE, &old);
        const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN); // get EFBIG instead of a signal
        rlimit small = old;
        small.rlim_cur = 64 * 1024;
        setrlimit(RLIMIT_FSIZE, &small);
        bool thrown = false;
        QString message;
        try {
            saveSafetensors(file, {{"a", torch::ones({1 << 20})}}); // 4 MiB
        } catch (const IoError &e) {
            thrown = true;
            message = e.what();
        }
        setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, oldHandler);

        QVERIFY(thrown);
        QVERIFY2(message.contains("write failed"), qPrintable(message));
        QCOMPARE(upstep::test::readBytes(file), before);
        QCOMPARE(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 1);
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
