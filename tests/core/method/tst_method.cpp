// The UpStep method's building blocks on small cases with known answers: Sinkhorn marginals,
// the swapped-prediction loss computed by hand, the center vector anchor, the EMA stream and the
// iteration gate's skip ratios and resumable state.
#include "upstep/common/error.h"
#include "method/centervector.h"
#include "method/clustering.h"
#include "method/emaweights.h"
#include "method/iterationgate.h"
#include "method/kmeans.h"
#include "train/learningrate.h"
#include "method/projectionhead.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace upstep::core;

class TestMethod : public QObject {
    Q_OBJECT
private slots:
    void sinkhornMarginals()
    {
        torch::manual_seed(0);
        const auto scores = torch::nn::functional::normalize(torch::randn({64, 16}),
                                                             torch::nn::functional::NormalizeFuncOptions().dim(1))
                                .requires_grad_(true);
        const auto q = sinkhornKnopp(scores, 0.05, 3);
        QVERIFY(!q.requires_grad());
        QVERIFY(q.min().item<float>() >= 0.0f);
        QVERIFY(torch::allclose(q.sum(1), torch::ones({64}), 1e-5, 1e-5)); // each sample: mass 1

        // Equipartition: prototype totals approach B/K = 4, and move towards it with iterations.
        const auto plainSoftmax = torch::softmax(scores.detach() / 0.05, 1).sum(0);
        const auto spread = [](const torch::Tensor &totals) { return (totals - 4.0).abs().max().item<double>(); };
        QVERIFY(spread(q.sum(0)) < spread(plainSoftmax));
        QVERIFY(spread(sinkhornKnopp(scores, 0.05, 200).sum(0)) < 1e-3);

        // Large scores stay finite.
        QVERIFY(torch::isfinite(sinkhornKnopp(scores.detach() * 1000, 0.05, 3)).all().item<bool>());
        QVERIFY_THROWS_EXCEPTION(InputError, sinkhornKnopp(torch::ones({4}), 0.05, 3));
    }

    void swappedPredictionByHand()
    {
        const auto s1 = torch::tensor({{0.0, std::log(3.0)}}, torch::kFloat32).requires_grad_(true); // p1 = [1/4, 3/4]
        const auto s2 = torch::tensor({{0.0, 0.0}}, torch::kFloat32);                                 // p2 = [1/2, 1/2]
        const auto q1 = torch::tensor({{1.0, 0.0}}, torch::kFloat32);
        const auto q2 = torch::tensor({{0.0, 1.0}}, torch::kFloat32);
        const auto loss = swappedPredictionLoss(s1, s2, q1, q2, 1.0);
        QVERIFY(std::abs(loss.item<double>() - 0.5 * std::log(8.0 / 3.0)) < 1e-6);
        loss.backward();
        QVERIFY(s1.grad().defined() && s1.grad().abs().sum().item<double>() > 0);

        // A small crop with p3 = [3/4, 1/4] is predicted by both targets.
        const auto s3 = torch::tensor({{std::log(3.0), 0.0}}, torch::kFloat32);
        const double expected = (std::log(2.0) + std::log(4.0 / 3.0) + std::log(4.0 / 3.0) + std::log(4.0)) / 4.0;
        QVERIFY(std::abs(swappedPredictionLoss(s1, s2, q1, q2, 1.0, {s3}).item<double>() - expected) < 1e-6);

        // The temperature divides the scores: tau = 0.5 on s equals tau = 1 on 2s.
        QVERIFY(std::abs(swappedPredictionLoss(s1, s2, q1, q2, 0.5).item<double>() -
                         swappedPredictionLoss(s1 * 2, s2 * 2, q1, q2, 1.0).item<double>()) < 1e-6);
    }

    void clusterUsage()
    {
        QVERIFY(std::abs(clusterUsageEntropy(torch::full({10, 8}, 1.0 / 8)) - std::log(8.0)) < 1e-9);
        auto collapsed = torch::zeros({10, 8});
        collapsed.select(1, 3).fill_(1.0);
        QVERIFY(std::abs(clusterUsageEntropy(collapsed)) < 1e-9);
    }

