// Export of an adapter: PEFT folder names, shapes and config, the loading snippet, merged weights
// in the base file's layout reproducing the LoRA forward, and no partial folder on failure.
#include "upstep/common/error.h"
#include "export/adapterexport.h"
#include "models/lora.h"
#include "models/backboneloader.h"

#include "fixtures.h"
#include "testdata.h"

#include <QtTest>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sys/resource.h>

using namespace upstep::core;
namespace fs = std::filesystem;

class TestExport : public QObject {
    Q_OBJECT

    fs::path root() const { return m_dir.path().toStdString(); }

    ExportRequest request(ExportFormat format, const std::string &out) const
    {
        ExportRequest r;
        r.baseWeights = root() / "tiny.safetensors";
        r.adapter = m_adapter;
        r.format = format;
        r.out = root() / out;
        return r;
    }

    torch::Tensor adaptedFeatures(const torch::Tensor &x) const
    {
        auto model = loadBackbone(root() / "tiny.safetensors").model;
        applyAdapter(*model, m_adapter);
        model->eval();
        torch::NoGradGuard noGrad;
        return model->features(x);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        upstep::test::writeTinyVit(root() / "tiny.safetensors");
        // An adapter with non-zero B, as after training.
        auto model = loadBackbone(root() / "tiny.safetensors").model;
        torch::manual_seed(3);
        injectLora(*model, {4, 8, {}});
        upstep::test::randomizeLoraB(*model, 0.2, 3);
        m_adapter = adapterFromModel(*model, (root() / "tiny.safetensors").string());
    }

    void peftFolder()
    {
        const auto result = exportAdapter(request(ExportFormat::Peft, "peft"));
        QVERIFY(result.maxAbsDifference <= result.tolerance);
        const auto dir = root() / "peft";
        std::ifstream in(dir / "adapter_config.json");
        const auto config = nlohmann::json::parse(in);
        QCOMPARE(config["peft_type"].get<std::string>(), std::string("LORA"));
        QCOMPARE(config["r"].get<int>(), 4);
        QCOMPARE(config["lora_alpha"].get<double>(), 8.0);
        QCOMPARE(config["target_modules"], nlohmann::json::array({"qkv"}));
        QCOMPARE(config["bias"].get<std::string>(), std::string("none"));
        QCOMPARE(config["fan_in_fan_out"].get<bool>(), false);
        QVERIFY(config["modules_to_save"].is_null());
        QCOMPARE(config["auto_mapping"]["base_model_class"].get<std::string>(), std::string("VisionTransformer"));

        const auto file = loadSafetensors(dir / "adapter_model.safetensors");
        QCOMPARE(file.metadata.at("format"), std::string("pt"));
        QCOMPARE(file.tensors.size(), std::size_t{4}); // 2 blocks x (A, B)
        QCOMPARE(file.tensors.at("base_model.model.blocks.0.attn.qkv.lora_A.weight").sizes(),
                 (torch::IntArrayRef{4, 32}));
        QCOMPARE(file.tensors.at("base_model.model.blocks.1.attn.qkv.lora_B.weight").sizes(),
                 (torch::IntArrayRef{96, 4}));
        QVERIFY(torch::equal(file.tensors.at("base_model.model.blocks.1.attn.qkv.lora_B.weight"),
                             m_adapter.tensors.at("base_model.model.blocks.1.attn.qkv.lora_B.weight")));

        std::ifstream readme(dir / "README.md");
        const std::string text((std::istreambuf_iterator<char>(readme)), std::istreambuf_iterator<char>());
        QVERIFY(text.find("PeftModel.from_pretrained(base, \"peft\")") != std::string::npos);
        QVERIFY(text.find("patch_size=7") != std::string::npos);
        // One mean and std per input channel: the tiny model reads gray images.
        QVERIFY2(text.find("mean 0.5, std 0.5,") != std::string::npos, text.c_str());
        QVERIFY(text.find("(largest difference ") != std::string::npos &&
                text.find(", tolerance ") != std::string::npos);

        // Round trip: the folder loads back as an adapter with the same tensors.
        const auto back = loadAdapter(dir);
        QCOMPARE(back.info.rank, 4);
        QCOMPARE(back.info.alpha, 8.0);
        for (const auto &[name, tensor] : m_adapter.tensors)
            QVERIFY2(torch::equal(tensor, back.tensors.at(name)), name.c_str());
    }

