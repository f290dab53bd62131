#include "monitor/classresults.h"

#include "widgets/palette.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace upstep::ui {

namespace {

enum Column { kClass, kImages, kBase, kAdapted, kChange, kColumnCount };

/// A cell shown as text and sorted by its number (a missing value sorts first).
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(double value, const QString &text)
        : QTableWidgetItem(text), m_value(std::isfinite(value) ? value : -std::numeric_limits<double>::infinity())
    {
        setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    bool operator<(const QTableWidgetItem &other) const override
    {
        const auto *number = dynamic_cast<const NumberItem *>(&other);
        return number ? m_value < number->m_value : QTableWidgetItem::operator<(other);
    }

private:
    double m_value;
};

QString percentText(double fraction)
{
    return std::isfinite(fraction) ? QString::number(100 * fraction, 'f', 1) : QStringLiteral("–");
}

QTableWidget *newTable(QWidget *parent, const QString &changeTitle)
{
    auto *table = new QTableWidget(0, kColumnCount, parent);
    table->setHorizontalHeaderLabels(
        {QObject::tr("class"), QObject::tr("images"), QObject::tr("base %"), QObject::tr("adapted %"), changeTitle});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->horizontalHeader()->setSectionResizeMode(kClass, QHeaderView::Stretch);
    for (int c = kImages; c < kColumnCount; ++c)
        table->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    return table;
}

/// Fills table; the change is adapted minus base for a gain and base minus adapted for a drop,
/// and coloured by whether it is good for the user.
void fill(QTableWidget *table, const std::vector<core::ClassScores> &classes, bool changeIsDrop)
{
    table->setSortingEnabled(false);
    table->setRowCount(static_cast<int>(classes.size()));
    for (int row = 0; row < table->rowCount(); ++row) {
        const auto &c = classes[static_cast<std::size_t>(row)];
        // Sorted by the class's place in the folder, not alphabetically ("10-..." after "9-...").
        auto *name = new NumberItem(row, QString::fromStdString(c.name));
        name->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        table->setItem(row, kClass, name);
        table->setItem(row, kImages, new NumberItem(static_cast<double>(c.images), QString::number(c.images)));
        table->setItem(row, kBase, new NumberItem(c.base, percentText(c.base)));
        table->setItem(row, kAdapted, new NumberItem(c.adapted, percentText(c.adapted)));
        const double change = changeIsDrop ? c.base - c.adapted : c.adapted - c.base;
        auto *item = new NumberItem(change,
                                    std::isfinite(change)
                                        ? QStringLiteral("%1%2").arg(change > 0 ? "+" : "").arg(100 * change, 0, 'f', 1)
                                        : QStringLiteral("–"));
        if (std::isfinite(change) && change != 0)
            item->setForeground((change > 0) != changeIsDrop ? palette::kGood : palette::kBad);
        table->setItem(row, kChange, item);
    }
    table->horizontalHeader()->setSortIndicator(kClass, Qt::AscendingOrder);
    table->setSortingEnabled(true);
}

} // namespace

bool hasClassResults(const core::EvalReport &report)
{
    return !report.perClass.empty() || (report.source && !report.source->perClass.empty());
}

ClassResultsDialog::ClassResultsDialog(QWidget *parent)
    : QDialog(parent), m_target(newTable(this, tr("gain, pts"))), m_source(newTable(this, tr("drop, pts"))),
      m_targetTitle(new QLabel(this)), m_sourceTitle(new QLabel(this))
{
    setWindowTitle(tr("Results by class"));
    for (auto *title : {m_targetTitle, m_sourceTitle})
        title->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_targetTitle);
    layout->addWidget(m_target, 1);
    layout->addWidget(m_sourceTitle);
    layout->addWidget(m_source, 1);
    layout->addWidget(buttons);
    resize(560, 640);
}

void ClassResultsDialog::showReport(const QString &runName, const core::EvalReport &report)
{
    setWindowTitle(tr("Results by class: run %1").arg(runName));
    fill(m_target, report.perClass, false);
    m_targetTitle->setText(report.perClass.empty()
                               ? tr("<b>Target</b>: no per-class scores (evaluated before they were recorded)")
                               : tr("<b>Target gain by class</b>: kNN top-1 on %L1 labeled test images, with %L2 "
                                    "labeled images as the kNN memory; a positive gain means adaptation helped that "
                                    "class.")
                                     .arg(report.testImages)
                                     .arg(report.trainImages));
    const auto *source = report.source ? &report.source->perClass : nullptr;
    fill(m_source, source ? *source : std::vector<core::ClassScores>{}, true);
    m_source->setVisible(source && !source->empty());
    if (!report.source)
        m_sourceTitle->setText(tr("<b>Forgetting</b>: no labeled source folder was given."));
    else if (source->empty())
        m_sourceTitle->setText(tr("<b>Forgetting</b>: no per-class scores (evaluated before they were recorded)"));
    else
        m_sourceTitle->setText(tr("<b>Forgetting by source class</b>: %1 top-1 on %L2 source images; a positive "
                                  "drop means the model lost accuracy on that class.")
                                   .arg(report.source->perClassFromHead ? tr("the base model's head") : tr("kNN"))
                                   .arg(report.source->images));
}

} // namespace upstep::ui
