#include "monitor/runcomparison.h"
#include "widgets/choicebox.h"

#include "widgets/palette.h"

#include <QComboBox>
#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace upstep::ui {

RunComparison::RunComparison(QWidget *parent)
    : QWidget(parent), m_overlay(new QComboBox(this)), m_scatter(new QCustomPlot(this)), m_note(new QLabel(this))
{
    m_overlay->setToolTip(tr("Draw an earlier run's curves dashed behind the current ones"));
    m_overlay->addItem(tr("No overlay"));
    const auto pal = palette();
    m_scatter->setBackground(pal.color(QPalette::Base));
    m_scatter->setAntialiasedElements(QCP::aeAll);
    m_scatter->xAxis->setLabel(tr("forgetting (pts)"));
    m_scatter->yAxis->setLabel(tr("target gain (pts)"));
    for (auto *axis : {m_scatter->xAxis, m_scatter->yAxis}) {
        axis->setLabelColor(pal.color(QPalette::WindowText));
        axis->setTickLabelColor(pal.color(QPalette::WindowText));
        axis->setBasePen(QPen(pal.color(QPalette::WindowText)));
    }
    m_scatter->setMinimumSize(240, 180);
    m_note->setWordWrap(true);
    m_note->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *title = new QLabel(tr("<b>Runs of this session</b>"), this);
    layout->addWidget(title);
    layout->addWidget(m_overlay);
    layout->addWidget(m_scatter, 1);
    layout->addWidget(m_note);
    connect(m_overlay, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index <= 0 || index > static_cast<int>(m_runs.size())) {
            emit overlayRequested(QString(), {});
            return;
        }
        const auto &run = m_runs[static_cast<std::size_t>(index - 1)];
        emit overlayRequested(QString::fromStdString(run.dir.filename().string()), run.metrics);
    });
}

void RunComparison::setRuns(std::vector<core::RunRecord> runs, const QString &current)
{
    m_runs = std::move(runs);
    {
        const QSignalBlocker block(m_overlay);
        m_overlay->clear();
        m_overlay->addItem(tr("No overlay"));
        for (const auto &run : m_runs)
            m_overlay->addItem(QStringLiteral("%1 (%2)").arg(QString::fromStdString(run.dir.filename().string()),
                                                             choiceText(run.status())));
    }
    m_scatter->clearGraphs();
    m_scatter->clearItems();
    QVector<double> x, y, currentX, currentY;
    for (const auto &run : m_runs) {
        if (!run.evaluation)
            continue;
        const double gain = 100 * core::targetGain(*run.evaluation), forgot = 100 * core::forgetting(*run.evaluation);
        if (!std::isfinite(gain) || !std::isfinite(forgot))
            continue;
        const bool isCurrent = QString::fromStdString(run.dir.string()) == current;
        (isCurrent ? currentX : x).push_back(forgot);
        (isCurrent ? currentY : y).push_back(gain);
        auto *label = new QCPItemText(m_scatter);
        label->position->setCoords(forgot, gain);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setText(QStringLiteral(" r%1 λ%2").arg(run.config.loraRank).arg(run.config.cvrLambda));
        label->setColor(palette().color(QPalette::WindowText));
    }
    const auto addPoints = [this](const QVector<double> &px, const QVector<double> &py, const QColor &color) {
        auto *graph = m_scatter->addGraph();
        graph->setLineStyle(QCPGraph::lsNone);
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, 9));
        graph->setData(px, py);
    };
    addPoints(x, y, palette::kBase);
    addPoints(currentX, currentY, palette::kAdapted);
    m_points = x.size() + currentX.size();
    m_scatter->rescaleAxes();
    for (auto *axis : {m_scatter->xAxis, m_scatter->yAxis}) {
        const auto range = axis->range();
        const double pad = std::max(0.5, range.size() * 0.2);
        axis->setRange(range.lower - pad, range.upper + pad);
    }
    m_scatter->replot(QCustomPlot::rpQueuedReplot);
    m_note->setText(m_points > 0 ? tr("Up and to the left is better: more gain, less forgetting.")
                                 : tr("Runs evaluated with a labeled target test folder and a source folder appear here."));
}

} // namespace upstep::ui
