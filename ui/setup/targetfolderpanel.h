#pragma once
// The target images of a session: a folder (chosen, typed or dropped), scanned in the
// background with a live count (with the run's own scan options, so a run started while the folder
// is unchanged uses this scan instead of listing it again), shown as a lazily loaded thumbnail grid (grid(), which the
// window places in its Images tab), with the files that cannot be used and why. The scan reads
// names and first bytes only; "Check every image" then decodes each file as training will (the
// same check as `upstep scan`) and moves the ones that fail to the unreadable list. A new folder
// cancels the scan or check of the previous one.
//
// Threading: GUI thread only; the scan runs in a BackgroundTask.

#include "tasks/coretypes.h"

#include <QPointer>
#include <memory>
#include <QWidget>

class QPushButton;

namespace upstep::ui {

class BackgroundTask;
class PathField;
class StatusLine;
class ThumbnailGrid;

class TargetFolderPanel : public QWidget {
    Q_OBJECT
public:
    explicit TargetFolderPanel(QWidget *parent = nullptr);

    QString folder() const;
    void setFolder(const QString &folder);
    bool isScanning() const;
    /// Decodes every image of the last scan in the background; checkFinished() when done.
    void checkImages();
    bool isChecking() const;
    bool isUsable() const { return m_usable; } ///< the last scan found images
    qint64 imageCount() const { return m_imageCount; }
    const std::vector<core::SkippedFile> &unreadable() const { return m_unreadable; }
    /// The last successful scan as the run would make it (before any check): null while none.
    std::shared_ptr<const core::ImageFolder> lastScan() const { return m_lastScan; }
    QString statusText() const;
    ThumbnailGrid *grid() const { return m_grid; }

signals:
    void scanStarted();
    void scanFinished(bool usable);
    void checkFinished(bool usable);

private:
    void startScan(const QString &folder);
    void showUnreadable();
    void showScanned(); ///< the count line, unreadable button and grid for m_scanned

    PathField *m_path;
    StatusLine *m_status;
    QPushButton *m_unreadableButton, *m_checkButton;
    ThumbnailGrid *m_grid;
    QPointer<BackgroundTask> m_scan, m_check;
    /// The last scan, less the files a check found undecodable; the grid's rows read from it.
    std::shared_ptr<const core::ImageFolder> m_scanned;
    std::shared_ptr<const core::ImageFolder> m_lastScan; ///< the scan itself (the same object until a check)
    std::vector<qlonglong> m_perClass; ///< images per class folder of m_scanned; empty without class folders
    bool m_usable = false;
    qint64 m_imageCount = 0;
    std::vector<core::SkippedFile> m_unreadable;
};

} // namespace upstep::ui
