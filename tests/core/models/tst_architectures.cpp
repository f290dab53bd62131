// Backbones: published parameter counts, forward shapes, architecture detection from names and
// shapes, the 64-channels-per-head convention and its overrides, pos_embed resizing, and clear
// errors for files that are not a supported model.
#include "upstep/common/error.h"
#include "models/lora.h"
#include "models/backboneloader.h"
#include "models/vit.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace upstep::core;
namespace fs = std::filesystem;

class TestArchitectures : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        torch::set_num_threads(2);
        QVERIFY(m_dir.isValid());
    }

    void publishedParameterCounts_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<qint64>("parameters");
        // timm / torchvision model cards, with the 1000-class head.
        QTest::addRow("vit_tiny_patch16_224") << "vit_tiny_patch16_224" << qint64(5'717'416);
        QTest::addRow("vit_small_patch16_224") << "vit_small_patch16_224" << qint64(22'050'664);
        QTest::addRow("vit_base_patch16_224") << "vit_base_patch16_224" << qint64(86'567'656);
        QTest::addRow("resnet18") << "resnet18" << qint64(11'689'512);
        QTest::addRow("resnet34") << "resnet34" << qint64(21'797'672);
        QTest::addRow("resnet50") << "resnet50" << qint64(25'557'032);
        QTest::addRow("resnet101") << "resnet101" << qint64(44'549'160);
    }

    void publishedParameterCounts()
    {
        QFETCH(QString, arch);
        QFETCH(qint64, parameters);
        auto model = createBackbone(parseArchSpec(arch.toStdString()));
        QCOMPARE(countParameters(*model).total, parameters);
    }

    void forwardShapes()
    {
        auto vit = createBackbone(parseArchSpec("vit,img_size=28,patch=4,depth=2,dim=64,in_chans=1,num_classes=10"));
        vit->eval();
        const auto x = torch::randn({3, 1, 28, 28});
        QCOMPARE(vit->features(x).sizes().vec(), (std::vector<std::int64_t>{3, 64}));
        QCOMPARE(vit->logits(x).sizes().vec(), (std::vector<std::int64_t>{3, 10}));
        QCOMPARE(vit->spec().vit.heads, 1); // 64 channels per head

        auto resnet = createBackbone(parseArchSpec("resnet18,num_classes=0"));
        resnet->eval();
        QCOMPARE(resnet->features(torch::randn({2, 3, 64, 64})).sizes().vec(), (std::vector<std::int64_t>{2, 512}));
        QVERIFY_THROWS_EXCEPTION(InputError, resnet->logits(torch::randn({1, 3, 64, 64})));
        QVERIFY_THROWS_EXCEPTION(InputError, vit->features(torch::randn({1, 3, 28, 28}))); // wrong channels
    }

    void detectsFromShapesAlone_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<int>("size");
        QTest::addRow("vit_small") << "vit_small_patch16_224" << 224;
        QTest::addRow("resnet18") << "resnet18" << 96;
        QTest::addRow("resnet50 headless") << "resnet50,num_classes=0" << 96;
    }

    void detectsFromShapesAlone()
    {
        QFETCH(QString, arch);
        QFETCH(int, size);
        torch::manual_seed(3);
        auto model = createBackbone(parseArchSpec(arch.toStdString()));
        model->eval();
        const auto file = path("plain.safetensors");
        saveSafetensors(file, backboneTensors(*model)); // no metadata: shapes only
        const auto loaded = loadBackbone(file);
        QCOMPARE(loaded.arch.source, std::string("shapes"));
        QCOMPARE(loaded.arch.spec.name, model->spec().name);
        QCOMPARE(loaded.arch.spec.numClasses, model->spec().numClasses);
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({2, 3, size, size});
        QVERIFY(torch::equal(loaded.model->features(x), model->features(x)));
    }

    void headCountConventionAndOverrides()
    {
        torch::manual_seed(4);
        // 128 wide with 8 heads: shapes alone would say 2 heads (64 channels per head).
        auto model = createBackbone(parseArchSpec("vit,img_size=32,patch=8,depth=2,dim=128,heads=8,num_classes=0"));
        model->eval();
        const auto plain = path("heads-plain.safetensors");
        saveSafetensors(plain, backboneTensors(*model));
        QCOMPARE(loadBackbone(plain).arch.spec.vit.heads, 2);

        torch::NoGradGuard noGrad;
        const auto x = torch::randn({2, 3, 32, 32});
        const auto expected = model->features(x);
        const auto overridden = loadBackbone(plain, "heads=8");
        QCOMPARE(overridden.arch.spec.vit.heads, 8);
        QCOMPARE(overridden.arch.source, std::string("--arch"));
        QVERIFY(torch::allclose(overridden.model->features(x), expected, 1e-5, 1e-6));

        const auto withMetadata = path("heads-meta.safetensors");
        saveBackbone(*model, withMetadata);
        const auto fromMetadata = loadBackbone(withMetadata);
        QCOMPARE(fromMetadata.arch.source, std::string("metadata"));
        QCOMPARE(fromMetadata.arch.spec.vit.heads, 8);
        QVERIFY(torch::allclose(fromMetadata.model->features(x), expected, 1e-5, 1e-6));
        const auto metadata = readSafetensorsHeader(withMetadata).metadata;
        QVERIFY(metadata.count(kArchMetadataKey));
        QVERIFY(QString::fromStdString(metadata.at(kArchMetadataKey)).contains("\"interpolation\""));
    }

    void posEmbedResizedToNewGrid()
    {
        torch::manual_seed(5);
        auto model = createBackbone(parseArchSpec("vit,img_size=64,patch=16,depth=1,dim=64,num_classes=0"));
        {
            torch::NoGradGuard noGrad;
            auto *vit = dynamic_cast<VisionTransformerImpl *>(model.get());
            vit->pos_embed.fill_(0.25);
            vit->pos_embed[0][0].fill_(-1.0); // class token entry
        }
        const auto file = path("grid4.safetensors");
        saveBackbone(*model, file);
        const auto loaded = loadBackbone(file, "img_size=96"); // grid 4x4 -> 6x6
        auto *vit = dynamic_cast<VisionTransformerImpl *>(loaded.model.get());
        QCOMPARE(vit->pos_embed.sizes().vec(), (std::vector<std::int64_t>{1, 37, 64}));
        QVERIFY(torch::allclose(vit->pos_embed[0][0], torch::full({64}, -1.0)));
        QVERIFY(torch::allclose(vit->pos_embed.narrow(1, 1, 36), torch::full({1, 36, 64}, 0.25), 1e-5, 1e-6));
        QVERIFY(!loaded.notes.empty());
        QCOMPARE(loaded.model->features(torch::randn({1, 3, 96, 96})).size(1), 64);

        // A ramp over the 4x4 grid (1..16) is interpolated, not copied: at 8x8 it keeps its mean
        // and rises along rows and down columns.
        const auto ramp = torch::arange(17, torch::kFloat32).reshape({1, 17, 1}).expand({1, 17, 2}).contiguous();
        const auto resized = resamplePosEmbed(ramp, 8);
        QCOMPARE(resized.size(1), 65);
        QCOMPARE(resized[0][0][0].item<float>(), 0.0f);
        const auto grid = resized.narrow(1, 1, 64).select(2, 0).reshape({8, 8});
        QVERIFY(std::abs(grid.mean().item<float>() - 8.5f) < 0.25f);
        QVERIFY((grid.narrow(1, 1, 7) - grid.narrow(1, 0, 7)).min().item<float>() > 0.0f);
        QVERIFY((grid.narrow(0, 1, 7) - grid.narrow(0, 0, 7)).min().item<float>() > 0.0f);
    }

    void notAModelGivesClearErrors_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("problem");
        QTest::addRow("unrelated tensors") << 0 << "not a supported model";
        QTest::addRow("missing block tensor") << 1 << "missing";
        QTest::addRow("wrong --arch") << 2 << "architecture needs";
        QTest::addRow("extra tensors") << 3 << "do not belong";
    }

    void notAModelGivesClearErrors()
    {
        QFETCH(int, kind);
        QFETCH(QString, problem);
        auto model = createBackbone(parseArchSpec("vit,img_size=32,patch=16,depth=2,dim=64,num_classes=0"));
        auto tensors = backboneTensors(*model);
        std::string arch;
        if (kind == 0)
            tensors = {{"embeddings.weight", torch::ones({4, 4})}};
        else if (kind == 1)
            tensors.erase("blocks.1.mlp.fc2.weight");
        else if (kind == 2)
            arch = "vit,img_size=32,patch=16,depth=2,dim=128";
        else
            tensors["decoder.weight"] = torch::ones({2});
        const auto file = path("bad-model.safetensors");
        saveSafetensors(file, tensors);
        try {
            loadBackbone(file, arch);
            QFAIL("no error");
        } catch (const FormatError &e) {
            QVERIFY2(QString(e.what()).contains(problem), e.what());
            QVERIFY2(QString(e.what()).contains("bad-model.safetensors"), e.what());
        }
    }

    void archStringsAreValidated()
    {
        QVERIFY_THROWS_EXCEPTION(InputError, parseArchSpec("vit_huge"));
        QVERIFY_THROWS_EXCEPTION(InputError, parseArchSpec("vit,img_size=30,patch=4"));
        QVERIFY_THROWS_EXCEPTION(InputError, parseArchSpec("vit,dim=100,heads=3"));
        QVERIFY_THROWS_EXCEPTION(InputError, parseArchSpec("vit,colour=blue"));
        QVERIFY_THROWS_EXCEPTION(InputError, parseArchSpec("vit,mean=1/2"));
        const auto spec = parseArchSpec("vit,dim=192");
        QCOMPARE(spec.vit.heads, 3);
        QCOMPARE(spec.vit.mlpDim, 768);
        const auto back = archSpecFromJson(archSpecToJson(spec));
        QCOMPARE(archSpecToJson(back), archSpecToJson(spec));
    }

private:
    fs::path path(const char *name) const { return fs::path(m_dir.filePath(name).toStdString()); }
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestArchitectures)
#include "tst_architectures.moc"
