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
        const auto status = active                  ? (m_activePaused ? tr("paused") : tr("running"))
                            : m_inUse.contains(dir) ? tr("in use elsewhere")
                                                    : choiceText(r.status());
        auto *statusItem = readOnly(new QTableWidgetItem(status));
        if (!active && m_inUse.contains(dir))
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

int RunComparison::rowOfScatterPoint(int dataIndex) const
{
    return dataIndex >= 0 && dataIndex < static_cast<int>(m_rowOfPoint.size())
               ? m_rowOfPoint[static_cast<std::size_t>(dataIndex)]
               : -1;
}

void RunComparison::addPointLabels(const std::vector<ScatterPoint> &points)
{
    // Runs with the same result (same settings and seed give the same figures) share one point:
    // one label names the newest and counts the others, instead of names printed over each other.
    // Other labels take the first corner of their point (above right, above left, below right,
    // below left) where they stay inside the plot and clear of the labels placed before; a point
    // with no free corner is counted in the nearest label ("run-7 and 2 more"). The axes' ranges
    // are set before this, so pixel positions are final.
    constexpr double kSame = 0.005;      // points: closer than the figures' shown precision
    constexpr double kPointRadius = 5.0; // pixels: the drawn disc
    struct Label {
        QPointF at; // the point, in data coordinates
        QRectF box; // where the text goes, in pixels
        Qt::Alignment alignment;
        int newest = 0; // the newest run's row (rows are newest first)
        int others = 0;
    };
    std::vector<Label> labels;
    m_labelledArea = m_scatter->axisRect()->rect();
    const QRectF area = m_labelledArea;
    const QFontMetrics metrics(m_scatter->font());
    const auto pixel = [this](double x, double y) {
        return QPointF(m_scatter->xAxis->coordToPixel(x), m_scatter->yAxis->coordToPixel(y));
    };
    const auto nameOf = [this](int row) {
        const auto *name = m_table->item(row, kName);
        return name ? name->text() : QString();
    };
    std::vector<bool> done(points.size(), false);
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (done[i])
            continue;
        int others = 0, newest = points[i].row;
        for (std::size_t j = i + 1; j < points.size(); ++j)
            if (!done[j] && std::abs(points[j].x - points[i].x) < kSame &&
                std::abs(points[j].y - points[i].y) < kSame) {
                done[j] = true;
                ++others;
                newest = std::min(newest, points[j].row);
            }
        const QPointF at = pixel(points[i].x, points[i].y);
        // Room for the name and a count that may still be added to it.
        const QSizeF size(metrics.horizontalAdvance(nameOf(newest) + tr(" and %n more", nullptr, 99)) + 8,
                          metrics.height());
        // Corners clear of the labels placed before and of the other points (text over a point
        // hides it; points at the label's own point, closer than two discs, cannot be avoided);
        // when none is, corners clear of the labels alone.
        const auto coversPoint = [&](const QRectF &box) {
            return std::any_of(points.begin(), points.end(), [&](const ScatterPoint &p) {
                const auto other = pixel(p.x, p.y);
                return QLineF(other, at).length() >= 2 * kPointRadius &&
                       box.adjusted(-kPointRadius, -kPointRadius, kPointRadius, kPointRadius).contains(other);
            });
        };
        bool placed = false;
        for (const bool avoidPoints : {true, false}) {
            for (const Qt::Alignment corner : {Qt::AlignLeft | Qt::AlignBottom, Qt::AlignRight | Qt::AlignBottom,
                                               Qt::AlignLeft | Qt::AlignTop, Qt::AlignRight | Qt::AlignTop}) {
                const QPointF topLeft(corner & Qt::AlignLeft ? at.x() : at.x() - size.width(),
                                      corner & Qt::AlignBottom ? at.y() - size.height() : at.y());
                const QRectF box(topLeft, size);
                const bool clear = std::none_of(labels.begin(), labels.end(),
                                                [&box](const Label &l) { return l.box.intersects(box); }) &&
                                   !(avoidPoints && coversPoint(box));
                if (area.contains(box) && clear) {
                    labels.push_back({{points[i].x, points[i].y}, box, corner, newest, others});
                    placed = true;
                    break;
                }
            }
            if (placed)
                break;
        }
        if (!placed && !labels.empty()) {
            auto nearest = std::min_element(labels.begin(), labels.end(), [&](const Label &a, const Label &b) {
                return QLineF(pixel(a.at.x(), a.at.y()), at).length() < QLineF(pixel(b.at.x(), b.at.y()), at).length();
            });
            nearest->others += others + 1;
            nearest->newest = std::min(nearest->newest, newest);
        } else if (!placed) { // no corner is wide enough: the first label goes where there is more room
            const bool right = area.right() - at.x() >= at.x() - area.left();
            labels.push_back({{points[i].x, points[i].y},
                              {},
                              (right ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignBottom,
                              newest,
                              others});
        }
    }
    for (const auto &l : labels) {
        auto text = nameOf(l.newest);
        if (l.others > 0)
            text += tr(" and %n more", nullptr, l.others);
        const bool right = l.alignment & Qt::AlignLeft; // the text starts at the point
        // Never cut at the plot's edge: a name longer than the room keeps its end ("…021444 and 2
        // more"), which is what tells runs of one day apart.
        const double x = m_scatter->xAxis->coordToPixel(l.at.x());
        const int room = static_cast<int>(right ? area.right() - x : x - area.left()) - 8;
        text = metrics.elidedText(text, Qt::ElideLeft, std::max(room, 0));
        auto *label = new QCPItemText(m_scatter);
        label->position->setCoords(l.at.x(), l.at.y());
        label->setPositionAlignment(l.alignment);
        label->setText(right ? QStringLiteral(" ") + text : text + QStringLiteral(" "));
        label->setFont(m_scatter->font()); // the font the room was measured with
        label->setColor(palette().color(QPalette::WindowText));
        label->setSelectable(false);
    }
}

