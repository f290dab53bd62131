#include "upstep/train/sweepreport.h"

#include "upstep/common/choices.h"
#include "upstep/run/frontier.h"
#include "upstep/run/healthsignal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

namespace upstep::core {

namespace {

// Every figure of one run, in points (percent) or plain units; NaN when not measured.
struct RunFigures {
    double validationGain = NAN, validationForgetting = NAN;
    double testGain = NAN, linearGain = NAN, ensembleGain = NAN, headDrop = NAN, sourceKnnDrop = NAN;
    double backPropagated = NAN, wallSeconds = NAN;
    std::string status = "not run";
};

RunFigures figuresOf(const SweepResult &r)
{
    RunFigures f;
    if (r.validation) {
        f.validationGain = 100 * targetGain(*r.validation);
        f.validationForgetting = 100 * forgetting(*r.validation);
    }
    if (!r.record)
        return f;
    f.status = choiceName(r.record->status());
    if (const auto &s = r.record->summary; s && s->keptSteps + s->skippedSteps > 0) {
        f.backPropagated = 100.0 * static_cast<double>(s->keptSteps) /
                           static_cast<double>(s->keptSteps + s->skippedSteps);
        f.wallSeconds = s->wallSeconds;
    }
    if (const auto &e = r.record->evaluation) {
        f.testGain = 100 * targetGain(*e);
        if (e->adapted)
            f.linearGain = 100 * (e->adapted->linearTop1 - e->base.linearTop1);
        if (e->ensemble)
            f.ensembleGain = 100 * (e->ensemble->knnTop1 - e->base.knnTop1);
        if (e->source) {
            f.headDrop = 100 * (e->source->headTop1Base - e->source->headTop1Adapted);
            f.sourceKnnDrop = 100 * (e->source->knnTop1Base - e->source->knnTop1Adapted);
        }
    }
    return f;
}

std::string number(double v, const char *format = "%+.2f")
{
    if (!std::isfinite(v))
        return "";
    char text[32];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

// "+3.10 ± 0.42" over the finite values; the spread is the sample standard deviation.
std::string meanAndSpread(const std::vector<double> &values)
{
    std::vector<double> finite;
    for (const double v : values)
        if (std::isfinite(v))
            finite.push_back(v);
    if (finite.empty())
        return "";
    double mean = 0;
    for (const double v : finite)
        mean += v / static_cast<double>(finite.size());
    if (finite.size() < 2)
        return number(mean);
    double squares = 0;
    for (const double v : finite)
        squares += (v - mean) * (v - mean);
    return number(mean) + " ± " + number(std::sqrt(squares / static_cast<double>(finite.size() - 1)), "%.2f");
}

// The frontier of the runs, on validation scores where the sweep has them, else on test.
std::vector<bool> frontierOf(const std::vector<RunFigures> &figures, bool onValidation)
{
    std::vector<double> gain, forgot;
    for (const auto &f : figures) {
        gain.push_back(onValidation ? f.validationGain : f.testGain);
        forgot.push_back(onValidation ? f.validationForgetting : f.headDrop);
        if (!onValidation && !std::isfinite(f.headDrop))
            forgot.back() = f.sourceKnnDrop;
    }
    return paretoFront(gain, forgot);
}

// Validation scores decide when they measure both sides (a validation without a source folder
// has no forgetting); otherwise the test scores do.
bool anyValidation(const std::vector<SweepResult> &results)
{
    for (const auto &r : results)
        if (r.validation) {
            const auto f = figuresOf(r);
            if (std::isfinite(f.validationGain) && std::isfinite(f.validationForgetting))
                return true;
        }
    return false;
}

} // namespace

std::string sweepMarkdown(const std::vector<SweepResult> &results)
{
    std::vector<RunFigures> figures;
    for (const auto &r : results)
        figures.push_back(figuresOf(r));
    const bool validation = anyValidation(results);
    const auto front = frontierOf(figures, validation);

    std::ostringstream md;
    md << "## Runs\n\nGains and drops in points (percent). Validation: kNN on a seeded half/half split of a "
          "labeled part of the training images; test: the held-out test folders. Frontier (*): no other run "
          "gains as much while forgetting as little, on "
       << (validation ? "validation" : "test") << " scores.\n\n";
    md << "| run | status | val gain | val forgetting | test kNN gain | test linear gain | ensemble kNN gain | head "
          "drop | source kNN drop | back-propagated | wall (s) | frontier |\n";
    md << "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto &f = figures[i];
        md << "| " << results[i].run.name << " | " << f.status << " | " << number(f.validationGain) << " | "
           << number(f.validationForgetting) << " | " << number(f.testGain) << " | " << number(f.linearGain) << " | "
           << number(f.ensembleGain) << " | " << number(f.headDrop) << " | " << number(f.sourceKnnDrop) << " | "
           << number(f.backPropagated, "%.0f %%") << " | " << number(f.wallSeconds, "%.0f") << " | "
           << (front[i] ? "*" : "") << " |\n";
    }

