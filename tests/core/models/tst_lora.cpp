// LoRA: identity at initialisation, PEFT names and shapes, merge/unmerge, run-time switches,
// adapter save/load, parameter counts, and frozen base weights under an optimiser step.
#include "upstep/common/error.h"
#include "models/lora.h"
#include "models/loralayers.h"
#include "models/backboneloader.h"
#include "models/vit.h"

#include "fixtures.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace upstep::core;

namespace {

BackbonePtr smallVit()
{
    auto model = createBackbone(parseArchSpec("vit,img_size=32,patch=8,depth=3,dim=64,num_classes=5"));
    model->eval();
    return model;
}

BackbonePtr smallResNet()
{
    auto model = createBackbone(parseArchSpec("resnet18,num_classes=0"));
    model->eval();
    return model;
}

// Gives every B a non-zero value so the adapter changes the output.
void perturbAdapters(torch::nn::Module &model)
{
    torch::NoGradGuard noGrad;
    for (auto &item : model.named_parameters())
        if (item.key().find("lora_B") != std::string::npos)
            item.value().normal_(0.0, 0.05);
}

TensorMap snapshotBase(torch::nn::Module &model) { return backboneTensors(model); }

} // namespace

class TestLora : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { torch::set_num_threads(2); }

    void identityAtInit_data()
    {
        QTest::addColumn<bool>("resnet");
        QTest::addRow("vit qkv") << false;
        QTest::addRow("resnet 3x3 convs") << true;
    }

    void identityAtInit()
    {
        QFETCH(bool, resnet);
        torch::manual_seed(0);
        auto model = resnet ? smallResNet() : smallVit();
        const auto x = resnet ? torch::randn({2, 3, 64, 64}) : torch::randn({2, 3, 32, 32});
        torch::NoGradGuard noGrad;
        const auto base = model->features(x);
        injectLora(*model, {8, 16, {}});
        QVERIFY(torch::equal(model->features(x), base)); // B = 0: exactly the base model
    }

    void peftNamesAndShapes()
    {
        auto vit = smallVit();
        const auto names = injectLora(*vit, {4, 8, {}});
        QCOMPARE(names, (std::vector<std::string>{"blocks.0.attn.qkv", "blocks.1.attn.qkv", "blocks.2.attn.qkv"}));
        const auto tensors = loraTensors(*vit);
        QCOMPARE(tensors.size(), 6u);
        QCOMPARE(tensors.at("base_model.model.blocks.0.attn.qkv.lora_A.weight").sizes().vec(),
                 (std::vector<std::int64_t>{4, 64}));
        QCOMPARE(tensors.at("base_model.model.blocks.0.attn.qkv.lora_B.weight").sizes().vec(),
                 (std::vector<std::int64_t>{192, 4}));

        auto resnet = smallResNet();
        const auto convs = injectLora(*resnet, {4, 8, {}});
        QCOMPARE(convs.size(), 16u); // conv1 and conv2 of 8 basic blocks; not the 7x7 stem
        QVERIFY(std::find(convs.begin(), convs.end(), "conv1") == convs.end());
        const auto conv = loraTensors(*resnet);
        QCOMPARE(conv.at("base_model.model.layer2.0.conv1.lora_A.weight").sizes().vec(),
                 (std::vector<std::int64_t>{4, 64, 3, 3}));
        QCOMPARE(conv.at("base_model.model.layer2.0.conv1.lora_B.weight").sizes().vec(),
                 (std::vector<std::int64_t>{128, 4, 1, 1}));

        auto bottleneck = createBackbone(parseArchSpec("resnet50,num_classes=0"));
        const auto bottleneckConvs = injectLora(*bottleneck, {8, 16, {}});
        QCOMPARE(bottleneckConvs.size(), 16u); // the 3x3 conv2 of each of 16 bottlenecks
        for (const auto &name : bottleneckConvs)
            QVERIFY(QString::fromStdString(name).endsWith(".conv2"));

        auto custom = smallVit();
        QCOMPARE(injectLora(*custom, {2, 4, {"fc1", "blocks.0.attn.proj"}}).size(), 4u);
        QVERIFY_THROWS_EXCEPTION(InputError, injectLora(*smallVit(), {2, 4, {"out_proj"}}));
        QVERIFY_THROWS_EXCEPTION(InputError, injectLora(*custom, {2, 4, {"fc1"}})); // already adapted
    }

    void projectionsOfTheFusedQkv()
    {
        // PEFT users of transformers models target query and value: here the q and v row blocks of
        // the fused qkv, the key rows left alone by the update and by training.
        torch::manual_seed(2);
        auto vit = smallVit();
        const auto names = injectLora(*vit, {4, 8, {"query", "value"}});
        QCOMPARE(names.size(), 3u); // the qkv of each block
        QCOMPARE(qkvProjectionsOfModel(*vit).text(), std::string("q,v"));
        QCOMPARE(describeLoraTargets(*vit, {"q_proj", "v_proj"}), std::string("blocks.N.attn.qkv rows q,v (3 layers)"));
        QCOMPARE(qkvProjectionsOf({"q", "qkv"}).text(), std::string()); // the whole layer named too
        QCOMPARE(loraPatternsFor({}, true), (std::vector<std::string>{"query", "value"}));
        QVERIFY(loraPatternsFor({}, false).empty());
        upstep::test::randomizeLoraB(*vit, 0.5, 3);
        auto &transformer = dynamic_cast<VisionTransformerImpl &>(*vit);
        auto *qkv = transformer.blocks[0]->as<VitBlockImpl>()->attn->qkv.get();
        const auto delta = qkv->deltaWeight();
        QCOMPARE(delta.narrow(0, 64, 64).abs().max().item<double>(), 0.0); // key rows
        QVERIFY(delta.narrow(0, 0, 64).abs().max().item<double>() > 1e-3); // query rows
        QVERIFY(delta.narrow(0, 128, 64).abs().max().item<double>() > 1e-3);

        // The forward agrees with the merged weight, and training leaves the key rows at zero.
        const auto x = torch::randn({2, 3, 32, 32});
        const auto unmerged = vit->features(x);
        {
            torch::NoGradGuard noGrad;
            mergeLora(*vit);
            QVERIFY(torch::allclose(vit->features(x), unmerged, 1e-5, 1e-5));
            unmergeLora(*vit);
        }
        vit->features(x).pow(2).sum().backward();
        const auto gradB = qkv->lora_B->weight.grad();
        QCOMPARE(gradB.narrow(0, 64, 64).abs().max().item<double>(), 0.0);
        QVERIFY(gradB.narrow(0, 0, 64).abs().max().item<double>() > 0);
        // Loading tensors back: a q,v adapter keeps its mask; one that also updates the key rows (a
        // run trained on the whole qkv before q,v became the default) widens the mask, so the
        // model is the one that was trained.
        auto restored = smallVit();
        injectLora(*restored, {4, 8, {"query", "value"}});
        auto tensors = loraTensors(*vit);
        QVERIFY(!loadLoraTensors(*restored, tensors));
        QCOMPARE(qkvProjectionsOfModel(*restored).text(), std::string("q,v"));
        tensors.at("base_model.model.blocks.1.attn.qkv.lora_B.weight").narrow(0, 64, 64).fill_(0.1);
        QVERIFY(loadLoraTensors(*restored, tensors));
        QVERIFY(qkvProjectionsOfModel(*restored).all());
        QVERIFY_THROWS_EXCEPTION(InputError, QkvProjections::fromText("q,x"));
        QCOMPARE(QkvProjections::fromText("v,q").text(), std::string("q,v"));
    }

    void parameterCounts()
    {
        auto vit = createBackbone(parseArchSpec("vit_small_patch16_224"));
        const auto before = countParameters(*vit);
        QCOMPARE(before.total, 22'050'664);
        injectLora(*vit, {8, 16, {}});
        const auto after = countParameters(*vit);
        const std::int64_t perBlock = 8 * 384 + 1152 * 8;
        QCOMPARE(after.trainable, 12 * perBlock);
        QCOMPARE(after.total, before.total + 12 * perBlock);
    }

    void mergeEqualsUnmerged()
    {
        torch::manual_seed(1);
        for (const bool resnet : {false, true}) {
            auto model = resnet ? smallResNet() : smallVit();
            const auto x = resnet ? torch::randn({2, 3, 64, 64}) : torch::randn({2, 3, 32, 32});
            torch::NoGradGuard noGrad;
            const auto base = model->features(x);
            const auto baseWeights = snapshotBase(*model);
            injectLora(*model, {4, 8, {}});
            perturbAdapters(*model);
            const auto adapted = model->features(x);
            QVERIFY(!torch::allclose(adapted, base, 1e-4, 1e-4));

            mergeLora(*model);
            QVERIFY(torch::allclose(model->features(x), adapted, 1e-4, 1e-5));
            QVERIFY_THROWS_EXCEPTION(InputError, setLoraScale(*model, 0.5));
            unmergeLora(*model);
            QVERIFY(torch::allclose(model->features(x), adapted, 1e-4, 1e-5));
            for (const auto &[name, tensor] : snapshotBase(*model))
                QVERIFY2(torch::allclose(tensor, baseWeights.at(name), 1e-5, 1e-6), name.c_str());
        }
    }

    void runtimeSwitches()
    {
        torch::manual_seed(2);
        auto model = smallVit();
        const auto x = torch::randn({2, 3, 32, 32});
        torch::NoGradGuard noGrad;
        const auto base = model->features(x);
        injectLora(*model, {4, 8, {}});
        perturbAdapters(*model);
        const auto adapted = model->features(x);

        setLoraEnabled(*model, false);
        QVERIFY(torch::equal(model->features(x), base)); // base forward, same weights, no copy
        setLoraEnabled(*model, true);
        setLoraScale(*model, 0.0);
        QVERIFY(torch::equal(model->features(x), base));
        setLoraScale(*model, 1.0);
        QVERIFY(torch::allclose(model->features(x), adapted));

        // On one layer the adapter's contribution is linear in the scale.
        LoraLinear layer(16, 8);
        layer->attachLora(2, 4);
        layer->lora_B->weight.normal_();
        const auto in = torch::randn({3, 16});
        const auto y0 = torch::nn::functional::linear(in, layer->weight, layer->bias);
        const auto y1 = layer(in);
        layer->setLoraScale(2.5);
        QVERIFY(torch::allclose(layer(in) - y0, (y1 - y0) * 2.5, 1e-4, 1e-5));
        QVERIFY(torch::allclose(layer->deltaWeight(), torch::matmul(layer->lora_B->weight, layer->lora_A->weight) * 2.0 * 2.5));
    }

    void baseWeightsUnchangedByOptimiserStep()
    {
        torch::manual_seed(3);
        for (const bool resnet : {false, true}) {
            auto model = resnet ? smallResNet() : smallVit();
            injectLora(*model, {4, 8, {}});
            const auto base = snapshotBase(*model);
            const auto adapterBefore = loraTensors(*model);
            // The optimiser sees every parameter: only requires_grad keeps the base fixed.
            torch::optim::AdamW optimiser(model->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
            const auto x = resnet ? torch::randn({2, 3, 64, 64}) : torch::randn({2, 3, 32, 32});
            for (int step = 0; step < 2; ++step) {
                optimiser.zero_grad();
                model->features(x).pow(2).mean().backward();
                optimiser.step();
            }
            for (const auto &[name, tensor] : snapshotBase(*model))
                QVERIFY2(torch::equal(tensor, base.at(name)), name.c_str());
            bool adapterMoved = false;
            for (const auto &[name, tensor] : loraTensors(*model))
                adapterMoved |= !torch::equal(tensor, adapterBefore.at(name));
            QVERIFY(adapterMoved);
        }
    }

    void adapterTensorsRoundTrip()
    {
        QTemporaryDir dir;
        torch::manual_seed(4);
        auto model = smallVit();
        injectLora(*model, {4, 8, {}});
        perturbAdapters(*model);
        const auto file = std::filesystem::path(dir.filePath("adapter.safetensors").toStdString());
        saveSafetensors(file, loraTensors(*model), {{"format", "pt"}});

        auto fresh = createBackbone(model->spec());
        loadStateStrict(*fresh, backboneTensors(*model), file);
        fresh->eval();
        injectLora(*fresh, {4, 8, {}});
        loadLoraTensors(*fresh, loadSafetensors(file).tensors);
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({2, 3, 32, 32});
        QVERIFY(torch::equal(fresh->features(x), model->features(x)));

        auto wrongRank = createBackbone(model->spec());
        injectLora(*wrongRank, {8, 16, {}});
        QVERIFY_THROWS_EXCEPTION(InputError, loadLoraTensors(*wrongRank, loadSafetensors(file).tensors));
    }
};

QTEST_GUILESS_MAIN(TestLora)
#include "tst_lora.moc"
