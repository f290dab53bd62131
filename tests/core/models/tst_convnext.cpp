// ConvNeXt (v1, timm's layout) against a plain-PyTorch reference forward
// (make_convnext_reference.py, a CTest fixture): detection from the tensors alone, features on
// real photos within 1e-4 at 224 and 160 px, ConvNeXt-T's parameter count, the default LoRA
// targets, a LoRA run with both exports reloaded and checked, and files it must refuse by name.
#include "common/torchcompat.h"
#include "export/adapterexport.h"
#include "io/safetensors.h"
#include "models/adapterfile.h"
#include "models/backboneloader.h"
#include "models/lora.h"
#include "run/runsnapshot.h"
#include "upstep/train/trainer.h"

#include "fixtures.h"
#include "testdata.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace upstep::core;
namespace fs = std::filesystem;
using upstep::test::maxDifference;

class TestConvNext : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path root() const { return m_dir.path().toStdString(); }

    static fs::path reference() { return upstep::test::referencePath("convnext_small_test.safetensors"); }

    // The reference file with one change, for the refusals.
    fs::path withChange(const std::string &name, const std::function<void(TensorMap &)> &change)
    {
        auto contents = loadSafetensors(reference());
        change(contents.tensors);
        const auto file = root() / (name + ".safetensors");
        saveSafetensors(file, contents.tensors, {});
        return file;
    }

    static std::string loadError(const fs::path &file)
    {
        try {
            loadBackbone(file);
        } catch (const FormatError &e) {
            return e.what();
        }
        return "loaded";
    }