    void centerVectorAnchor()
    {
        CenterVector center(torch::tensor({1.0f, 0.0f}), {0.9, 0.9});
        auto features = torch::tensor({{0.0f, 3.0f}, {0.0f, 0.5f}}).requires_grad_(true); // centre [0, 1]
        QVERIFY(torch::allclose(CenterVector::batchCenter(features), torch::tensor({0.0f, 1.0f})));
        // mu_tilde = 0.9 [1, 0] + 0.1 [0, 1]; |mu_tilde - mu0|^2 = 0.02; lambda 2.
        const auto loss = center.anchorLoss(features, 2.0);
        QVERIFY(std::abs(loss.item<double>() - 0.04) < 1e-6);
        loss.backward();
        QVERIFY(features.grad().abs().sum().item<double>() > 0); // flows through the batch part
        QCOMPARE(center.drift(), 0.0);

        center.update(features);
        QVERIFY(torch::allclose(center.mu(), torch::tensor({0.9f, 0.1f})));
        QVERIFY(!center.mu().requires_grad());
        QVERIFY(std::abs(center.norm() - std::sqrt(0.82)) < 1e-6);
        QVERIFY(std::abs(center.drift() - (1.0 - 0.9 / std::sqrt(0.82))) < 1e-6);
        QCOMPARE(center.anchorLoss(features, 0.0).item<double>(), 0.0); // lambda = 0 switches it off
    }

    // The magnitude term (CvrTerm::Magnitude): lambda |mu_tilde|^2, whose gradient pulls the
    // batch's normalised features apart (against the direction they share), whatever mu0 is.
    void centerVectorMagnitude()
    {
        CenterVector center(torch::tensor({1.0f, 0.0f}), {0.9, 0.5});
        // Two features 90 degrees apart around the diagonal: their normalised center is
        // [0.5, 0.5]; mu_tilde = 0.5 [1, 0] + 0.5 [0.5, 0.5] = [0.75, 0.25]; |mu_tilde|^2 = 0.625.
        auto features = torch::tensor({{2.0f, 0.0f}, {0.0f, 4.0f}}).requires_grad_(true);
        const auto loss = center.magnitudeLoss(features, 2.0);
        QVERIFY(std::abs(loss.item<double>() - 1.25) < 1e-6);
        loss.backward();
        // d/df of a unit vector's center is orthogonal to each row: only the angle moves. The
        // first row (along x) is pushed towards -y, away from the second row, and the second
        // towards -x: the two spread apart, the center shortens.
        const auto grad = features.grad();
        QVERIFY(std::abs(grad[0][0].item<double>()) < 1e-6 && grad[0][1].item<double>() > 0);
        QVERIFY(std::abs(grad[1][1].item<double>()) < 1e-6 && grad[1][0].item<double>() > 0);
        // Unlike the anchor, it does not care where the base center is: the same batch and mu
        // with another mu0 give the same value.
        CenterVector elsewhere(torch::tensor({0.0f, 1.0f}), {0.9, 0.5});
        elsewhere.setMu(torch::tensor({1.0f, 0.0f}));
        QVERIFY(std::abs(elsewhere.magnitudeLoss(features, 2.0).item<double>() - 1.25) < 1e-6);
        QVERIFY(std::abs(elsewhere.anchorLoss(features, 2.0).item<double>() - loss.item<double>()) > 0.1);
    }

