#pragma once
// A path entry: the path (typed, pasted, dropped or chosen in a dialog), a "Choose..." button,
// and a menu of recently used paths kept in QSettings under a key.
//
// Threading: GUI thread only.

#include <QWidget>

class QLineEdit;
class QToolButton;

namespace upstep::ui {

class PathField : public QWidget {
    Q_OBJECT
public:
    enum class Kind { File, Folder };

    /// recentKey: QSettings key of the recent list; empty for none. filter: file dialog filter.
    PathField(Kind kind, QString recentKey, QString filter = {}, QWidget *parent = nullptr);

    QString path() const;
    void setPath(const QString &path); ///< emits pathChanged when it differs
    void setPlaceholder(const QString &text);
    /// Moves path to the front of the recent list (call once it proved usable).
    void remember(const QString &path);
    QStringList recent() const;
    /// A File field that also takes a folder (a Hugging Face model folder): its menu gets an entry
    /// with this text that opens a folder dialog, and dropped folders are taken.
    void allowFolders(const QString &menuText);

signals:
    void pathChanged(const QString &path);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void choose();
    void chooseFolder();
    void rebuildRecentMenu();

    Kind m_kind;
    QString m_recentKey;
    QString m_filter;
    QLineEdit *m_edit;
    QToolButton *m_button;
    QString m_current;
    QString m_folderChoice; ///< menu text of the folder choice of a File field; empty: none
};

} // namespace upstep::ui
