#pragma once
// A titled section whose content folds away, for the advanced settings
// (docs/WORKBENCH.md "Good defaults, advanced settings folded away").
//
// Threading: GUI thread only.

#include <QWidget>

class QToolButton;

namespace upstep::ui {

class CollapsibleSection : public QWidget {
    Q_OBJECT
public:
    CollapsibleSection(const QString &title, QWidget *content, bool expanded, QWidget *parent = nullptr);
    void setExpanded(bool expanded);
    bool isExpanded() const;

private:
    QToolButton *m_toggle;
    QWidget *m_content;
};

} // namespace upstep::ui
