// The memory estimate's model: what grows with what, and which settings shrink it. Its absolute
// figures were compared with measured peaks (docs/PERFORMANCE.md); here the structure is checked,
// so a change that drops a term or a factor shows.
#include "upstep/train/memoryestimate.h"

#include <QtTest>

using namespace upstep::core;

class TestMemoryEstimate : public QObject {
    Q_OBJECT

    static MemoryEstimate vitSmall(int batch, bool bf16 = true, bool fused = false, int smallCrops = 0)
    {
        TrainConfig config;
        config.batchSize = batch;
        config.smallCrops = smallCrops;
        return estimateTrainingMemory(parseArchSpec("vit_small_patch16_224"), 22'000'000, 900'000, config, bf16, fused,
                                      false);
    }

private slots:
    void activationsAndBatchesScaleWithTheBatch()
    {
        const auto a = vitSmall(16), b = vitSmall(32);
        QCOMPARE(b.activations, 2 * a.activations);
        QCOMPARE(b.batches, 2 * a.batches);
        QCOMPARE(b.weights, a.weights);
        QCOMPARE(b.weights, std::int64_t{88'000'000});  // float32 parameters
        QCOMPARE(b.training, std::int64_t{18'000'000}); // value, gradient, two moments, EMA copy
        QCOMPARE(b.total(), b.weights + b.training + b.activations + b.batches + b.probes + b.runtime);
        // 32 images, two 224-px views each, 7 batches in flight, float32.
        QCOMPARE(b.batches, std::int64_t{7} * 64 * 3 * 224 * 224 * 4);
    }

    void precisionFusedAttentionAndCropsChangeActivations()
    {
        QVERIFY(vitSmall(16, false).activations > vitSmall(16, true).activations);
        QVERIFY(vitSmall(16, true, true).activations < vitSmall(16, true, false).activations);
        QVERIFY(vitSmall(16, true, false, 2).activations > vitSmall(16).activations);
    }

    void everyFamilyAndTheGpuSplit()
    {
        TrainConfig config;
        config.batchSize = 8;
        for (const char *arch : {"resnet50", "resnet18", "convnext_tiny", "vit_base_patch16_224"}) {
            const auto e = estimateTrainingMemory(parseArchSpec(arch), 25'000'000, 1'000'000, config, true, true, true);
            QVERIFY2(e.activations > 100'000'000 && e.activations < 10'000'000'000, arch);
            QCOMPARE(e.device(), e.total() - e.batches - e.runtime);
            QVERIFY(describeMemoryEstimate(e).find("on the GPU") != std::string::npos);
        }
        QCOMPARE(vitSmall(8).device(), std::int64_t{0});
    }
};

QTEST_GUILESS_MAIN(TestMemoryEstimate)
#include "tst_memoryestimate.moc"