    void mergedEqualsLoraForward()
    {
        const auto result = exportAdapter(request(ExportFormat::Merged, "merged"));
        const auto merged = loadSafetensors(root() / "merged" / "model.safetensors");
        const auto base = loadSafetensors(root() / "tiny.safetensors");
        QCOMPARE(merged.tensors.size(), base.tensors.size());
        for (const auto &[name, tensor] : base.tensors) {
            QVERIFY2(merged.tensors.count(name), name.c_str());
            QCOMPARE(merged.tensors.at(name).sizes(), tensor.sizes());
            const bool adapted = name.find("attn.qkv.weight") != std::string::npos;
            QCOMPARE(torch::equal(merged.tensors.at(name), tensor), !adapted);
        }
        torch::manual_seed(11);
        const auto x = torch::randn({5, 1, 28, 28});
        auto model = loadBackbone(root() / "merged" / "model.safetensors").model;
        model->eval();
        torch::NoGradGuard noGrad;
        const auto diff = (model->features(x) - adaptedFeatures(x)).abs().max().item<double>();
        QVERIFY2(diff < 1e-4, std::to_string(diff).c_str());
        QVERIFY(result.maxAbsDifference < 1e-4);
    }

    void existingFolderIsKept()
    {
        fs::create_directories(root() / "taken");
        upstep::test::writeBytes(root() / "taken" / "keep.txt", "mine");
        QVERIFY_THROWS_EXCEPTION(InputError, exportAdapter(request(ExportFormat::Peft, "taken")));
        QCOMPARE(upstep::test::readBytes(root() / "taken" / "keep.txt"), std::string("mine"));
        auto replace = request(ExportFormat::Peft, "taken");
        replace.overwrite = true;
        exportAdapter(replace);
        QVERIFY(!fs::exists(root() / "taken" / "keep.txt"));
        QVERIFY(fs::exists(root() / "taken" / "adapter_config.json"));
    }

    // "out/" names the folder "out": it is made, and replaced with --force, like "out".
    void trailingSlashNamesTheFolder()
    {
        auto r = request(ExportFormat::Peft, "slashed/");
        const auto result = exportAdapter(r);
        QCOMPARE(result.folder, root() / "slashed");
        QVERIFY(fs::exists(root() / "slashed" / "adapter_config.json"));
        QVERIFY_THROWS_EXCEPTION(InputError, exportAdapter(r));
        r.overwrite = true;
        exportAdapter(r);
        QVERIFY(fs::exists(root() / "slashed" / "adapter_config.json"));
        for (const auto &entry : fs::directory_iterator(root()))
            QVERIFY2(entry.path().filename().string().find("slashed.") == std::string::npos,
                     entry.path().c_str()); // no .partial- or .old- folder left
    }

    void fullDiskLeavesNothing()
    {
        rlimit old{};
        getrlimit(RLIMIT_FSIZE, &old);
        const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = old;
        small.rlim_cur = 16 * 1024; // the merged weights are larger than this
        setrlimit(RLIMIT_FSIZE, &small);
        bool thrown = false;
        try {
            exportAdapter(request(ExportFormat::Merged, "full"));
        } catch (const IoError &) {
            thrown = true;
        }
        setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, oldHandler);
        QVERIFY(thrown);
        QVERIFY(!fs::exists(root() / "full"));
        for (const auto &entry : fs::directory_iterator(root()))
            QVERIFY2(entry.path().filename().string().find(".partial") == std::string::npos,
                     entry.path().string().c_str());
    }

    void adapterForAnotherModelIsRefused()
    {
        auto r = request(ExportFormat::Peft, "other");
        r.adapter.tensors.at("base_model.model.blocks.0.attn.qkv.lora_A.weight") = torch::zeros({4, 48});
        QVERIFY_THROWS_EXCEPTION(FormatError, exportAdapter(r));
        QVERIFY(!fs::exists(root() / "other"));
    }

private:
    QTemporaryDir m_dir;
    Adapter m_adapter;
};

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
