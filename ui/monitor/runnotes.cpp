#include "monitor/runnotes.h"

#include "upstep/io/atomicfile.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

namespace upstep::ui {

namespace {
QString notesFile(const QString &runDir) { return QDir(runDir).filePath(QStringLiteral("notes.json")); }
} // namespace

RunNotes loadRunNotes(const QString &runDir)
{
    QFile file(notesFile(runDir));
    if (!file.open(QIODevice::ReadOnly) || file.size() > (1 << 20))
        return {};
    const auto object = QJsonDocument::fromJson(file.readAll()).object();
    return {object.value(QStringLiteral("name")).toString(), object.value(QStringLiteral("notes")).toString()};
}

void saveRunNotes(const QString &runDir, const RunNotes &notes)
{
    const QJsonObject object{{QStringLiteral("name"), notes.name}, {QStringLiteral("notes"), notes.notes}};
    core::writeFileAtomically(notesFile(runDir).toStdString(), QJsonDocument(object).toJson().toStdString());
}

} // namespace upstep::ui
