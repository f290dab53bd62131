#include "monitor/resultcard.h"

#include "monitor/classresults.h"
#include "monitor/healthnote.h"
#include "widgets/choicebox.h"

#include "monitor/runfigures.h"
#include "widgets/palette.h"
#include "upstep/run/runrecord.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace upstep::ui {

namespace {

enum Figure { kGain, kForgetting, kSkipped, kAdapterShare, kTime, kFigureCount };
constexpr int kNoteLines = 3; // the longest note's lines at the window's usual width

QString points(double fraction)
{
    return std::isfinite(fraction) ? QStringLiteral("%1%2 pts").arg(fraction >= 0 ? "+" : "").arg(100 * fraction, 0, 'f', 2)
                                   : QStringLiteral("–");
}

QString percent(double fraction)
{
    return std::isfinite(fraction) ? QString::number(100 * fraction, 'f', 2) : QStringLiteral("–");
}

} // namespace

ResultCard::ResultCard(QWidget *parent)
    : QFrame(parent), m_title(new QLabel(this)), m_table(new QLabel(this)),
      m_byClass(new QPushButton(tr("By class..."), this)),
      m_exportAdapter(new QPushButton(tr("Export adapter..."), this)),
      m_exportMerged(new QPushButton(tr("Export merged weights..."), this))
{
    // Every part has the same size with and without a result (empty notes and table keep their
    // room, long ones are cut and given in full as a tooltip), so the tabs below never move when
    // a run starts or ends.
    setFrameShape(QFrame::StyledPanel);
    m_title->setStyleSheet(QStringLiteral("font-weight: bold;"));
    m_title->setWordWrap(true);
    m_title->setFixedHeight(2 * m_title->fontMetrics().lineSpacing()); // the first-run text takes two
    m_title->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    auto *figures = new QGridLayout;
    m_figureTitles = {tr("Target gain (kNN)"), tr("Forgetting"), tr("Back-prop skipped"), tr("Adapter share"),
                      tr("Total time")};
    for (int i = 0; i < kFigureCount; ++i) {
        auto *title = new QLabel(m_figureTitles[static_cast<std::size_t>(i)], this);
        auto *value = new QLabel(QStringLiteral("–"), this);
        auto *note = new QLabel(this);
        auto font = value->font();
        font.setPointSizeF(font.pointSizeF() * 1.8);
        font.setBold(true);
        value->setFont(font);
        note->setStyleSheet(QStringLiteral("color: palette(mid);"));
        note->setWordWrap(true);
        note->setFixedHeight(kNoteLines * note->fontMetrics().lineSpacing());
        note->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        figures->addWidget(title, 0, i);
        figures->addWidget(value, 1, i);
        figures->addWidget(note, 2, i);
        figures->setColumnStretch(i, 1); // equal columns: a short value does not squeeze its note
        m_figures.emplace_back(value, note);
    }
    // The scores table's full size (every row, the widest figures), kept when it is empty.
    core::EvalReport widest;
    widest.base.knnTop1 = widest.base.linearTop1 = 1.0;
    widest.adapted = widest.ensemble = widest.base;
    m_table->setText(scoresTable(widest));
    m_table->setFixedSize(m_table->sizeHint());
    m_table->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_table->setWordWrap(true); // the health note of a run without an evaluation takes its place
    m_byClass->setToolTip(tr("Gain and forgetting for each class"));
    auto *top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    for (auto *button : {m_byClass, m_exportAdapter, m_exportMerged})
        top->addWidget(button, 0, Qt::AlignTop);
    auto *row = new QHBoxLayout;
    row->addLayout(figures, 1);
    row->addSpacing(12);
    row->addWidget(m_table, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(row);
    connect(m_byClass, &QPushButton::clicked, this, &ResultCard::showClassResults);
    connect(m_exportAdapter, &QPushButton::clicked, this, [this] { emit exportRequested(false); });
    connect(m_exportMerged, &QPushButton::clicked, this, [this] { emit exportRequested(true); });
    clear();
}

void ResultCard::clear(const QString &message)
{
    m_hasResult = false;
    m_title->setText(message.isEmpty() ? tr("Start here: 1. choose a backbone, 2. choose a folder of target images "
                                            "(left), 3. press Start. Results appear here when a run ends. "
                                            "(Help > Open the demo session sets all three.)")
                                       : message);
    for (int i = 0; i < kFigureCount; ++i)
        setFigure(i, QStringLiteral("–"), QString());
    m_table->clear();
    m_evaluation.reset();
    m_byClass->setEnabled(false);
    if (m_classResults)
        m_classResults->hide();
    m_exportAdapter->setEnabled(false);
    m_exportMerged->setEnabled(false);
}

ClassResultsDialog *ResultCard::showClassResults()
{
    if (!m_evaluation || !hasClassResults(*m_evaluation))
        return nullptr;
    if (!m_classResults)
        m_classResults = new ClassResultsDialog(this);
    m_classResults->showReport(m_runName, *m_evaluation);
    m_classResults->show();
    m_classResults->raise();
    return m_classResults;
}

QString ResultCard::figure(const QString &title) const
{
    for (std::size_t i = 0; i < m_figureTitles.size(); ++i)
        if (m_figureTitles[i] == title)
            return m_figures[i].first->text();
    return {};
}

void ResultCard::setFigure(int index, const QString &value, const QString &note, const QColor &color)
{
    auto [valueLabel, noteLabel] = m_figures[static_cast<std::size_t>(index)];
    valueLabel->setText(value);
    valueLabel->setStyleSheet(color.isValid() ? QStringLiteral("color: %1;").arg(color.name()) : QString());
    noteLabel->setText(note);
    noteLabel->setToolTip(note); // in full, where the note's lines cut it
}

ResultCard::Result ResultCard::resultOfRun(const core::RunRecord &run, const QString &notEvaluated)
{
    Result result;
    result.runName = QString::fromStdString(run.dir.filename().string());
    result.summary = run.summary.value();
    result.evaluation = run.evaluation;
    result.evaluationSeconds = run.evaluation ? run.evaluation->seconds : 0;
    result.metrics = run.metrics;
    result.wholeBackbone = run.config.tuning == core::Tuning::Full;
    result.noEvaluation = result.summary.status == core::RunStatus::Stopped
                              ? tr("stopped before its end: Resume finishes the run and evaluates it")
                          : run.config.targetTest.empty() ? tr("give a labeled target test folder")
                                                          : notEvaluated;
    return result;
}

QString ResultCard::scoresTable(const core::EvalReport &evaluation)
{
    const auto row = [](const QString &name, const QColor &color, const core::ProbeScores &p) {
        return QStringLiteral(
                   "<tr><td style='color:%1'><b>%2</b></td><td align=right>%3</td><td align=right>%4</td></tr>")
            .arg(color.name(), name, percent(p.knnTop1), percent(p.linearTop1));
    };
    QString html = tr("<table cellspacing=0 cellpadding=1><tr><th></th><th>kNN %</th><th>linear %</th></tr>");
    html += row(tr("base"), palette::kBase, evaluation.base);
    if (evaluation.adapted)
        html += row(tr("adapted"), palette::kAdapted, *evaluation.adapted);
    if (evaluation.ensemble)
        html += row(tr("ensemble"), palette::kEnsemble, *evaluation.ensemble);
    html += QStringLiteral("</table>");
    return html;
}

void ResultCard::showResult(const Result &result)
{
    const auto &s = result.summary;
    const auto &evaluation = result.evaluation;
    const auto &metrics = result.metrics;
    m_title->setText(
        tr("Run %1: %2, %3 of %4 steps").arg(result.runName, choiceText(s.status)).arg(s.steps).arg(s.totalSteps));

    const double gain = evaluation ? core::targetGain(*evaluation) : std::nan("");
    setFigure(kGain, points(gain),
              evaluation ? tr("adapted %1 % vs base %2 %")
                               .arg(percent(evaluation->adapted ? evaluation->adapted->knnTop1 : NAN),
                                    percent(evaluation->base.knnTop1))
                         : result.noEvaluation,
              std::isfinite(gain) ? (gain >= 0 ? palette::kGood : palette::kBad) : QColor());

    double forgetting = evaluation ? core::forgetting(*evaluation) : std::nan("");
    QString forgettingNote = tr("drop in source top-1 (base head)");
    if (!std::isfinite(forgetting)) {
        // Without an evaluation, the live source probe's first and last values tell the same story.
        double first = NAN, last = NAN;
        int measured = 0;
        for (const auto &r : metrics)
            if (std::isfinite(r.sourceProbeTop1)) {
                if (!std::isfinite(first))
                    first = r.sourceProbeTop1;
                last = r.sourceProbeTop1;
                ++measured;
            }
        forgetting = measured >= 2 ? first - last : NAN; // one measurement shows no change at all
        forgettingNote = std::isfinite(forgetting) ? tr("live source probe, first to last")
                         : measured == 1           ? tr("one source probe so far: nothing to compare")
                                                   : tr("give a labeled source folder");
    }
    setFigure(kForgetting, std::isfinite(forgetting) ? QStringLiteral("%1 pts").arg(100 * forgetting, 0, 'f', 2) : QStringLiteral("–"),
              forgettingNote, std::isfinite(forgetting) ? (forgetting > 0.02 ? palette::kBad : palette::kGood) : QColor());

    const auto iterations = s.keptSteps + s.skippedSteps;
    setFigure(kSkipped, iterations > 0 ? QStringLiteral("%1 %").arg(100.0 * s.skippedSteps / iterations, 0, 'f', 0) : QStringLiteral("–"),
              tr("%1 of %2 iterations forward-only").arg(s.skippedSteps).arg(iterations));
    // The adapter (LoRA) is what an export holds; training also updates the projection head,
    // which the trainable share counts (summary.json's trainable_parameters).
    const auto share = [&s](std::int64_t part) {
        return 100.0 * static_cast<double>(part) / static_cast<double>(s.totalParameters);
    };
    if (result.wholeBackbone)
        setFigure(kAdapterShare, tr("none"),
                  tr("full fine-tuning: all %L1 backbone parameters trained; the result is model.safetensors")
                      .arg(s.adapterParameters));
    else
        setFigure(kAdapterShare,
                  s.totalParameters > 0 ? QStringLiteral("%1 %").arg(share(s.adapterParameters), 0, 'f', 2)
                                        : QStringLiteral("–"),
                  // The trainable share first: a note cut at its lines keeps the figure.
                  s.totalParameters > 0
                      ? tr("%1 % trainable with the projection head; LoRA: %L2 of %L3 parameters (backbone and "
                           "projection head)")
                            .arg(share(s.trainableParameters), 0, 'f', 1)
                            .arg(s.adapterParameters)
                            .arg(s.totalParameters)
                      : QString());
    const double training = trainingSeconds(metrics, s.wallSeconds);
    auto timeNote = tr("training %1%2")
                        .arg(clockText(training),
                             hasResumedSegments(metrics) ? tr(" (over resumed segments)") : QString());
    const double evaluationSeconds = evaluation ? result.evaluationSeconds : 0;
    if (evaluationSeconds > 0)
        timeNote += tr(", evaluation %1").arg(clockText(evaluationSeconds));
    timeNote += tr("; %1 img/s, %2 on %3")
                    .arg(s.imagesPerSecond, 0, 'f', 0)
                    .arg(QString::fromStdString(s.precision), QString::fromStdString(s.device));
    setFigure(kTime, clockText(training + evaluationSeconds), timeNote);

    m_table->setToolTip(evaluation ? QString() : result.health); // in full, should the room cut it
    if (evaluation)
        m_table->setText(scoresTable(*evaluation));
    else if (!result.health.isEmpty())
        m_table->setText(QStringLiteral("<p style='color:palette(mid)'>%1</p>").arg(result.health.toHtmlEscaped()));
    else
        m_table->clear();
    m_evaluation = evaluation;
    m_runName = result.runName;
    m_byClass->setEnabled(evaluation && hasClassResults(*evaluation));
    if (m_classResults && m_classResults->isVisible()) {
        if (m_byClass->isEnabled())
            m_classResults->showReport(m_runName, *m_evaluation); // follows the run shown
        else
            m_classResults->hide();
    }
    // A fully fine-tuned run has no adapter to export: its model file is the result.
    const auto noAdapter = tr("This run fine-tuned the whole backbone: its weights are model.safetensors in the run "
                              "folder, which loads as base weights; there is no adapter to export.");
    for (auto *button : {m_exportAdapter, m_exportMerged}) {
        button->setEnabled(!result.wholeBackbone);
        button->setToolTip(result.wholeBackbone ? noAdapter : QString());
    }
    m_hasResult = true;
}

void ResultCard::showRun(const core::RunRecord &run, const std::vector<core::RunRecord> &sessionRuns, bool inUse,
                         const QString &notEvaluated)
{
    const auto name = QFileInfo(QString::fromStdString(run.dir.string())).fileName();
    if (!run.summary) {
        clear((inUse ? tr("Run %1 is being trained by another process: its curves so far are shown.")
                     : tr("Run %1 has no result yet (it did not stop cleanly, or is running elsewhere)."))
                  .arg(name));
        return;
    }
    auto result = resultOfRun(run, notEvaluated.isEmpty() ? tr("not evaluated (upstep eval --adapter RUN scores it)")
                                                          : notEvaluated);
    if (!result.evaluation)
        result.health = healthNote(run, sessionRuns);
    showResult(result);
}

} // namespace upstep::ui
