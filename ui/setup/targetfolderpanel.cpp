#include "setup/targetfolderpanel.h"

#include "tasks/backgroundtask.h"
#include "setup/labeledfolderfield.h"
#include "widgets/pathfield.h"
#include "widgets/statusline.h"
#include "thumbnails/thumbnailgrid.h"
#include "upstep/data/decodecheck.h"
#include "upstep/train/trainer.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <filesystem>
#include <map>
#include <set>
#include <string_view>

namespace {

/// What a scan or a check hands back: the folder (after a check, less the images that failed),
/// its images per class folder for the summary line, and a check's failures.
struct ScannedTarget {
    std::shared_ptr<const upstep::core::ImageFolder> folder;
    std::vector<qlonglong> perClass;
    std::vector<upstep::core::SkippedFile> failed;
};

/// Images per immediate sub-folder of the root when the folder follows the class-folder layout,
/// else empty. The target is scanned without labels (adaptation needs none), so the summary line
/// counts them from the paths, off the GUI thread (one path string built per image).
std::vector<qlonglong> imagesPerClassFolder(const upstep::core::ImageFolder &folder)
{
    if (!upstep::core::hasClassSubfolders(folder.root))
        return {};
    auto prefix = folder.root.string();
    if (prefix.empty() || prefix.back() != '/')
        prefix += '/';
    // The scan is in path order, so a class's images come together: one map lookup per class.
    std::map<std::string, qlonglong> counts;
    qlonglong *current = nullptr;
    std::string currentName;
    for (std::size_t i = 0; i < folder.images.size(); ++i) {
        const auto path = folder.images.pathString(i);
        const auto slash = path.find('/', prefix.size());
        if (!path.starts_with(prefix) || slash == std::string::npos)
            continue;
        const std::string_view name(path.data() + prefix.size(), slash - prefix.size());
        if (!current || name != currentName) {
            currentName = name;
            current = &counts[currentName];
        }
        ++*current;
    }
    std::vector<qlonglong> perClass;
    for (const auto &[name, count] : counts)
        perClass.push_back(count);
    return perClass;
}

} // namespace

// Only this panel passes this through a BackgroundTask's QVariant. The scan travels as one shared,
// immutable object: at a million images a copy costs the GUI thread about a second.
Q_DECLARE_METATYPE(ScannedTarget)

namespace upstep::ui {

TargetFolderPanel::TargetFolderPanel(QWidget *parent)
    : QWidget(parent), m_path(new PathField(PathField::Kind::Folder, QStringLiteral("recent/targets"), {}, this)),
      m_status(new StatusLine(this)), m_unreadableButton(new QPushButton(this)),
      m_checkButton(new QPushButton(tr("Check every image"), this)), m_grid(new ThumbnailGrid(this))
{
    m_path->setPlaceholder(tr("Folder of unlabeled images (or drop one here)"));
    m_path->setToolTip(tr("Images of your domain; sub-folders are scanned too. No labels needed."));
    m_status->showPlain(tr("No folder chosen"));
    m_unreadableButton->setFlat(true);
    m_unreadableButton->setVisible(false);
    m_unreadableButton->setToolTip(tr("Files that will not be used, with the reason for each"));
    m_checkButton->setFlat(true);
    m_checkButton->setVisible(false);
    m_checkButton->setToolTip(tr("Decode every image now, as training will, and list the ones that fail (a "
                                 "truncated or damaged file); the same check as `upstep scan`"));
    m_grid->setMinimumHeight(130);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_path);
    auto *row = new QHBoxLayout;
    row->addWidget(m_status, 1);
    row->addWidget(m_unreadableButton);
    row->addWidget(m_checkButton);
    layout->addLayout(row);
    layout->addWidget(m_grid, 1);
    connect(m_path, &PathField::pathChanged, this, &TargetFolderPanel::startScan);
    connect(m_unreadableButton, &QPushButton::clicked, this, &TargetFolderPanel::showUnreadable);
    connect(m_checkButton, &QPushButton::clicked, this, &TargetFolderPanel::checkImages);
}

QString TargetFolderPanel::folder() const { return m_path->path(); }

void TargetFolderPanel::setFolder(const QString &folder) { m_path->setPath(folder); }

bool TargetFolderPanel::isScanning() const { return m_scan && m_scan->isRunning(); }

bool TargetFolderPanel::isChecking() const { return m_check && m_check->isRunning(); }

QString TargetFolderPanel::statusText() const { return m_status->message(); }