    // Variants with more than one run (seeds): mean and spread.
    std::map<std::string, std::vector<std::size_t>> byVariant;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < results.size(); ++i) {
        auto &rows = byVariant[results[i].run.variant];
        if (rows.empty())
            order.push_back(results[i].run.variant);
        rows.push_back(i);
    }
    bool seeded = false;
    for (const auto &[_, rows] : byVariant)
        seeded = seeded || rows.size() > 1;
    if (seeded) {
        md << "\n## Variants over their seeds\n\nMean ± sample standard deviation over the runs scored so far "
              "(runs: finished of planned).\n\n"
              "| variant | runs | val gain | val forgetting | test kNN gain | test linear gain | head drop | source "
              "kNN drop |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
        for (const auto &variant : order) {
            const auto &rows = byVariant[variant];
            const auto column = [&](double RunFigures::*field) {
                std::vector<double> values;
                for (const auto i : rows)
                    values.push_back(figures[i].*field);
                return meanAndSpread(values);
            };
            const auto finished = std::count_if(rows.begin(), rows.end(),
                                                [&](std::size_t i) { return figures[i].status == "finished"; });
            md << "| " << variant << " | " << finished << " of " << rows.size() << " | "
               << column(&RunFigures::validationGain) << " | " << column(&RunFigures::validationForgetting) << " | "
               << column(&RunFigures::testGain) << " | " << column(&RunFigures::linearGain) << " | "
               << column(&RunFigures::headDrop) << " | " << column(&RunFigures::sourceKnnDrop) << " |\n";
        }
    }

    std::vector<RunRecord> evaluated;
    for (const auto &r : results)
        if (r.record && r.record->evaluation)
            evaluated.push_back(*r.record);
    md << "\n## Health signal\n\nSpearman rank correlation, over the " << evaluated.size()
       << " evaluated runs, of each label-free monitor's final value with the test kNN gain and with the "
          "forgetting (head drop, else source kNN drop). A monitor is called a predictor at |rho| >= "
       << kUsefulCorrelation << " over at least " << kMinimumHealthRuns
       << " runs.\n\n| monitor | with gain | with forgetting | runs |\n| --- | ---: | ---: | ---: |\n";
    const auto correlations = healthCorrelations(evaluated);
    for (const auto &c : correlations)
        md << "| " << c.monitor << " | " << number(c.withGain) << " | " << number(c.withForgetting) << " | "
           << std::min(c.gainRuns, c.forgettingRuns) << " |\n";
    const auto best = bestPredictor(correlations);
    if (best) {
        md << "\nStrongest: " << best->monitor << " (rho " << number(best->withGain) << " with gain, "
           << number(best->withForgetting) << " with forgetting).";
        // Each target named on its own: the strongest monitor may predict only one of them.
        for (const auto &[what, predictor, rho] :
             {std::tuple{"target gain", bestGainPredictor(correlations), &HealthCorrelation::withGain},
              std::tuple{"forgetting", bestForgettingPredictor(correlations), &HealthCorrelation::withForgetting}}) {
            if (predictor)
                md << " Best predictor of the " << what << ": " << predictor->monitor << " (rho "
                   << number((*predictor).*rho) << ").";
            else
                md << " No monitor predicts the " << what << " (|rho| >= " << kUsefulCorrelation << ").";
        }
        md << "\n";
    } else
        md << "\nNo monitor reaches |rho| " << kUsefulCorrelation << " with the gain or the forgetting over "
           << kMinimumHealthRuns << " or more runs: none predicts them well enough to trust.\n";
    return md.str();
}

std::string sweepCsv(const std::vector<SweepResult> &results)
{
    std::vector<RunFigures> figures;
    for (const auto &r : results)
        figures.push_back(figuresOf(r));
    const auto front = frontierOf(figures, anyValidation(results));
    std::ostringstream csv;
    csv << "run,variant,seed,status,val_gain,val_forgetting,test_knn_gain,test_linear_gain,ensemble_knn_gain,"
           "head_drop,source_knn_drop,back_propagated_pct,wall_s,frontier";
    for (const auto &m : finalMonitors(RunRecord{}))
        csv << "," << m.key;
    csv << "\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto &f = figures[i];
        const auto plain = [](double v) { return number(v, "%.4f"); };
        csv << results[i].run.name << "," << results[i].run.variant << "," << results[i].run.config.seed << ","
            << f.status << "," << plain(f.validationGain) << "," << plain(f.validationForgetting) << ","
            << plain(f.testGain) << "," << plain(f.linearGain) << "," << plain(f.ensembleGain) << ","
            << plain(f.headDrop) << "," << plain(f.sourceKnnDrop) << "," << plain(f.backPropagated) << ","
            << plain(f.wallSeconds) << "," << (front[i] ? 1 : 0);
        for (const auto &m : results[i].record ? finalMonitors(*results[i].record) : finalMonitors(RunRecord{}))
            csv << "," << (results[i].record ? plain(m.value) : std::string());
        csv << "\n";
    }
    return csv.str();
}

} // namespace upstep::core