    void emaUpdateAndExchange()
    {
        auto p = torch::tensor({1.0f, -2.0f}).requires_grad_(true);
        EmaWeights ema({p});
        {
            torch::NoGradGuard noGrad;
            p.copy_(torch::tensor({3.0f, 2.0f}));
        }
        ema.update(0.9); // 0.9 * [1, -2] + 0.1 * [3, 2]
        QVERIFY(torch::allclose(ema.averages()[0], torch::tensor({1.2f, -1.6f})));
        ema.exchange();
        QVERIFY(torch::allclose(p, torch::tensor({1.2f, -1.6f})));
        ema.exchange();
        QVERIFY(torch::equal(p.detach(), torch::tensor({3.0f, 2.0f}))); // restored bit for bit
        QVERIFY(p.requires_grad());

        QCOMPARE(EmaWeights::cosineMomentum(0, 101), 0.99);
        QCOMPARE(EmaWeights::cosineMomentum(100, 101), 1.0);
        QVERIFY(std::abs(EmaWeights::cosineMomentum(50, 101) - 0.995) < 1e-12);
    }

    void projectionHeadAndPrototypes()
    {
        torch::manual_seed(3);
        ProjectionHead head(192, ProjectionHeadConfig{64, 32, 16, 7});
        const auto z = head(torch::randn({5, 192}));
        QCOMPARE(z.sizes().vec(), (std::vector<std::int64_t>{5, 32}));
        QVERIFY(torch::allclose(z.norm(2, 1), torch::ones({5}), 1e-5, 1e-5));
        QCOMPARE(head->prototypes.sizes().vec(), (std::vector<std::int64_t>{16, 32}));
        QVERIFY(torch::allclose(head->prototypes.norm(2, 1), torch::ones({16}), 1e-5, 1e-5));
        const auto s = head->scores(z);
        QCOMPARE(s.sizes().vec(), (std::vector<std::int64_t>{5, 16}));
        QVERIFY(s.abs().max().item<float>() <= 1.0f + 1e-5f); // cosines

        // Fixed: buffers, not parameters, and the same for the same seed whatever ran before.
        for (const auto &item : head->named_parameters())
            QVERIFY(item.key().find("prototypes") == std::string::npos);
        torch::manual_seed(99);
        ProjectionHead again(192, ProjectionHeadConfig{64, 32, 16, 7});
        QVERIFY(torch::equal(again->prototypes, head->prototypes));
        ProjectionHead other(192, ProjectionHeadConfig{64, 32, 16, 8});
        QVERIFY(!torch::equal(other->prototypes, head->prototypes));
        QVERIFY_THROWS_EXCEPTION(InputError, ProjectionHead(0));
    }

    void gateSkipRatios()
    {
        IterationGate alternate;
        for (int step = 0; step < 100; ++step)
            QCOMPARE(alternate.keep(step), step % 2 == 0);
        QCOMPARE(alternate.skipped(), 50);
        QCOMPARE(alternate.skippedFraction(), 0.5);

        IterationGate none({GatePolicy::None});
        for (int step = 0; step < 10; ++step)
            QVERIFY(none.keep(step));
        QCOMPARE(none.skippedFraction(), 0.0);

        std::mt19937 rng(5);
        std::uniform_real_distribution<double> loss(1.0, 5.0);
        IterationGate quantile({GatePolicy::LossQuantile, 0.5, 64, 8});
        QVERIFY(quantile.needsSignal());
        QVERIFY(!alternate.needsSignal());
        for (int step = 0; step < 2000; ++step)
            quantile.keep(step, loss(rng));
        QVERIFY2(std::abs(quantile.skippedFraction() - 0.5) < 0.05, qPrintable(QString::number(quantile.skippedFraction())));

        QCOMPARE(choiceFromName<GatePolicy>("loss-quantile"), GatePolicy::LossQuantile);
        QCOMPARE(choiceName(GatePolicy::LossQuantile), std::string("loss-quantile"));
        QVERIFY_THROWS_EXCEPTION(InputError, choiceFromName<GatePolicy>("sometimes"));
    }

    // The center gate keeps the batches whose center term is high among the recent ones.
    void centerGateRule()
    {
        IterationGate gate({GatePolicy::Center, 0.5, 16, 4});
        QVERIFY(gate.needsSignal());
        for (int step = 0; step < 4; ++step)
            QVERIFY(gate.keep(step, 0.1 * step)); // warm-up: everything is kept
        for (int step = 4; step < 20; ++step)
            gate.keep(step, step % 2 == 0 ? 1.0 : 0.01);
        QVERIFY(gate.keep(20, 2.0));    // pulls the center far away: back-propagate
        QVERIFY(!gate.keep(21, 0.001)); // agrees with the center: skip
        QVERIFY(std::abs(gate.skippedFraction() - 9.0 / 22.0) < 1e-12);
        QCOMPARE(choiceFromName<GatePolicy>("center"), GatePolicy::Center);
    }

