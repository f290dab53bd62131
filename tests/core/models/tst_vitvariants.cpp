// The ViT variants people adapt, against plain-PyTorch reference forwards
// (make_vit_variants_reference.py, a CTest fixture): DINOv2 (LayerScale, patch 14), DINOv2 with
// register tokens (position embedding on the patches only), DeiT-III, a CLIP image tower
// (norm_pre, QuickGELU, eps 1e-5), MAE/BEiT-style average pooling with fc_norm, a ViT without
// qkv bias, SigLIP (no class token, attention pool) and DINOv2 giant's SwiGLU MLP. Detection from the tensors alone, features on real photos within 1e-4 at the native
// size and at a smaller size (position embedding resampled), full-size parameter counts, and a
// LoRA run with both exports of a DINOv2-style model.
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

class TestVitVariants : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path root() const { return m_dir.path().toStdString(); }

private slots:
    void initTestCase()
    {
        torch::set_num_threads(2);
        QVERIFY(m_dir.isValid());
    }

    void matchesTheReference_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("arch"); // what the tensors cannot say
        QTest::addColumn<QString>("detected");
        QTest::addRow("dinov2") << "dinov2"
                                << ""
                                << "layer_scale";
        QTest::addRow("dinov2_reg") << "dinov2_reg"
                                    << ""
                                    << "layer_scale reg_tokens=4 no_embed_class";
        QTest::addRow("deit3") << "deit3"
                               << ""
                               << "layer_scale no_embed_class head";
        QTest::addRow("clip_quickgelu") << "clip_quickgelu"
                                        << "act=quick_gelu"
                                        << "norm_pre eps=1e-5 head";
        QTest::addRow("mae_avg") << "mae_avg"
                                 << ""
                                 << "pool=avg";
        QTest::addRow("no_qkv_bias") << "no_qkv_bias"
                                     << ""
                                     << "qkv_bias=0";
        QTest::addRow("siglip") << "siglip"
                                << ""
                                << "no_class_token pool=map";
        QTest::addRow("siglip_reg") << "siglip_reg"
                                    << ""
                                    << "no_class_token pool=map reg_tokens=4";
        QTest::addRow("dinov2_swiglu") << "dinov2_swiglu"
                                       << ""
                                       << "layer_scale swiglu";
    }

    void matchesTheReference()
    {
        QFETCH(QString, name);
        QFETCH(QString, arch);
        QFETCH(QString, detected);
        const auto weights = upstep::test::referencePath(name.toStdString() + ".safetensors");
        const auto io = loadSafetensors(upstep::test::referencePath(name.toStdString() + ".io.safetensors")).tensors;
        const auto loaded = loadBackbone(weights, arch.toStdString());
        const auto &v = loaded.arch.spec.vit;
        // What detection found, from the tensors alone.
        QCOMPARE(v.layerScale, detected.contains("layer_scale"));
        QCOMPARE(v.regTokens, detected.contains("reg_tokens=4") ? 4 : 0);
        QCOMPARE(v.noEmbedClass, detected.contains("no_embed_class"));
        QCOMPARE(v.normPre, detected.contains("norm_pre"));
        QCOMPARE(v.eps, detected.contains("eps=1e-5") ? 1e-5 : 1e-6);
        QCOMPARE(v.pool == VitPool::Avg, detected.contains("pool=avg"));
        QCOMPARE(v.qkvBias, !detected.contains("qkv_bias=0"));
        QCOMPARE(v.classToken, !detected.contains("no_class_token"));
        QCOMPARE(v.pool == VitPool::Map, detected.contains("pool=map"));
        QCOMPARE(v.swiglu, detected.contains("swiglu"));
        QCOMPARE(loaded.arch.spec.numClasses > 0, detected.contains("head"));
        QVERIFY(!describeArchChoices(loaded.arch.spec).empty());

        torch::NoGradGuard noGrad;
        const auto &expected = io.at("features");
        QVERIFY(expected.abs().max().item<double>() > 0.5); // a meaningful signal
        const double native = maxDifference(loaded.model->features(io.at("input")), expected);
        // At a smaller size: the position embedding resampled on load, as timm does.
        const int small = static_cast<int>(io.at("input_small").size(2));
        const auto resized = loadBackbone(weights, (arch.isEmpty() ? QString() : arch + ",").toStdString() +
                                                       "img_size=" + std::to_string(small));
        QCOMPARE(resized.arch.spec.vit.imgSize, small);
        const double smaller = maxDifference(resized.model->features(io.at("input_small")), io.at("features_small"));
        qInfo("%s: max abs difference %.3g at %d px, %.3g at %d px", qPrintable(name), native, v.imgSize, smaller,
              small);
        QVERIFY2(native < 1e-4, qPrintable(QString::number(native)));
        QVERIFY2(smaller < 1e-4, qPrintable(QString::number(smaller)));

        {
            // The CLI's default precision on CPUs with bf16: every variant runs under autocast.
            compat::AutocastGuard autocast(torch::kCPU, torch::kBFloat16);
            const auto reduced = loaded.model->features(io.at("input")).to(torch::kFloat32);
            QVERIFY(maxDifference(reduced, expected) < 0.25 * expected.abs().max().item<double>());
        }
        if (v.activation == VitActivation::QuickGelu) {
            // The activation is not in the tensors, and it matters: GELU gives other features.
            const auto gelu = loadBackbone(weights);
            QVERIFY(maxDifference(gelu.model->features(io.at("input")), expected) > 1e-3);
        }
    }

    void metasOwnDinov2FileLoads()
    {
        // Meta's release names (mask_token, register_tokens, the class position in pos_embed), in
        // a torch.save file: the same model as the timm-layout file, so the same features.
        const auto loaded = loadBackbone(upstep::test::referencePath("dinov2_meta.pth"));
        QCOMPARE(loaded.arch.spec.vit.regTokens, 4);
        QVERIFY(loaded.arch.spec.vit.noEmbedClass);
        const auto io = loadSafetensors(upstep::test::referencePath("dinov2_reg.io.safetensors")).tensors;
        torch::NoGradGuard noGrad;
        const double difference = maxDifference(loaded.model->features(io.at("input")), io.at("features"));
        qInfo("dinov2_meta.pth: max abs difference %.3g", difference);
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
    }

    void transformersFoldersMatchTheirTimmTwins_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("io"); // the timm-layout twin's features, or the folder's own
        QTest::addColumn<QString>("layout");
        QTest::addRow("dinov2 registers") << "hf_dinov2_reg"
                                          << "dinov2_reg"
                                          << "Dinov2WithRegistersModel";
        QTest::addRow("clip tower") << "hf_clip"
                                    << "clip_quickgelu"
                                    << "CLIPVisionModel";
        QTest::addRow("vit classification") << "hf_vit"
                                            << "hf_vit"
                                            << "ViTForImageClassification";
    }

    void transformersFoldersMatchTheirTimmTwins()
    {
        // A Hugging Face model folder (model.safetensors, config.json) given as the weights: the
        // same weights in transformers' names give the timm-layout file's features.
        QFETCH(QString, folder);
        QFETCH(QString, io);
        QFETCH(QString, layout);
        const auto loaded = loadBackbone(upstep::test::referencePath(folder.toStdString()));
        QCOMPARE(QString::fromStdString(loaded.arch.layout), "transformers " + layout);
        const auto &v = loaded.arch.spec.vit;
        QCOMPARE(v.heads, 2); // from config.json
        if (folder == "hf_clip")
            QCOMPARE(v.activation, VitActivation::QuickGelu); // config.json's hidden_act
        if (folder == "hf_vit") {
            QCOMPARE(v.eps, 1e-12);                    // transformers' ViT
            QCOMPARE(loaded.arch.spec.numClasses, 10); // the classifier beside "vit."
        }
        if (folder == "hf_dinov2_reg") // preprocessor_config.json: shortest edge 80, crop 70
            QCOMPARE(loaded.arch.spec.preprocessing.cropPct, 70.0 / 80.0);
        const auto tensors = loadSafetensors(upstep::test::referencePath(io.toStdString() + ".io.safetensors")).tensors;
        torch::NoGradGuard noGrad;
        const double difference = maxDifference(loaded.model->features(tensors.at("input")), tensors.at("features"));
        qInfo("%s: max abs difference %.3g", qPrintable(folder), difference);
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
        if (!tensors.count("input_small"))
            return;
        // At a smaller size too: the folder's position embedding resampled like the timm file's.
        const int small = static_cast<int>(tensors.at("input_small").size(2));
        const auto resized = loadBackbone(upstep::test::referencePath(folder.toStdString()),
                                          "img_size=" + std::to_string(small));
        const double smaller = maxDifference(resized.model->features(tensors.at("input_small")),
                                             tensors.at("features_small"));
        qInfo("%s: max abs difference %.3g at %d px", qPrintable(folder), smaller, small);
        QVERIFY2(smaller < 1e-4, qPrintable(QString::number(smaller)));
    }

    void timmHubFolderSaysWhatTheTensorsCannot()
    {
        // timm's config.json beside the weights: "_quickgelu" in the model's name and the
        // preprocessing of pretrained_cfg, with no --arch.
        const auto loaded = loadBackbone(upstep::test::referencePath("timm_clip_folder"));
        QCOMPARE(loaded.arch.spec.vit.activation, VitActivation::QuickGelu);
        const auto &p = loaded.arch.spec.preprocessing;
        QCOMPARE(p.cropPct, 0.95);
        QCOMPARE(p.interpolation, Interpolation::Bilinear);
        QCOMPARE(p.mean[1], 0.2);
        QCOMPARE(p.std[2], 0.6);
        const auto io = loadSafetensors(upstep::test::referencePath("clip_quickgelu.io.safetensors")).tensors;
        torch::NoGradGuard noGrad;
        QVERIFY(maxDifference(loaded.model->features(io.at("input")), io.at("features")) < 1e-4);
    }

    void transformersExportsUseTransformersNames()
    {
        // LoRA on a transformers-layout DINOv2 (fused q|k|v inside) exports as PEFT users know it:
        // query, key and value LoRAs in the model's own module names, and merged weights in the
        // folder's names with its config; each reloads to the adapted model's features.
        const auto folder = upstep::test::referencePath("hf_dinov2_reg");
        auto model = loadBackbone(folder).model;
        injectLora(*model, {4, 8, {}});
        upstep::test::randomizeLoraB(*model, 0.2, 8);
        model->eval();
        const auto adapter = adapterFromModel(*model, (folder / "model.safetensors").string());
        QVERIFY(
            upstep::test::exportBoth(adapter, folder / "model.safetensors", root() / "hf-peft", root() / "hf-merged"));
        const auto peft = loadSafetensors(root() / "hf-peft" / "adapter_model.safetensors").tensors;
        QVERIFY(peft.count("base_model.model.encoder.layer.1.attention.attention.value.lora_B.weight"));
        QCOMPARE(peft.at("base_model.model.encoder.layer.0.attention.attention.query.lora_B.weight").sizes(),
                 (torch::IntArrayRef{128, 4}));
        std::ifstream in(root() / "hf-peft" / "adapter_config.json");
        const auto config = nlohmann::json::parse(in);
        QCOMPARE(config["target_modules"], nlohmann::json::array({"key", "query", "value"}));
        QCOMPARE(config["auto_mapping"]["base_model_class"].get<std::string>(),
                 std::string("Dinov2WithRegistersModel"));

        const auto x = loadSafetensors(upstep::test::referencePath("dinov2_reg.io.safetensors")).tensors.at("input");
        torch::NoGradGuard noGrad;
        const auto expected = model->features(x);
        auto reloaded = loadBackbone(folder).model;
        applyAdapter(*reloaded, loadAdapter(root() / "hf-peft")); // back in timm names, q|k|v fused again
        reloaded->eval();
        QVERIFY(maxDifference(reloaded->features(x), expected) < 1e-4);
        const auto mergedFile = loadSafetensors(root() / "hf-merged" / "model.safetensors").tensors;
        QVERIFY(mergedFile.count("encoder.layer.0.attention.attention.key.weight"));
        QVERIFY(fs::exists(root() / "hf-merged" / "config.json"));
        const auto merged = loadBackbone(root() / "hf-merged");
        QCOMPARE(merged.arch.layout, std::string("transformers Dinov2WithRegistersModel"));
        QVERIFY(maxDifference(merged.model->features(x), expected) < 1e-4);
    }

    void transformersRunAdaptsQueryAndValue()
    {
        // A real run on a transformers-layout DINOv2 folder, with the default targets: LoRA on
        // query and value, as PEFT users of such models have it. The PEFT export holds exactly
        // those modules and reloads (in real transformers names, and here) to the run's model;
        // the merged export writes the folder's names back.
        const auto folder = upstep::test::referencePath("hf_dinov2_reg");
        upstep::test::importFashionSubset(root() / "hf-target", "t10k", 48);
        auto config = upstep::test::tinyTrainConfig(root(), 4);
        config.weights = folder.string();
        config.target = (root() / "hf-target").string();
        const auto summary = runAdaptation(config, root() / "hf-run", false);
        QCOMPARE(summary.status, RunStatus::Finished);
        const auto adapter = loadAdapterOrRun(root() / "hf-run");
        QCOMPARE(adapter.info.qkvProjections.text(), std::string("q,v"));
        QVERIFY(upstep::test::exportBoth(adapter, folder / "model.safetensors", root() / "hf-run-peft",
                                         root() / "hf-run-merged"));
        std::ifstream in(root() / "hf-run-peft" / "adapter_config.json");
        QCOMPARE(nlohmann::json::parse(in)["target_modules"], nlohmann::json::array({"query", "value"}));
        const auto peft = loadSafetensors(root() / "hf-run-peft" / "adapter_model.safetensors").tensors;
        QCOMPARE(peft.size(), 8u); // lora_A and lora_B of query and value in 2 layers
        QVERIFY(!peft.count("base_model.model.encoder.layer.0.attention.attention.key.lora_B.weight"));

        const auto x = loadSafetensors(upstep::test::referencePath("dinov2_reg.io.safetensors")).tensors.at("input");
        auto adapted = loadBackbone(folder).model;
        applyAdapter(*adapted, adapter);
        adapted->eval();
        auto fromPeft = loadBackbone(folder).model;
        applyAdapter(*fromPeft, loadAdapter(root() / "hf-run-peft")); // key rows filled with zeros
        fromPeft->eval();
        const auto merged = loadBackbone(root() / "hf-run-merged").model;
        torch::NoGradGuard noGrad;
        const auto expected = adapted->features(x);
        QVERIFY(maxDifference(expected, loadBackbone(folder).model->features(x)) > 1e-5); // the run changed it
        QVERIFY(maxDifference(fromPeft->features(x), expected) < 1e-4);
        QVERIFY(maxDifference(merged->features(x), expected) < 1e-4);
    }

    void fullSizeParameterCounts_data()
    {
        QTest::addColumn<QString>("preset");
        QTest::addRow("dinov2 s/14") << "vit_small_patch14_dinov2";
        QTest::addRow("clip b/16") << "vit_base_patch16_clip_quickgelu_224";
        QTest::addRow("siglip b/16") << "vit_base_patch16_siglip_224";
    }

    void fullSizeParameterCounts()
    {
        QFETCH(QString, preset);
        std::ifstream in(upstep::test::referencePath("param_counts.json"));
        const auto counts = nlohmann::json::parse(in);
        auto model = createBackbone(parseArchSpec(preset.toStdString()));
        const auto total = countParameters(*model).total;
        qInfo("%s: %lld parameters", qPrintable(preset), static_cast<long long>(total));
        QCOMPARE(total, counts.at(preset.toStdString()).get<std::int64_t>());
    }

    void settingsTheTensorsCannotHoldSurviveAMergedExport()
    {
        // An activation given with --arch (OpenAI CLIP weights) is written into the merged file,
        // so the merged model loads as the model that was adapted, without --arch.
        const auto weights = upstep::test::referencePath("clip_quickgelu.safetensors");
        auto model = loadBackbone(weights, "act=quick_gelu").model;
        injectLora(*model, {4, 8, {}});
        upstep::test::randomizeLoraB(*model, 0.2, 5);
        model->eval();
        ExportRequest request;
        request.baseWeights = weights;
        request.arch = "act=quick_gelu";
        request.adapter = adapterFromModel(*model, weights.string());
        request.format = ExportFormat::Merged;
        request.out = root() / "clip-merged";
        exportAdapter(request);
        const auto merged = loadBackbone(root() / "clip-merged" / "model.safetensors");
        QCOMPARE(merged.arch.spec.vit.activation, VitActivation::QuickGelu);
        QCOMPARE(merged.arch.source, std::string("metadata"));
        // Preprocessing that would give NaN features is refused, not used.
        QVERIFY_THROWS_EXCEPTION(InputError, loadBackbone(weights, "std=0/0/0"));
    }

    void unknownTensorsAreStillRefused()
    {
        // A DINOv2 file with a tensor no variant has: refused by name, not ignored.
        auto contents = loadSafetensors(upstep::test::referencePath("dinov2.safetensors"));
        contents.tensors["blocks.0.attn.q_norm.weight"] = torch::ones({64});
        saveSafetensors(root() / "extra.safetensors", contents.tensors, {});
        try {
            loadBackbone(root() / "extra.safetensors");
            QFAIL("an unknown tensor was accepted");
        } catch (const FormatError &e) {
            QVERIFY2(std::string(e.what()).find("blocks.0.attn.q_norm.weight") != std::string::npos, e.what());
        }
    }

    void dinov2StyleModelAdaptsAndExports()
    {
        // A DINOv2-style ViT (LayerScale, registers, patch-only position embedding) for 28 px gray
        // images: a real LoRA run, then both exports, each reloaded and checked against the run.
        torch::manual_seed(4);
        const auto arch = std::string(upstep::test::kTinyVitArch) + ",layer_scale=1,reg_tokens=2,no_embed_class=1";
        auto base = createBackbone(parseArchSpec(arch));
        saveBackbone(*base, root() / "tiny.safetensors");
        upstep::test::importFashionSubset(root() / "target", "t10k", 64);
        const auto summary = runAdaptation(upstep::test::tinyTrainConfig(root(), 6), root() / "run", false);
        QCOMPARE(summary.status, RunStatus::Finished);

        auto adapter = loadAdapterOrRun(root() / "run");
        QVERIFY(upstep::test::exportBoth(adapter, root() / "tiny.safetensors", root() / "peft", root() / "merged"));
        const auto merged = loadBackbone(root() / "merged" / "model.safetensors");
        QVERIFY(merged.arch.spec.vit.layerScale && merged.arch.spec.vit.regTokens == 2);
        auto adapted = loadBackbone(root() / "tiny.safetensors").model;
        applyAdapter(*adapted, loadAdapter(root() / "peft"));
        adapted->eval();
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({4, 1, 28, 28});
        const double difference = maxDifference(merged.model->features(x), adapted->features(x));
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
        std::ifstream readme(root() / "peft" / "README.md");
        const std::string text((std::istreambuf_iterator<char>(readme)), std::istreambuf_iterator<char>());
        QVERIFY2(text.find("reg_tokens=2, no_embed_class=True, init_values=1e-5") != std::string::npos, text.c_str());
    }
};

QTEST_GUILESS_MAIN(TestVitVariants)
#include "tst_vitvariants.moc"
