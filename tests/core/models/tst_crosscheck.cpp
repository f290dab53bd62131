// Numerical cross-check against torchvision: make_torchvision_reference.py (a CTest fixture)
// builds resnet50 and vit_b_16 with random weights, saves them as safetensors in torchvision's
// layout and saves their features and logits on fixed inputs. Our forward must match within
// 1e-4 max abs.
#include "io/safetensors.h"
#include "models/backboneloader.h"
#include "testdata.h"

#include <QtTest>

using namespace upstep::core;

class TestCrossCheck : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { torch::set_num_threads(2); }

    void matchesTorchvision_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("arch");
        QTest::addRow("resnet50") << "resnet50" << "resnet50";
        QTest::addRow("vit_b_16") << "vit_b_16" << "vit_base_patch16_224";
    }

    void matchesTorchvision()
    {
        QFETCH(QString, name);
        QFETCH(QString, arch);
        const auto weights = upstep::test::referencePath(name.toStdString() + ".safetensors");
        const auto io = loadSafetensors(upstep::test::referencePath(name.toStdString() + ".io.safetensors")).tensors;
        const auto loaded = loadBackbone(weights);
        QCOMPARE(QString::fromStdString(loaded.arch.spec.name), arch);
        QCOMPARE(loaded.arch.layout, std::string("torchvision"));

        torch::NoGradGuard noGrad;
        const auto features = loaded.model->features(io.at("input"));
        const auto logits = loaded.model->headForward(features);
        const double featureError = (features - io.at("features")).abs().max().item<double>();
        const double logitError = (logits - io.at("logits")).abs().max().item<double>();
        qInfo("%s: max abs error features %.3g, logits %.3g", qPrintable(name), featureError, logitError);
        QVERIFY(io.at("features").abs().max().item<double>() > 0.1); // a meaningful signal
        QVERIFY2(featureError < 1e-4, qPrintable(QString::number(featureError)));
        QVERIFY2(logitError < 1e-4, qPrintable(QString::number(logitError)));
    }
};

QTEST_GUILESS_MAIN(TestCrossCheck)
#include "tst_crosscheck.moc"