void RunComparison::showPointTip(const QPoint &at)
{
    // The nearest point within a few pixels, named with its figures.
    constexpr double kReach = 8.0;
    int nearest = -1;
    double best = kReach;
    if (m_scatter->graphCount() > 0) {
        const auto &data = *m_scatter->graph(0)->data();
        for (int i = 0; i < data.size(); ++i) {
            const QPointF point(m_scatter->xAxis->coordToPixel(data.at(i)->key),
                                m_scatter->yAxis->coordToPixel(data.at(i)->value));
            const double distance = QLineF(point, at).length();
            if (distance < best) {
                best = distance;
                nearest = i;
            }
        }
    }
    const int row = rowOfScatterPoint(nearest);
    if (row < 0) {
        QToolTip::hideText();
        return;
    }
    const auto &data = *m_scatter->graph(0)->data();
    QToolTip::showText(m_scatter->mapToGlobal(at),
                       tr("%1\ngain %2 pts, forgetting %3 pts\nclick to show it")
                           .arg(m_table->item(row, kName)->text())
                           .arg(data.at(nearest)->value, 0, 'f', 2)
                           .arg(data.at(nearest)->key, 0, 'f', 2),
                       m_scatter);
}

void RunComparison::drawScatter()
{
    m_scatter->clearGraphs();
    m_scatter->clearItems();
    m_rowOfPoint.clear();
    // Graph 0: every evaluated run, clickable, in the accent colour; the run shown in the curves
    // gets a ring on top (graph 1), so the colour never depends on which run is shown.
    std::vector<ScatterPoint> evaluated;
    QVector<double> currentX, currentY;
    const auto frontier = frontierRows();
    QVector<double> frontX, frontY;
    for (int row = 0; row < runCount(); ++row) {
        const auto &r = run(row);
        if (!r.evaluation)
            continue;
        const double gain = 100 * core::targetGain(*r.evaluation), forgot = 100 * core::forgetting(*r.evaluation);
        if (!std::isfinite(gain) || !std::isfinite(forgot))
            continue;
        evaluated.push_back({forgot, gain, row});
        if (frontier[static_cast<std::size_t>(row)]) {
            frontX.push_back(forgot);
            frontY.push_back(gain);
        }
        if (QString::fromStdString(r.dir.string()) == m_current) {
            currentX.push_back(forgot);
            currentY.push_back(gain);
        }
    }
    // QCPGraph keeps its data sorted by x and reports clicks by that index: sort the same way.
    std::sort(evaluated.begin(), evaluated.end(),
              [](const ScatterPoint &a, const ScatterPoint &b) { return a.x < b.x; });
    QVector<double> x, y;
    for (const auto &point : evaluated) {
        x.push_back(point.x);
        y.push_back(point.y);
        m_rowOfPoint.push_back(point.row);
    }
    m_points = static_cast<int>(x.size());
    // The range comes from the points alone, always with the origin (no gain, no forgetting) in
    // view and at least a few points across: QCustomPlot's rescale keeps the previous span when
    // all points coincide, which widened the view on every redraw.
    const auto fit = [](QCPAxis *axis, const QVector<double> &values) {
        double low = 0, high = 0;
        for (const double v : values) {
            low = std::min(low, v);
            high = std::max(high, v);
        }
        const double pad = std::max(1.0, (high - low) * 0.2);
        axis->setRange(low - pad, high + pad);
    };
    fit(m_scatter->xAxis, x);
    fit(m_scatter->yAxis, y);
    // The frontier's runs are named first, so each keeps a label of its own in a crowded plot.
    auto byLabelPriority = evaluated;
    std::stable_sort(byLabelPriority.begin(), byLabelPriority.end(), [&](const ScatterPoint &a, const ScatterPoint &b) {
        return frontier[static_cast<std::size_t>(a.row)] > frontier[static_cast<std::size_t>(b.row)];
    });
    addPointLabels(byLabelPriority); // before the graphs, so a click on a point reaches the point, not its label
    auto *points = m_scatter->addGraph();
    points->setLineStyle(QCPGraph::lsNone);
    // Every run in a muted tone; the frontier's runs are drawn over them in the accent, joined by
    // a line from the least forgetting to the most gain (graph 2).
    points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, palette::kBase, palette::kBase, 8));
    points->setData(x, y, true);
    auto *ring = m_scatter->addGraph();
    ring->setLineStyle(QCPGraph::lsNone);
    ring->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(palette().color(QPalette::WindowText), 2), Qt::NoBrush, 15));
    ring->setData(currentX, currentY);
    ring->setSelectable(QCP::stNone);
    auto *front = m_scatter->addGraph();
    front->setLineStyle(QCPGraph::lsLine);
    front->setPen(QPen(palette::kAdapted, 1.5, Qt::DashLine));
    front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, palette::kAdapted, palette::kAdapted, 10));
    front->setData(frontX, frontY); // sorted by forgetting; along the front the gain rises with it
    front->setSelectable(QCP::stNone);
    m_scatter->replot(QCustomPlot::rpQueuedReplot);
    // Two short lines under the plot leave it room; the rest is the note's tooltip.
    m_note->setText(m_points > 0 ? tr("Up and left is better. %n run(s) on the frontier (blue, bold in the table): "
                                      "no other run beats them on both. Hover a point to name it; click to show it.",
                                      nullptr, static_cast<int>(frontX.size()))
                                 : tr("Runs evaluated with a labeled target test folder and a source folder appear in "
                                      "the scatter."));
    m_note->setToolTip(tr("Points are each run's evaluation on the test folders. To choose settings, use a sweep's "
                          "validation scores (sweep.md in its folder), then read the test scores once. Export "
                          "adapter exports the selected run."));
}

} // namespace upstep::ui
