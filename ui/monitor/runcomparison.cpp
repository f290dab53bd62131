#include "monitor/runcomparison.h"

#include "monitor/runfigures.h"
#include "monitor/runnotes.h"
#include "upstep/run/frontier.h"
#include "widgets/choicebox.h"
#include "widgets/palette.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelection>
#include <QLabel>
#include <QTimer>
#include <QToolTip>
#include <QPainter>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace upstep::ui {

namespace {

constexpr Qt::PenStyle kDashes[] = {Qt::DashLine, Qt::DotLine, Qt::DashDotLine, Qt::DashDotDotLine};

Qt::PenStyle dashOfSelection(int index) { return kDashes[index % 4]; }

/// A short line in that dash pattern: the legend of an overlaid run, in its table row.
QIcon dashIcon(Qt::PenStyle dash, const QColor &color)
{
    QPixmap pixmap(28, 12);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setPen(QPen(color, 2, dash));
    painter.drawLine(1, 6, 27, 6);
    return QIcon(pixmap);
}

QString pointsText(double fraction)
{
    return std::isfinite(fraction) ? QStringLiteral("%1%2").arg(fraction >= 0 ? "+" : "").arg(100 * fraction, 0, 'f', 2)
                                   : QString();
}

double linearGain(const core::EvalReport &report)
{
    return report.adapted ? report.adapted->linearTop1 - report.base.linearTop1 : std::nan("");
}

QString settingsText(const core::TrainConfig &c)
{
    const auto budget = c.steps > 0 ? QObject::tr("%1 steps").arg(c.steps) : QObject::tr("%1 epochs").arg(c.epochs);
    const auto cvr =
        c.cvrTerm == core::CvrTerm::Anchor
            ? QString::number(c.cvrLambda)
            : QStringLiteral("%1 %2").arg(c.cvrLambda).arg(QString::fromStdString(core::choiceName(c.cvrTerm)));
    return QStringLiteral("%1 · λ %2 · %3 · lr %4 · %5")
        .arg(c.tuning == core::Tuning::Full ? QObject::tr("whole backbone") : QStringLiteral("r%1").arg(c.loraRank))
        .arg(cvr)
        .arg(QString::fromStdString(core::choiceName(c.gate)))
        .arg(c.learningRate)
        .arg(budget);
}

/// A number cell that sorts by value.
QTableWidgetItem *numberItem(double value, const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    item->setData(Qt::UserRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

RunComparison::RunComparison(QWidget *parent)
    : QWidget(parent), m_table(new QTableWidget(this)), m_show(new QPushButton(tr("Show"), this)),
      m_copy(new QPushButton(tr("Copy settings"), this)), m_export(new QPushButton(tr("Export adapter..."), this)),
      m_scatter(new QCustomPlot(this)), m_note(new QLabel(this))
{
    m_table->setColumnCount(kColumnCount);
    m_table->setHorizontalHeaderLabels({tr("Run"), tr("Status"), tr("Gain (kNN)"), tr("Forgetting"), tr("Linear gain"),
                                        tr("Time"), tr("Settings"), tr("Differs from the form"), tr("Notes")});
    m_table->horizontalHeaderItem(kGain)->setToolTip(tr("Target kNN accuracy, adapted minus base, in points"));
    m_table->horizontalHeaderItem(kForgetting)
        ->setToolTip(tr("Drop of the source accuracy, in points (lower is better)"));
    m_table->horizontalHeaderItem(kName)->setToolTip(tr("Double-click to rename; the line is the run's overlay"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_table->setToolTip(tr("Select runs to overlay their curves; double-click (or Show) to see a run's curves and "
                           "result; F2 renames or edits notes"));

    m_show->setToolTip(tr("Show the selected run's curves and result card; exports then export it"));
    m_copy->setToolTip(tr("Put the selected run's settings into the form, for the next run"));
    m_export->setToolTip(tr("Show the selected run and export its adapter (PEFT); pick a run on the frontier to "
                            "keep the best trade-off"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_show);
    buttons->addWidget(m_copy);
    buttons->addWidget(m_export);
    buttons->addStretch();

    const auto pal = palette();
    m_scatter->setBackground(pal.color(QPalette::Base));
    m_scatter->setAntialiasedElements(QCP::aeAll);
    // Each run's own evaluation (eval.json: the test folders it was evaluated on).
    m_scatter->xAxis->setLabel(tr("forgetting on the source test folder (pts)"));
    m_scatter->yAxis->setLabel(tr("target test gain (pts)"));
    for (auto *axis : {m_scatter->xAxis, m_scatter->yAxis}) {
        axis->setLabelColor(pal.color(QPalette::WindowText));
        axis->setTickLabelColor(pal.color(QPalette::WindowText));
        axis->setBasePen(QPen(pal.color(QPalette::WindowText)));
    }
    m_scatter->setMinimumSize(240, 160);
    // Labels are placed in pixels: when the plot's area changes (the first layout, a resize),
    // they are placed again, once the replot that laid it out is over.
    connect(m_scatter, &QCustomPlot::afterLayout, this, [this] {
        if (m_points > 0 && m_scatter->axisRect()->rect() != m_labelledArea)
            QTimer::singleShot(0, this, &RunComparison::drawScatter);
    });
    m_scatter->setInteraction(QCP::iSelectPlottables);
    // Hovering names the run under the pointer: labels cannot name every run of a crowded sweep.
    m_scatter->setMouseTracking(true);
    connect(m_scatter, &QCustomPlot::mouseMove, this,
            [this](QMouseEvent *event) { showPointTip(event->position().toPoint()); });
    m_note->setWordWrap(true);
    m_note->setStyleSheet(QStringLiteral("color: palette(mid);"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>Runs of this session</b>"), this));
    layout->addWidget(m_table, 2);
    layout->addLayout(buttons);
    layout->addWidget(m_scatter, 1);
    layout->addWidget(m_note);

    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        emitOverlays();
        updateButtons();
    });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row, int column) {
        if (column != kName && column != kNotes)
            showRun(row);
    });
    connect(m_table, &QTableWidget::itemChanged, this, [this](QTableWidgetItem *item) {
        if (!m_filling && (item->column() == kName || item->column() == kNotes))
            saveNotes(item->row());
    });
    connect(m_show, &QPushButton::clicked, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        if (rows.size() == 1)
            showRun(rows.front().row());
    });
    connect(m_copy, &QPushButton::clicked, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        if (rows.size() == 1)
            emit copySettingsRequested(run(rows.front().row()).config);
    });
    connect(m_scatter, &QCustomPlot::plottableClick, this,
            [this](QCPAbstractPlottable *plottable, int dataIndex, QMouseEvent *) {
                // The ring and the frontier are drawn over graph 0 and receive clicks too; their
                // points are graph 0's points, found by position.
                if (auto *graph = qobject_cast<QCPGraph *>(plottable); graph && graph != m_scatter->graph(0))
                    dataIndex = pointIndexAt(graph, dataIndex);
                const int row = rowOfScatterPoint(dataIndex);
                if (row >= 0) {
                    m_table->selectRow(row);
                    showRun(row);
                }
            });
    connect(m_export, &QPushButton::clicked, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        if (rows.size() == 1)
            emit exportRequested(run(rows.front().row()), false);
    });
    m_show->setEnabled(false);
    m_copy->setEnabled(false);
    m_export->setEnabled(false);
    drawScatter();
}

int RunComparison::pointIndexAt(QCPGraph *graph, int dataIndex) const
{
    if (dataIndex < 0 || dataIndex >= graph->dataCount())
        return -1;
    const auto point = graph->data()->at(dataIndex);
    const auto &all = *m_scatter->graph(0)->data();
    for (int i = 0; i < all.size(); ++i)
        if (all.at(i)->key == point->key && all.at(i)->value == point->value)
            return i;
    return -1;
}

std::vector<bool> RunComparison::frontierRows() const
{
    std::vector<double> gain, forgot;
    for (const auto &r : m_runs) {
        gain.push_back(r.evaluation ? core::targetGain(*r.evaluation) : std::nan(""));
        forgot.push_back(r.evaluation ? core::forgetting(*r.evaluation) : std::nan(""));
    }
    return core::paretoFront(gain, forgot);
}

void RunComparison::setRuns(std::vector<core::RunRecord> runs, const QString &current)
{
    // Keep the selection (the overlays) across a new listing, by folder.
    QStringList selected;
    for (const auto &index : m_table->selectionModel()->selectedRows())
        selected << QString::fromStdString(run(index.row()).dir.string());
    m_runs = std::move(runs);
    m_current = current;
    fillTable();
    {
        // One selection for all kept rows: selectRow() would replace the selection each time.
        const QSignalBlocker block(m_table);
        QItemSelection keep;
        for (int row = 0; row < runCount(); ++row)
            if (selected.contains(QString::fromStdString(run(row).dir.string())))
                keep.select(m_table->model()->index(row, 0), m_table->model()->index(row, kColumnCount - 1));
        m_table->selectionModel()->select(keep, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    }
    updateButtons();
    emitOverlays();
    drawScatter();
}

void RunComparison::updateButtons()
{
    const auto rows = m_table->selectionModel()->selectedRows();
    const bool one = rows.size() == 1;
    m_show->setEnabled(one);
    m_copy->setEnabled(one);
    // A stopped run exports too: its newest checkpoint is its adapter. A run that fine-tuned the
    // whole backbone has none: its result is a model file.
    const auto *chosen = one ? &run(rows.front().row()) : nullptr;
    const bool wholeBackbone = chosen && chosen->config.tuning == core::Tuning::Full;
    m_export->setEnabled(
        chosen && !wholeBackbone &&
        (chosen->status() == core::RunStatus::Finished || chosen->status() == core::RunStatus::Stopped));
    m_export->setToolTip(wholeBackbone ? tr("This run fine-tuned the whole backbone: its weights are model.safetensors "
                                            "in the run folder; there is no adapter to export.")
                                       : tr("Show the selected run and export its adapter (PEFT); pick a run on the "
                                            "frontier to keep the best trade-off"));
}

void RunComparison::setCurrent(const QString &current)
{
    auto runs = m_runs;
    setRuns(std::move(runs), current);
}

void RunComparison::setActiveRun(const QString &dir, bool paused)
{
    if (dir == m_active && paused == m_activePaused)
        return;
    // This window held the lock of the run that ends and holds the one that starts.
    m_inUse.removeAll(m_active);
    m_inUse.removeAll(dir);
    m_active = dir;
    m_activePaused = paused;
    setCurrent(m_current);
}

void RunComparison::setRunsInUse(const QStringList &dirs)
{
    m_inUse = dirs;
    if (!m_active.isEmpty())
        m_inUse.removeAll(m_active);
}

void RunComparison::setFormConfig(const core::TrainConfig &config)
{
    m_form = config;
    const QSignalBlocker block(m_table);
    m_filling = true;
    for (int row = 0; row < runCount() && row < m_table->rowCount(); ++row) {
        const auto text = differences(run(row).config);
        auto *item = new QTableWidgetItem(text.isEmpty() ? tr("same as the form") : text);
        item->setFlags(item->flags() & ~Qt::ItemIsEditable);
        item->setToolTip(text);
        if (!text.isEmpty())
            item->setForeground(palette::kEnsemble);
        m_table->setItem(row, kDiffers, item);
    }
    m_filling = false;
}

QString RunComparison::differences(const core::TrainConfig &runConfig) const
{
    // Every setting, by its config.json key; the paths are the session's, not a setting.
    const auto run = core::trainConfigToJson(runConfig), form = core::trainConfigToJson(m_form);
    QStringList parts;
    for (const auto &[key, value] : run.items()) {
        if (key == "weights" || key == "target" || key == "target_test" || key == "source_probe" || key == "arch")
            continue;
        const auto other = form.find(key);
        if (other == form.end() || *other != value)
            parts << tr("%1 %2 (form %3)")
                         .arg(QString::fromStdString(key), QString::fromStdString(value.dump()),
                              other == form.end() ? QStringLiteral("-") : QString::fromStdString(other->dump()));
    }
    return parts.join(QStringLiteral(", "));
}

void RunComparison::fillTable()
{
    const QSignalBlocker block(m_table);
    m_filling = true;
    m_table->setSortingEnabled(false);
    m_table->clearContents();
    m_table->setRowCount(runCount());
    const auto frontier = frontierRows();
    for (int row = 0; row < runCount(); ++row) {
        const auto &r = run(row);
        const auto folder = QString::fromStdString(r.dir.filename().string());
        const auto notes = loadRunNotes(QString::fromStdString(r.dir.string()));
        auto *name = new QTableWidgetItem(notes.name.isEmpty() ? folder : notes.name);
        name->setToolTip(QString::fromStdString(r.dir.string()));
        if (QString::fromStdString(r.dir.string()) == m_current) {
            auto font = name->font();
            font.setBold(true);
            name->setFont(font);
            name->setToolTip(tr("%1 (shown in the curves)").arg(name->toolTip()));
        }
        m_table->setItem(row, kName, name);
        auto readOnly = [](QTableWidgetItem *item) {
            item->setFlags(item->flags() & ~Qt::ItemIsEditable);
            return item;
        };
        const auto dir = QString::fromStdString(r.dir.string());
        const bool active = !m_active.isEmpty() && dir == m_active;
        const bool elsewhere = !active && m_inUse.contains(dir);
        const auto status = active      ? (m_activePaused ? tr("paused") : tr("running"))
                            : elsewhere ? tr("in use elsewhere")
                                        : choiceText(r.status());
        auto *statusItem = readOnly(new QTableWidgetItem(status));
        if (elsewhere)
            statusItem->setToolTip(tr("Another process (a sweep, upstep adapt, another window) is writing this run; "
                                      "its figures appear when it ends and the list is refreshed"));
        m_table->setItem(row, kStatus, statusItem);
        m_table->setItem(row, kSettings, readOnly(new QTableWidgetItem(settingsText(r.config))));
        const double gain = r.evaluation ? core::targetGain(*r.evaluation) : std::nan("");
        const double forgot = r.evaluation ? core::forgetting(*r.evaluation) : std::nan("");
        const double linear = r.evaluation ? linearGain(*r.evaluation) : std::nan("");
        auto *gainItem = readOnly(numberItem(gain, pointsText(gain)));
        auto *forgotItem = readOnly(numberItem(forgot, pointsText(forgot)));
        if (frontier[static_cast<std::size_t>(row)])
            for (auto *item : {gainItem, forgotItem}) {
                auto font = item->font();
                font.setBold(true);
                item->setFont(font);
                item->setToolTip(tr("On the frontier: no other run gains as much while forgetting as little"));
            }
        m_table->setItem(row, kGain, gainItem);
        m_table->setItem(row, kForgetting, forgotItem);
        m_table->setItem(row, kLinearGain, readOnly(numberItem(linear, pointsText(linear))));
        const double seconds = trainingSeconds(r.metrics, r.summary ? r.summary->wallSeconds : 0);
        m_table->setItem(row, kTime, readOnly(numberItem(seconds, r.metrics.empty() ? QString() : clockText(seconds))));
        m_table->setItem(row, kNotes, new QTableWidgetItem(notes.notes));
    }
    m_filling = false;
    m_table->resizeColumnsToContents();
    // Long run names (a sweep's "variant_key=value_seedN") must not push the figures out of view;
    // the full name is in the tooltip and the column can be widened.
    m_table->setColumnWidth(kName, std::min(m_table->columnWidth(kName), 200));
    m_table->setColumnWidth(kDiffers, std::min(m_table->columnWidth(kDiffers), 260));
    setFormConfig(m_form);
}

void RunComparison::saveNotes(int row)
{
    const auto dir = QString::fromStdString(run(row).dir.string());
    RunNotes notes;
    notes.name = m_table->item(row, kName)->text().trimmed();
    if (notes.name == QString::fromStdString(run(row).dir.filename().string()))
        notes.name.clear();
    notes.notes = m_table->item(row, kNotes) ? m_table->item(row, kNotes)->text() : QString();
    QString failure;
    try {
        saveRunNotes(dir, notes);
    } catch (const std::exception &e) {
        failure = tr("Could not save the name and notes of %1: %2").arg(dir, QString::fromUtf8(e.what()));
    }
    drawScatter(); // its labels are the names
    if (!failure.isEmpty()) {
        // Said after the scatter's own note, and the cells show what is on disk again.
        m_note->setText(
            QStringLiteral("<span style='color:%1'>%2</span>").arg(palette::kBad.name(), failure.toHtmlEscaped()));
        const auto kept = loadRunNotes(dir);
        const QSignalBlocker block(m_table);
        m_table->item(row, kName)
            ->setText(kept.name.isEmpty() ? QString::fromStdString(run(row).dir.filename().string()) : kept.name);
        if (auto *cell = m_table->item(row, kNotes))
            cell->setText(kept.notes);
    }
}

void RunComparison::emitOverlays()
{
    std::vector<CurveOverlay> overlays;
    int index = 0;
    const QSignalBlocker block(m_table);
    m_filling = true;
    for (int row = 0; row < m_table->rowCount(); ++row) {
        auto *name = m_table->item(row, kName);
        if (!name)
            continue;
        // The run shown in the curves is drawn solid already: never also as its own overlay.
        const bool shown = QString::fromStdString(run(row).dir.string()) == m_current;
        if (!m_table->selectionModel()->isRowSelected(row, {}) || shown) {
            name->setIcon({});
            continue;
        }
        const auto dash = dashOfSelection(index++);
        name->setIcon(dashIcon(dash, palette().color(QPalette::WindowText)));
        overlays.push_back({name->text(), dash, run(row).metrics});
    }
    m_filling = false;
    emit overlaysRequested(overlays);
}

void RunComparison::showRun(int row)
{
    if (row >= 0 && row < runCount())
        emit runShown(run(row));
}

} // namespace upstep::ui