    void sphericalKmeansFindsClusters()
    {
        torch::manual_seed(1);
        const auto directions = torch::nn::functional::normalize(torch::randn({4, 16}),
                                                                 torch::nn::functional::NormalizeFuncOptions().dim(1));
        const auto truth = torch::arange(200) % 4;
        const auto points = directions.index({truth}) + 0.05 * torch::randn({200, 16});
        const auto result = sphericalKmeans(points, 4, 11);
        QVERIFY(result.iterations >= 1 && result.iterations <= 25);
        QVERIFY(torch::allclose(result.centroids.norm(2, 1), torch::ones({4}), 1e-5, 1e-5));
        // Every true direction has a centroid within a few degrees, and the assignment is pure.
        const auto match = directions.matmul(result.centroids.t()).max(1);
        QVERIFY(std::get<0>(match).min().item<double>() > 0.99);
        const auto found = std::get<1>(match).index({truth});
        QVERIFY(torch::equal(found, result.assignment));
        // Seeded: the same seed gives the same centroids; too few points is an error.
        QVERIFY(torch::equal(sphericalKmeans(points, 4, 11).centroids, result.centroids));
        QVERIFY_THROWS_EXCEPTION(InputError, sphericalKmeans(points.slice(0, 0, 3), 4, 11));
        // Identical points: no NaN, every cluster still gets a centroid.
        const auto same = sphericalKmeans(torch::ones({8, 3}), 3, 0);
        QVERIFY(torch::isfinite(same.centroids).all().item<bool>());
    }

    void learningRateSchedules()
    {
        // 100 steps, 10 of warm-up: linear to the peak, then cosine to zero or flat.
        QCOMPARE(scheduledRate(LrSchedule::Cosine, 0, 100, 1.0, 0.1), 0.1);
        QCOMPARE(scheduledRate(LrSchedule::Constant, 4, 100, 1.0, 0.1), 0.5);
        QCOMPARE(scheduledRate(LrSchedule::Cosine, 10, 100, 1.0, 0.1), 1.0);
        QVERIFY(std::abs(scheduledRate(LrSchedule::Cosine, 55, 100, 1.0, 0.1) - 0.5) < 1e-12);
        QVERIFY(scheduledRate(LrSchedule::Cosine, 100, 100, 1.0, 0.1) < 1e-12);
        for (const int step : {10, 55, 99})
            QCOMPARE(scheduledRate(LrSchedule::Constant, step, 100, 1.0, 0.1), 1.0);
    }

    void gateStateResumes()
    {
        std::mt19937 rng(9);
        std::uniform_real_distribution<double> loss(0.0, 1.0);
        std::vector<double> losses(300);
        for (auto &l : losses)
            l = loss(rng);
        const GateConfig config{GatePolicy::LossQuantile, 0.5, 32, 8};
        IterationGate straight(config);
        std::vector<bool> expected;
        for (int step = 0; step < 300; ++step)
            expected.push_back(straight.keep(step, losses[static_cast<std::size_t>(step)]));

        IterationGate first(config);
        for (int step = 0; step < 137; ++step)
            first.keep(step, losses[static_cast<std::size_t>(step)]);
        IterationGate resumed(config);
        resumed.restore(first.state());
        for (int step = 137; step < 300; ++step)
            QCOMPARE(resumed.keep(step, losses[static_cast<std::size_t>(step)]), expected[static_cast<std::size_t>(step)]);
        QCOMPARE(resumed.kept(), straight.kept());
    }
};

QTEST_GUILESS_MAIN(TestMethod)
#include "tst_method.moc"
