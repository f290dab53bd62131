// torch.save (.pth/.pt) files read without running anything from them (make_torchsave_files.py, a
// CTest fixture, writes them with real PyTorch): every dtype, shared and strided storages,
// checkpoints with a "module." prefix, torchvision's resnet50 with its features; files that name
// os.system, eval or a model class are refused by name and the payload never runs; old pickles
// get the conversion command.
#include "io/torchsave.h"
#include "io/weightsfile.h"
#include "models/backboneloader.h"
#include "upstep/common/error.h"

#include "testdata.h"

#include <QtTest>
#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <fstream>

using namespace upstep::core;
namespace fs = std::filesystem;

class TestTorchSave : public QObject {
    Q_OBJECT

    static fs::path file(const std::string &name) { return upstep::test::referencePath(name); }

    static void expectRefused(const std::string &name, const std::string &says)
    {
        try {
            loadWeightsFile(file(name));
            QFAIL(qPrintable(QString::fromStdString(name + " was read")));
        } catch (const FormatError &e) {
            QVERIFY2(std::string(e.what()).find(says) != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find(name) != std::string::npos, e.what()); // names the file
        }
    }

private slots:
    void initTestCase() { torch::set_num_threads(2); }

    void stateDictsReadExactly_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addRow("plain") << "plain.pth";
        QTest::addRow("checkpoint") << "checkpoint.pth";
    }

    void stateDictsReadExactly()
    {
        QFETCH(QString, name);
        std::vector<std::string> notes;
        const auto read = loadWeightsFile(file(name.toStdString()), std::nullopt, &notes);
        const auto expected = loadSafetensors(file("expected.safetensors")).tensors;
        QCOMPARE(read.tensors.size(), expected.size());
        for (const auto &[key, tensor] : expected) {
            QVERIFY2(read.tensors.count(key), key.c_str());
            const auto &got = read.tensors.at(key);
            QCOMPARE(got.scalar_type(), tensor.scalar_type());
            QCOMPARE(got.sizes(), tensor.sizes());
            QVERIFY2(torch::equal(got, tensor), key.c_str()); // bit for bit
        }
        if (name == "checkpoint.pth") {
            const auto said = [&](const std::string &part) {
                return std::any_of(notes.begin(), notes.end(),
                                   [&](const auto &n) { return n.find(part) != std::string::npos; });
            };
            QVERIFY(said("'state_dict'"));
            QVERIFY(said("module."));
            QVERIFY(said("2 entries that are not tensors"));
        }
    }

    void torchvisionResnetMatches()
    {
        const auto loaded = loadBackbone(file("resnet50_torchsave.pth"));
        QCOMPARE(loaded.arch.spec.name, std::string("resnet50"));
        const auto io = loadSafetensors(file("resnet50_torchsave.io.safetensors")).tensors;
        torch::NoGradGuard noGrad;
        const double error = (loaded.model->features(io.at("input")) - io.at("features")).abs().max().item<double>();
        qInfo("resnet50_torchsave.pth: max abs difference %.3g", error);
        QVERIFY2(error < 1e-4, qPrintable(QString::number(error)));
    }

    void codeInAFileNeverRuns()
    {
        expectRefused("evil-system.pth", "posix.system");
        expectRefused("evil-eval.pth", ".eval'"); // __builtin__.eval in protocol 2
        expectRefused("whole-model.pth", "torch.nn.modules.linear.Linear");
        QVERIFY(!fs::exists(file("PICKLE-WAS-EXECUTED")));
    }

    void oldPicklesSayHowToConvert() { expectRefused("legacy.pth", "torch.save(torch.load("); }

    void shortStorageIsRefusedNotReadAsJunk() { expectRefused("short-record.pth", "shorter than its tensor"); }

    void damagedFilesAreClearErrors()
    {
        // A zip that is not torch.save's, and truncated or corrupted pickles, fail with a message.
        const auto dir = fs::temp_directory_path() / "upstep-tst-torchsave";
        fs::create_directories(dir);
        const auto plain = upstep::test::readBytes(file("plain.pth"));
        const auto write = [&](const std::string &name, const std::string &bytes) {
            std::ofstream(dir / name, std::ios::binary) << bytes;
            return dir / name;
        };
        for (const auto &path : {write("truncated.pth", plain.substr(0, plain.size() / 2)),
                                 write("notzip.pth", "PK\x03\x04 this is not a zip archive at all")}) {
            try {
                loadWeightsFile(path);
                QFAIL("a damaged file was read");
            } catch (const FormatError &e) {
                QVERIFY2(std::string(e.what()).find(path.filename().string()) != std::string::npos, e.what());
            }
        }
        // The interpreter alone, on every prefix of a real pickle: an error, never a crash.
        std::string pickle;
        {
            caffe2::serialize::PyTorchStreamReader reader(file("plain.pth").string());
            auto [data, size] = reader.getRecord("data.pkl");
            pickle.assign(static_cast<const char *>(data.get()), size);
        }
        const auto records = [](const std::string &, std::uint64_t) { return std::string(4096, '\0'); };
        int refused = 0;
        for (std::size_t n = 0; n < pickle.size(); n += 7) {
            try {
                unpickleStateDict("prefix.pth", pickle.substr(0, n), records);
            } catch (const FormatError &) {
                ++refused;
            }
        }
        QCOMPARE(refused, static_cast<int>((pickle.size() + 6) / 7));

        // Whatever a pickle builds is freed without recursion (200,000 nested tuples) or leak (a
        // list holding itself), and a view asking for 64 GiB from one stored float is refused.
        const auto refusedPickle = [&](const std::string &bytes) {
            try {
                unpickleStateDict("crafted.pth", bytes, records);
            } catch (const FormatError &) {
                return true;
            }
            return false;
        };
        QVERIFY(refusedPickle("\x80\x02]" + std::string(200000, '\x85') + "."));
        QVERIFY(refusedPickle(std::string("\x80\x02]q\x00"
                                          "h\x00"
                                          "a.",
                                          9))); // split: "\x00a" would be one escape
        expectRefused("expanded-huge.pth", "more memory");
        fs::remove_all(dir);
    }
};

QTEST_GUILESS_MAIN(TestTorchSave)
#include "tst_torchsave.moc"
