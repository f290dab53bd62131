#include "widgets/collapsiblesection.h"

#include <QToolButton>
#include <QVBoxLayout>

namespace upstep::ui {

CollapsibleSection::CollapsibleSection(const QString &title, QWidget *content, bool expanded, QWidget *parent)
    : QWidget(parent), m_toggle(new QToolButton(this)), m_content(content)
{
    m_toggle->setText(title);
    m_toggle->setCheckable(true);
    m_toggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toggle->setAutoRaise(true);
    m_toggle->setStyleSheet(QStringLiteral("QToolButton { font-weight: bold; border: none; }"));
    content->setParent(this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_toggle);
    layout->addWidget(content);
    connect(m_toggle, &QToolButton::toggled, this, &CollapsibleSection::setExpanded);
    setExpanded(expanded);
}

void CollapsibleSection::setExpanded(bool expanded)
{
    m_toggle->setChecked(expanded);
    m_toggle->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
    m_content->setVisible(expanded);
}

bool CollapsibleSection::isExpanded() const { return m_toggle->isChecked(); }

} // namespace upstep::ui