void TargetFolderPanel::startScan(const QString &folder)
{
    for (auto *task : {m_scan.data(), m_check.data()})
        if (task) {
            task->cancel();
            task->deleteLater();
        }
    m_usable = false;
    m_imageCount = 0;
    m_unreadable.clear();
    m_scanned.reset();
    m_perClass.clear();
    m_lastScan.reset();
    m_grid->setPaths({});
    m_grid->setPlaceholder({});
    m_unreadableButton->setVisible(false);
    m_check = nullptr; // cancelled above; its late signals are ignored (they check the task)
    m_checkButton->setEnabled(true);
    m_checkButton->setVisible(false);
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
    m_grid->setPlaceholder(tr("Scanning the folder... the images appear here when it is done"));
    const auto root = folder.toStdString();
    m_scan = new BackgroundTask(
        tr("Scanning %1").arg(folder),
        [root](const core::ProgressSink &progress, core::StopFlag stop) {
            auto folder = std::make_shared<const core::ImageFolder>(
                core::scanImageFolder(root, core::targetScanOptions(), progress, stop));
            auto perClass = imagesPerClassFolder(*folder);
            return QVariant::fromValue(ScannedTarget{std::move(folder), std::move(perClass), {}});
        },
        this);
    const QLocale locale;
    connect(m_scan, &BackgroundTask::progressed, this, [this, locale](const core::Progress &p) {
        if (p.stage == "checking") // the listing is done: the first bytes of each image file
            m_status->showPlain(tr("Scanning... checking %1 of %2 files")
                                    .arg(locale.toString(static_cast<qlonglong>(p.done)),
                                         locale.toString(static_cast<qlonglong>(p.total))));
        else
            m_status->showPlain(tr("Scanning... %1 files").arg(locale.toString(static_cast<qlonglong>(p.done))));
    });
    connect(m_scan, &BackgroundTask::succeeded, this, [this, folder](const QVariant &result) {
        auto scanned = result.value<ScannedTarget>();
        m_scanned = std::move(scanned.folder);
        m_perClass = std::move(scanned.perClass);
        m_lastScan = m_scanned;
        m_unreadable = m_scanned->skipped;
        showScanned();
        m_checkButton->setText(tr("Check every image"));
        m_checkButton->setVisible(m_usable);
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
        if (task != m_scan)
            return;
        m_grid->setPlaceholder(m_usable ? QString() : tr("No images to show"));
        emit scanFinished(m_usable);
    });
    emit scanStarted();
    m_scan->start();
}

void TargetFolderPanel::showScanned()
{
    m_imageCount = static_cast<qint64>(m_scanned->images.size());
    m_usable = m_imageCount > 0;
    m_grid->setSource(m_imageCount, [folder = m_scanned](qsizetype row) {
        return QString::fromStdString(folder->images.pathString(static_cast<std::size_t>(row)));
    });
    m_status->showPlain(classSummary(m_perClass, m_imageCount));
    m_unreadableButton->setText(tr("%n unreadable (show)", nullptr, static_cast<int>(m_unreadable.size())));
    m_unreadableButton->setVisible(!m_unreadable.empty());
}

void TargetFolderPanel::checkImages()
{
    if (isScanning() || isChecking() || !m_scanned || m_scanned->images.empty())
        return;
    m_checkButton->setEnabled(false);
    m_check = new BackgroundTask(
        tr("Checking the images"),
        [scanned = m_scanned](const core::ProgressSink &progress, core::StopFlag stop) {
            auto check = core::decodeEveryImage(scanned->images, {}, progress, stop);
            if (check.failed.empty())
                return QVariant::fromValue(ScannedTarget{scanned, imagesPerClassFolder(*scanned), {}});
            std::set<std::filesystem::path> failed;
            for (const auto &f : check.failed)
                failed.insert(f.path);
            auto kept = std::make_shared<core::ImageFolder>(*scanned);
            kept->images.removeWhere([&](std::size_t i) { return failed.count(kept->images.path(i)) > 0; });
            auto perClass = imagesPerClassFolder(*kept);
            return QVariant::fromValue(ScannedTarget{std::move(kept), std::move(perClass), std::move(check.failed)});
        },
        this);
    connect(m_check, &BackgroundTask::progressed, this, [this, task = m_check.data()](const core::Progress &p) {
        if (task != m_check)
            return;
        m_checkButton->setText(tr("Checking... %1 %").arg(p.total > 0 ? 100 * p.done / p.total : 0));
    });
    connect(m_check, &BackgroundTask::succeeded, this, [this, task = m_check.data()](const QVariant &result) {
        if (task != m_check)
            return; // a check of the previous folder
        auto checked = result.value<ScannedTarget>();
        m_scanned = std::move(checked.folder);
        m_perClass = std::move(checked.perClass);
        m_unreadable.insert(m_unreadable.end(), checked.failed.begin(), checked.failed.end());
        showScanned();
        m_checkButton->setText(checked.failed.empty() ? tr("All decode") : tr("Checked"));
    });
    connect(m_check, &BackgroundTask::failed, this, [this, task = m_check.data()](const TaskError &error) {
        if (task == m_check && error.kind != core::ErrorKind::Cancelled)
            m_checkButton->setText(tr("Check failed: %1").arg(error.message));
    });
    connect(m_check, &BackgroundTask::finished, this, [this, task = m_check.data()] {
        if (task != m_check)
            return;
        m_checkButton->setEnabled(true);
        emit checkFinished(m_usable);
    });
    m_check->start();
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
                                    "skipped, and so are images that fail to decode: \"Check every image\" finds "
                                    "those now, or training lists them in the log."),
                                 &dialog));
    layout->addWidget(list);
    layout->addWidget(buttons);
    dialog.resize(720, 420);
    dialog.exec();
}

} // namespace upstep::ui
