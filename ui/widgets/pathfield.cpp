#include "widgets/pathfield.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QSettings>
#include <QToolButton>

namespace upstep::ui {

namespace {
constexpr int kRecentCount = 8;
}

PathField::PathField(Kind kind, QString recentKey, QString filter, QWidget *parent)
    : QWidget(parent), m_kind(kind), m_recentKey(std::move(recentKey)), m_filter(std::move(filter)),
      m_edit(new QLineEdit(this)), m_button(new QToolButton(this))
{
    m_edit->setClearButtonEnabled(true);
    m_button->setText(tr("Choose..."));
    m_button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_button);
    setAcceptDrops(true);
    connect(m_button, &QToolButton::clicked, this, &PathField::choose);
    connect(m_edit, &QLineEdit::editingFinished, this, [this] { setPath(m_edit->text().trimmed()); });
    rebuildRecentMenu();
}

QString PathField::path() const { return m_current; }

void PathField::setPath(const QString &path)
{
    m_edit->setText(path);
    m_edit->setToolTip(path);
    if (path == m_current)
        return;
    m_current = path;
    emit pathChanged(path);
}

void PathField::setPlaceholder(const QString &text) { m_edit->setPlaceholderText(text); }

QStringList PathField::recent() const
{
    return m_recentKey.isEmpty() ? QStringList() : QSettings().value(m_recentKey).toStringList();
}

void PathField::remember(const QString &path)
{
    if (m_recentKey.isEmpty() || path.isEmpty())
        return;
    auto list = recent();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > kRecentCount)
        list.removeLast();
    QSettings().setValue(m_recentKey, list);
    rebuildRecentMenu();
}

void PathField::rebuildRecentMenu()
{
    const auto list = recent();
    if (list.isEmpty() && m_folderChoice.isEmpty()) {
        m_button->setPopupMode(QToolButton::DelayedPopup);
        m_button->setMenu(nullptr);
        return;
    }
    auto *menu = new QMenu(m_button);
    for (const auto &entry : list)
        menu->addAction(entry, this, [this, entry] { setPath(entry); });
    if (!list.isEmpty())
        menu->addSeparator();
    menu->addAction(tr("Browse..."), this, &PathField::choose);
    if (!m_folderChoice.isEmpty())
        menu->addAction(m_folderChoice, this, &PathField::chooseFolder);
    delete m_button->menu();
    m_button->setMenu(menu);
    m_button->setPopupMode(QToolButton::MenuButtonPopup);
}

void PathField::choose()
{
    const auto start = m_current.isEmpty() ? QString() : QFileInfo(m_current).absolutePath();
    const auto chosen = m_kind == Kind::File ? QFileDialog::getOpenFileName(this, tr("Choose a file"), start, m_filter)
                                             : QFileDialog::getExistingDirectory(this, tr("Choose a folder"),
                                                                                 m_current.isEmpty() ? start : m_current);
    if (!chosen.isEmpty())
        setPath(chosen);
}

void PathField::allowFolders(const QString &menuText)
{
    m_folderChoice = menuText;
    rebuildRecentMenu();
}

void PathField::chooseFolder()
{
    const auto chosen = QFileDialog::getExistingDirectory(this, m_folderChoice,
                                                          m_current.isEmpty() ? QString()
                                                                              : QFileInfo(m_current).absolutePath());
    if (!chosen.isEmpty())
        setPath(chosen);
}

void PathField::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void PathField::dropEvent(QDropEvent *event)
{
    setPath(event->mimeData()->urls().first().toLocalFile());
    event->acceptProposedAction();
}

} // namespace upstep::ui
