#include "widgets/statusline.h"

#include "widgets/palette.h"

#include <QMessageBox>
#include <QTextDocument>

namespace upstep::ui {

namespace {
const QString kDetailsLink = QStringLiteral("#details");
}

StatusLine::StatusLine(QWidget *parent) : QLabel(parent)
{
    setWordWrap(true);
    setTextFormat(Qt::RichText);
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    // Wrapped text must not set the panel's minimum width: the label takes what it is given.
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    setMinimumWidth(1);
    connect(this, &QLabel::linkActivated, this, [this](const QString &link) {
        if (link == kDetailsLink)
            openDetails();
    });
}

void StatusLine::showPlain(const QString &text) { showRich(text.toHtmlEscaped()); }

void StatusLine::showRich(const QString &html)
{
    m_error = false;
    m_details.clear();
    QTextDocument document;
    document.setHtml(html);
    m_message = document.toPlainText();
    setToolTip({});
    setText(html);
}

void StatusLine::showError(const QString &message, const QString &details)
{
    m_error = true;
    m_message = message;
    m_details = details;
    auto html = QStringLiteral("<span style='color:%1'>%2</span>").arg(palette::kBad.name(), message.toHtmlEscaped());
    if (!details.isEmpty() && details != message)
        html += QStringLiteral(" <a href='%1'>%2</a>").arg(kDetailsLink, tr("Details"));
    setToolTip(details);
    setText(html);
}

void StatusLine::openDetails()
{
    auto *box = new QMessageBox(QMessageBox::Information, tr("Details"), m_message, QMessageBox::Ok, this);
    box->setDetailedText(m_details);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace upstep::ui
