#include "embeddings/selectionhistogram.h"

#include "widgets/palette.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace upstep::ui {

namespace {

constexpr int kMargin = 6;
constexpr int kNameWidthMax = 110;
constexpr int kCountWidth = 44;

double expectedCount(const CountBar &bar, int selected, int mapSize)
{
    return mapSize > 0 ? static_cast<double>(bar.inMap) * selected / mapSize : 0.0;
}

} // namespace

SelectionHistogram::SelectionHistogram(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("selectionHistogram"));
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void SelectionHistogram::setBars(const QVector<CountBar> &labels, const QVector<CountBar> &clusters, int selected,
                                 int mapSize)
{
    m_labels = labels;
    m_clusters = clusters.mid(0, kMaxClusters);
    m_hiddenClusters = static_cast<int>(clusters.size() - m_clusters.size());
    m_selected = selected;
    m_mapSize = mapSize;
    updateGeometry();
    update();
}

int SelectionHistogram::rowHeight() const { return fontMetrics().height() + 2; }

QVector<SelectionHistogram::Row> SelectionHistogram::rows() const
{
    QVector<Row> result;
    if (!m_labels.isEmpty()) {
        result.push_back({nullptr, tr("By label (tick: share of the whole map)")});
        for (const auto &bar : m_labels)
            result.push_back({&bar, {}, false});
    }
    if (!m_clusters.isEmpty()) {
        result.push_back({nullptr, tr("By cluster, most selected first")});
        for (const auto &bar : m_clusters)
            result.push_back({&bar, {}, true});
        if (m_hiddenClusters > 0)
            result.push_back({nullptr, tr("%n more cluster(s)", nullptr, m_hiddenClusters)});
    }
    return result;
}

QSize SelectionHistogram::sizeHint() const
{
    return {260, kMargin * 2 + std::max(3, static_cast<int>(rows().size())) * rowHeight()};
}

QSize SelectionHistogram::minimumSizeHint() const { return {180, 3 * rowHeight()}; }

void SelectionHistogram::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, false);
    const auto all = rows();
    if (m_selected == 0 || all.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(kMargin, kMargin, -kMargin, -kMargin), Qt::TextWordWrap | Qt::AlignTop,
                         m_selected == 0 ? tr("Select images (Shift+drag a lasso, or Find) to see how their labels "
                                              "and clusters compare with the whole map.")
                                         : tr("This map has neither labels nor clusters."));
        return;
    }
    int nameWidth = 0;
    for (const auto &row : all)
        if (row.bar)
            nameWidth = std::max(nameWidth, fontMetrics().horizontalAdvance(row.bar->name));
    nameWidth = std::min(nameWidth, kNameWidthMax);
    const int barLeft = kMargin + nameWidth + 6;
    const int barWidth = std::max(20, width() - barLeft - kCountWidth - kMargin);
    const auto scaleOf = [&](bool cluster) {
        double most = 1;
        for (const auto &bar : cluster ? m_clusters : m_labels)
            most = std::max({most, static_cast<double>(bar.selected), expectedCount(bar, m_selected, m_mapSize)});
        return barWidth / most;
    };
    const double labelScale = scaleOf(false), clusterScale = scaleOf(true);
    const int h = rowHeight();
    const auto text = palette().color(QPalette::WindowText);
    int y = kMargin;
    for (const auto &row : all) {
        if (!row.bar) {
            auto bold = font();
            bold.setBold(true);
            painter.setFont(bold);
            painter.setPen(text);
            painter.drawText(QRect(kMargin, y, width() - 2 * kMargin, h), Qt::AlignVCenter | Qt::AlignLeft,
                             row.heading);
            painter.setFont(font());
            y += h;
            continue;
        }
        const auto &bar = *row.bar;
        const double scale = row.cluster ? clusterScale : labelScale;
        painter.setPen(text);
        painter.drawText(QRect(kMargin, y, nameWidth, h), Qt::AlignVCenter | Qt::AlignRight,
                         fontMetrics().elidedText(bar.name, Qt::ElideRight, nameWidth));
        const int length = static_cast<int>(bar.selected * scale + 0.5);
        painter.fillRect(QRect(barLeft, y + 3, std::max(bar.selected > 0 ? 1 : 0, length), h - 6),
                         palette::categorical(bar.key));
        const int tick = barLeft + static_cast<int>(expectedCount(bar, m_selected, m_mapSize) * scale + 0.5);
        painter.setPen(QPen(text, 1));
        painter.drawLine(tick, y + 1, tick, y + h - 2);
        painter.drawText(QRect(barLeft + barWidth + 4, y, kCountWidth, h), Qt::AlignVCenter | Qt::AlignLeft,
                         QString::number(bar.selected));
        y += h;
    }
}

int SelectionHistogram::rowAt(QPoint at) const { return at.y() < kMargin ? -1 : (at.y() - kMargin) / rowHeight(); }

QString SelectionHistogram::rowText(int index) const
{
    const auto all = rows();
    if (index < 0 || index >= all.size() || !all[index].bar)
        return {};
    const auto &bar = *all[index].bar;
    const auto percent = [](double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; };
    return tr("%1 %2: %3 of the %4 selected (%5 %); %6 of all %7 images (%8 %)")
        .arg(all[index].cluster ? tr("Cluster") : tr("Label"), bar.name)
        .arg(bar.selected)
        .arg(m_selected)
        .arg(percent(bar.selected, m_selected), 0, 'f', 1)
        .arg(bar.inMap)
        .arg(m_mapSize)
        .arg(percent(bar.inMap, m_mapSize), 0, 'f', 1);
}

bool SelectionHistogram::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const auto text = rowText(rowAt(help->pos()));
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace upstep::ui