private slots:
    void initTestCase()
    {
        torch::set_num_threads(2);
        QVERIFY(m_dir.isValid());
    }

    void matchesTheReference()
    {
        const auto io = loadSafetensors(upstep::test::referencePath("convnext_small_test.io.safetensors")).tensors;
        const auto loaded = loadBackbone(reference());
        const auto &spec = loaded.arch.spec;
        QCOMPARE(spec.family, ArchFamily::ConvNext);
        QCOMPARE(spec.convnext.depths, (std::array<int, 4>{1, 1, 2, 1}));
        QCOMPARE(spec.convnext.dims, (std::array<int, 4>{32, 64, 96, 128}));
        QCOMPARE(spec.numClasses, 10);
        QCOMPARE(spec.featureDim(), 128);
        QCOMPARE(spec.preprocessing.interpolation, Interpolation::Bicubic);
        QVERIFY(describeArchChoices(spec).find("head.norm") != std::string::npos);

        torch::NoGradGuard noGrad;
        QVERIFY(io.at("features").abs().max().item<double>() > 0.5); // a meaningful signal
        const double native = maxDifference(loaded.model->features(io.at("input")), io.at("features"));
        const double smaller = maxDifference(loaded.model->features(io.at("input_small")), io.at("features_small"));
        qInfo("convnext: max abs difference %.3g at 224 px, %.3g at 160 px", native, smaller);
        QVERIFY2(native < 1e-4, qPrintable(QString::number(native)));
        QVERIFY2(smaller < 1e-4, qPrintable(QString::number(smaller)));
        // The head works on the pooled, normed features.
        QCOMPARE(loaded.model->logits(io.at("input")).sizes(), (torch::IntArrayRef{3, 10}));
    }

    void torchvisionFileLoads()
    {
        // The same weights as torchvision names and saves them (.pth, layer_scale [C, 1, 1]): the
        // same features; a merged export writes torchvision's names back.
        const auto file = upstep::test::referencePath("convnext_torchvision.pth");
        const auto loaded = loadBackbone(file);
        QCOMPARE(loaded.arch.layout, std::string("torchvision"));
        QCOMPARE(loaded.arch.spec.preprocessing.interpolation, Interpolation::Bilinear);
        const auto io = loadSafetensors(upstep::test::referencePath("convnext_small_test.io.safetensors")).tensors;
        {
            torch::NoGradGuard noGrad;
            const double difference = maxDifference(loaded.model->features(io.at("input")), io.at("features"));
            qInfo("convnext_torchvision.pth: max abs difference %.3g", difference);
            QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
        }
        auto model = loadBackbone(file).model;
        injectLora(*model, {4, 8, {"fc1", "fc2", "stem.0"}});
        upstep::test::randomizeLoraB(*model, 0.2, 6);
        model->eval();
        ExportRequest request;
        request.baseWeights = file;
        request.adapter = adapterFromModel(*model, file.string());
        request.format = ExportFormat::Merged;
        request.out = root() / "torchvision-merged";
        QVERIFY(exportAdapter(request).maxAbsDifference < 1e-4);
        const auto merged = loadSafetensors(root() / "torchvision-merged" / "model.safetensors").tensors;
        QVERIFY(merged.count("features.1.0.block.3.weight") && merged.count("features.0.0.weight"));
        QVERIFY(!merged.count("stem.0.weight"));
        torch::NoGradGuard noGrad;
        const auto reloaded = loadBackbone(root() / "torchvision-merged" / "model.safetensors");
        QVERIFY(maxDifference(reloaded.model->features(io.at("input")), model->features(io.at("input"))) < 1e-4);
    }

    void runsUnderBf16Autocast()
    {
        // The CLI's default precision on CPUs with bf16 (autocast): convolutions give bf16 beside
        // float32 norms, which must not stop the forward; the features stay close to float32's.
        const auto loaded = loadBackbone(reference());
        const auto io = loadSafetensors(upstep::test::referencePath("convnext_small_test.io.safetensors")).tensors;
        torch::NoGradGuard noGrad;
        torch::Tensor reduced;
        {
            compat::AutocastGuard autocast(torch::kCPU, torch::kBFloat16);
            reduced = loaded.model->features(io.at("input")).to(torch::kFloat32);
        }
        const double difference = maxDifference(reduced, io.at("features"));
        qInfo("convnext under bf16 autocast: max abs difference %.3g", difference);
        QVERIFY(difference < 0.25 * io.at("features").abs().max().item<double>());
    }

    void convnextTinyParameterCount()
    {
        std::ifstream in(upstep::test::referencePath("convnext_param_counts.json"));
        const auto counts = nlohmann::json::parse(in);
        auto model = createBackbone(parseArchSpec("convnext_tiny"));
        const auto total = countParameters(*model).total;
        qInfo("convnext_tiny: %lld parameters", static_cast<long long>(total));
        QCOMPARE(total, counts.at("convnext_tiny").get<std::int64_t>());
    }

    void loraTargetsTheBlocksMlp()
    {
        auto model = loadBackbone(reference()).model;
        const auto names = resolveLoraTargets(*model, {});
        QCOMPARE(names.size(), 10u); // fc1 and fc2 of 5 blocks
        QCOMPARE(names.front(), std::string("stages.0.blocks.0.mlp.fc1"));
        QCOMPARE(describeLoraTargets(*model, {}),
                 std::string("stages.N.blocks.N.mlp.fc1 (5 layers), stages.N.blocks.N.mlp.fc2 (5 layers)"));
        // The convolutions a user may name: the stem and the downsampling layers.
        QCOMPARE(resolveLoraTargets(*model, {"stem.0", "downsample.1"}).size(), 4u);
        QVERIFY_THROWS_EXCEPTION(InputError, resolveLoraTargets(*model, {"conv_dw"}));
    }

    void adaptsAndExports()
    {
        // A small ConvNeXt for 32 px gray images: a real LoRA run (MLP and stem adapted), then both
        // exports, each reloaded and checked against the run's model.
        torch::manual_seed(5);
        auto base = createBackbone(parseArchSpec("convnext,depths=1/1/1/1,dims=16/32/48/64,in_chans=1,num_classes=10,"
                                                 "img_size=32,mean=0.5/0.5/0.5,std=0.5/0.5/0.5"));
        saveBackbone(*base, root() / "tiny.safetensors");
        upstep::test::importFashionSubset(root() / "target", "t10k", 64);
        auto config = upstep::test::tinyTrainConfig(root(), 6);
        config.loraTargets = {"mlp.fc1", "mlp.fc2", "stem.0"};
        const auto summary = runAdaptation(config, root() / "run", false);
        QCOMPARE(summary.status, RunStatus::Finished);

        const auto adapter = loadAdapterOrRun(root() / "run");
        QCOMPARE(adapter.info.modules.size(), 9u);
        QVERIFY(upstep::test::exportBoth(adapter, root() / "tiny.safetensors", root() / "peft", root() / "merged"));
        const auto merged = loadBackbone(root() / "merged" / "model.safetensors");
        QCOMPARE(merged.arch.spec.family, ArchFamily::ConvNext);
        auto adapted = loadBackbone(root() / "tiny.safetensors").model;
        applyAdapter(*adapted, loadAdapter(root() / "peft"));
        adapted->eval();
        auto plain = loadBackbone(root() / "tiny.safetensors").model;
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({4, 1, 32, 32});
        const double difference = maxDifference(merged.model->features(x), adapted->features(x));
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
        QVERIFY(maxDifference(plain->features(x), adapted->features(x)) > 1e-4); // the run changed it

        std::ifstream configIn(root() / "peft" / "adapter_config.json");
        const auto peftConfig = nlohmann::json::parse(configIn);
        QCOMPARE(peftConfig["auto_mapping"]["base_model_class"].get<std::string>(), std::string("ConvNeXt"));
        std::ifstream readme(root() / "peft" / "README.md");
        const std::string text((std::istreambuf_iterator<char>(readme)), std::istreambuf_iterator<char>());
        QVERIFY2(text.find("ConvNeXt(in_chans=1, depths=(1, 1, 1, 1), dims=(16, 32, 48, 64), num_classes=10)") !=
                     std::string::npos,
                 text.c_str());
    }

    void refusesWhatItDoesNotUnderstandByName()
    {
        // ConvNeXt V2's global response normalisation: named, not silently dropped.
        const auto v2 = withChange("v2", [](TensorMap &t) {
            t["stages.0.blocks.0.mlp.grn.weight"] = torch::zeros({1, 1, 1, 128});
        });
        QVERIFY2(loadError(v2).find("ConvNeXt V2") != std::string::npos, loadError(v2).c_str());
        const auto extra = withChange("extra", [](TensorMap &t) { t["stages.1.blocks.0.extra"] = torch::zeros({4}); });
        QVERIFY2(loadError(extra).find("stages.1.blocks.0.extra") != std::string::npos, loadError(extra).c_str());
        const auto missing = withChange("missing", [](TensorMap &t) { t.erase("stages.2.blocks.1.gamma"); });
        QVERIFY2(loadError(missing).find("stages.2.blocks.1.gamma") != std::string::npos, loadError(missing).c_str());
        // Too small an input for four downsamplings: a clear error, not a crash in a convolution.
        auto model = loadBackbone(reference()).model;
        QVERIFY_THROWS_EXCEPTION(InputError, model->features(torch::zeros({1, 3, 16, 16})));
    }
};

QTEST_GUILESS_MAIN(TestConvNext)
#include "tst_convnext.moc"
