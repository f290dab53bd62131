#pragma once
// A one-or-more-line status under an input: plain text that wraps (a long error must never widen
// the set-up panel), an error tone, and the technical detail one click away ("Details" opens it
// in a dialog; it is also the tooltip). What a user reads first is the plain-language message.
//
// Threading: GUI thread only.

#include <QLabel>

namespace upstep::ui {

class StatusLine : public QLabel {
    Q_OBJECT
public:
    explicit StatusLine(QWidget *parent = nullptr);

    void showPlain(const QString &text); ///< escaped plain text
    void showRich(const QString &html);  ///< trusted rich text (callers escape what they insert)
    void showError(const QString &message, const QString &details = {});
    bool isError() const { return m_error; }
    QString message() const { return m_message; } ///< the text shown, without markup or the link
    QString details() const { return m_details; }

private:
    void openDetails();

    bool m_error = false;
    QString m_message;
    QString m_details;
};

} // namespace upstep::ui
