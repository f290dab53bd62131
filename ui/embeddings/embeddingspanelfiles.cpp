// The Embeddings panel's files: the selection as a path list, the view as PNG, the points as
// CSV, each written atomically (a failed write keeps any older file). Split from
// embeddingspanel.cpp; same class, same GUI-thread contract.
#include "embeddings/embeddingspanel.h"

#include "upstep/io/atomicfile.h"

#include <QFileDialog>
#include <QSaveFile>
#include <QStackedWidget>

namespace upstep::ui {

bool EmbeddingsPanel::saveSelectionList(const QString &file, QString *error) const
{
    std::string text;
    for (const int i : m_selection)
        text += m_map.path(i) + "\n";
    try {
        core::writeFileAtomically(file.toStdString(), text);
        return true;
    } catch (const std::exception &e) {
        if (error)
            *error = tr("Could not write %1: %2").arg(file, QString::fromUtf8(e.what()));
        return false;
    }
}

bool EmbeddingsPanel::exportPng(const QString &file, QString *error)
{
    QSaveFile out(file);
    const QImage image = m_viewArea->grab().toImage();
    if (out.open(QIODevice::WriteOnly) && image.save(&out, "PNG") && out.commit())
        return true;
    if (error)
        *error = tr("Could not write %1: %2").arg(file, out.errorString());
    return false;
}

bool EmbeddingsPanel::exportCsv(const QString &file, QString *error)
{
    try {
        m_map.writeCsv(file.toStdString());
        return true;
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
}

void EmbeddingsPanel::exportWithDialog(bool png)
{
    const QString file = QFileDialog::getSaveFileName(this, png ? tr("Export the view") : tr("Export the points"),
                                                      png ? QStringLiteral("embedding.png")
                                                          : QStringLiteral("points.csv"),
                                                      png ? tr("PNG image (*.png)") : tr("CSV (*.csv)"));
    if (file.isEmpty())
        return;
    QString error;
    if (png ? exportPng(file, &error) : exportCsv(file, &error))
        setStatus(tr("Wrote %1").arg(file));
    else
        setStatus(error, true);
}

} // namespace upstep::ui
