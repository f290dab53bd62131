#pragma once
// Combo boxes over core choices (upstep/common/choices.h): the items come from the choice's name
// table, so the form offers exactly what the config reader accepts. Each item's data is the
// choice's name; its text is a readable label where one is given, else the name.
//
// Threading: GUI thread only.

#include "upstep/common/choices.h"

#include <QComboBox>
#include <QString>

#include <map>

namespace upstep::ui {

/// Fills box with every value of Enum, in table order.
template <typename Enum>
void addChoiceItems(QComboBox *box, const std::map<Enum, QString> &labels = {})
{
    for (const auto &choice : core::ChoiceTable<Enum>::table) {
        const auto label = labels.find(choice.value);
        const QString name = QString::fromLatin1(choice.name);
        box->addItem(label != labels.end() ? label->second : name, name);
    }
}

template <typename Enum>
void selectChoice(QComboBox *box, Enum value)
{
    const int index = box->findData(QString::fromStdString(core::choiceName(value)));
    if (index >= 0)
        box->setCurrentIndex(index);
}

template <typename Enum>
Enum selectedChoice(const QComboBox *box)
{
    return core::choiceFromName<Enum>(box->currentData().toString().toStdString());
}

/// A status as the user reads it ("finished", "stopped", ...).
inline QString choiceText(core::RunStatus status) { return QString::fromStdString(core::choiceName(status)); }

} // namespace upstep::ui
