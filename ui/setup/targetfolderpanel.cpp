#include "setup/targetfolderpanel.h"

#include "tasks/backgroundtask.h"
#include "setup/labeledfolderfield.h"
#include "widgets/pathfield.h"
#include "widgets/statusline.h"
#include "thumbnails/thumbnailgrid.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace upstep::ui {

TargetFolderPanel::TargetFolderPanel(QWidget *parent)
    : QWidget(parent), m_path(new PathField(PathField::Kind::Folder, QStringLiteral("recent/targets"), {}, this)),
      m_status(new StatusLine(this)), m_unreadableButton(new QPushButton(this)), m_grid(new ThumbnailGrid(this))
{
    m_path->setPlaceholder(tr("Folder of unlabeled images (or drop one here)"));
    m_path->setToolTip(tr("Images of your domain; sub-folders are scanned too. No labels needed."));
    m_status->showPlain(tr("No folder chosen"));
    m_unreadableButton->setFlat(true);
    m_unreadableButton->setVisible(false);
    m_unreadableButton->setToolTip(tr("Files that will not be used, with the reason for each"));
    m_grid->setMinimumHeight(130);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_path);
    auto *row = new QHBoxLayout;
    row->addWidget(m_status, 1);
    row->addWidget(m_unreadableButton);
    layout->addLayout(row);
    layout->addWidget(m_grid, 1);
    connect(m_path, &PathField::pathChanged, this, &TargetFolderPanel::startScan);
    connect(m_unreadableButton, &QPushButton::clicked, this, &TargetFolderPanel::showUnreadable);
}

QString TargetFolderPanel::folder() const { return m_path->path(); }

void TargetFolderPanel::setFolder(const QString &folder) { m_path->setPath(folder); }

bool TargetFolderPanel::isScanning() const { return m_scan && m_scan->isRunning(); }

QString TargetFolderPanel::statusText() const { return m_status->message(); }

void TargetFolderPanel::startScan(const QString &folder)
{
    if (m_scan) {
        m_scan->cancel();
        m_scan->deleteLater();
    }
    m_usable = false;
    m_imageCount = 0;
    m_unreadable.clear();
    m_grid->setPaths({});
    m_unreadableButton->setVisible(false);
    if (folder.isEmpty()) {
        m_status->showPlain(tr("No folder chosen"));
        emit scanFinished(false);
        return;
    }
    if (!QFileInfo(folder).isDir()) {
        m_status->showError(QFileInfo::exists(folder) ? tr("This is a file: choose the folder that holds the images.")
                                                      : tr("Folder not found."),
                            folder);
        emit scanFinished(false);
        return;
    }
    m_status->showPlain(tr("Scanning..."));
    const auto root = folder.toStdString();
    m_scan = new BackgroundTask(tr("Scanning %1").arg(folder), [root](const core::ProgressSink &progress, core::StopFlag stop) {
        core::ScanOptions options;
        options.checkSignatures = true;
        return QVariant::fromValue(core::scanImageFolder(root, options, progress, stop));
    }, this);
    const QLocale locale;
    connect(m_scan, &BackgroundTask::progressed, this, [this, locale](const core::Progress &p) {
        m_status->showPlain(tr("Scanning... %1 files").arg(locale.toString(static_cast<qlonglong>(p.done))));
    });
    connect(m_scan, &BackgroundTask::succeeded, this, [this, folder](const QVariant &result) {
        const auto scanned = result.value<core::ImageFolder>();
        QStringList paths;
        paths.reserve(static_cast<qsizetype>(scanned.images.size()));
        for (const auto &image : scanned.images)
            paths.push_back(QString::fromStdString(image.path.string()));
        m_imageCount = paths.size();
        m_unreadable = scanned.skipped;
        m_usable = m_imageCount > 0;
        m_grid->setPaths(std::move(paths));
        m_status->showPlain(classSummary(scanned));
        if (!m_unreadable.empty()) {
            m_unreadableButton->setText(tr("%n unreadable (show)", nullptr, static_cast<int>(m_unreadable.size())));
            m_unreadableButton->setVisible(true);
        }
        m_path->remember(folder);
    });
    connect(m_scan, &BackgroundTask::failed, this, [this](const TaskError &error) {
        if (error.kind == core::ErrorKind::Cancelled)
            return;
        m_status->showError(
            error.kind == core::ErrorKind::Input
                ? tr("No images found in this folder or its sub-folders (looked for JPEG, PNG, BMP, WebP, "
                     "TIFF and PGM/PPM files).")
                : tr("The folder cannot be read: %1").arg(error.details.section(QStringLiteral(": "), 1, -1)),
            error.details);
    });
    connect(m_scan, &BackgroundTask::finished, this, [this, task = m_scan.data()] {
        if (task == m_scan)
            emit scanFinished(m_usable);
    });
    emit scanStarted();
    m_scan->start();
}

void TargetFolderPanel::showUnreadable()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Files that will not be used"));
    auto *list = new QTreeWidget(&dialog);
    list->setHeaderLabels({tr("File"), tr("Reason")});
    list->setRootIsDecorated(false);
    list->setUniformRowHeights(true);
    for (const auto &skipped : m_unreadable)
        list->addTopLevelItem(new QTreeWidgetItem(
            {QString::fromStdString(skipped.path.string()), QString::fromStdString(skipped.reason)}));
    list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(new QLabel(tr("Other file types, empty files and files whose content is not an image are "
                                    "skipped. Corrupt images found while training are listed in the log."),
                                 &dialog));
    layout->addWidget(list);
    layout->addWidget(buttons);
    dialog.resize(720, 420);
    dialog.exec();
}

} // namespace upstep::ui
