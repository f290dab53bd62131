#include "setup/labeledfolderfield.h"

#include "tasks/backgroundtask.h"
#include "upstep/io/imagefolder.h"
#include "widgets/pathfield.h"
#include "widgets/statusline.h"

#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

#include <algorithm>

namespace upstep::ui {

QString classSummary(const core::ImageFolder &folder)
{
    std::vector<qlonglong> perClass(folder.classNames.size(), 0);
    for (std::size_t i = 0; i < folder.images.size(); ++i)
        if (const auto label = folder.images.label(i); label >= 0 && static_cast<std::size_t>(label) < perClass.size())
            ++perClass[static_cast<std::size_t>(label)];
    return classSummary(perClass, static_cast<qlonglong>(folder.images.size()));
}

QString classSummary(const std::vector<qlonglong> &perClass, qlonglong images)
{
    const QLocale locale;
    const auto text = images == 1 ? QObject::tr("1 image") : QObject::tr("%1 images").arg(locale.toString(images));
    if (perClass.empty())
        return text;
    const auto [smallest, largest] = std::minmax_element(perClass.begin(), perClass.end());
    const auto classes = QObject::tr("%n classes", nullptr, static_cast<int>(perClass.size()));
    const auto balance =
        *largest - *smallest <= *largest / 10
            ? QObject::tr("about %1 per class").arg(locale.toString(images / static_cast<qlonglong>(perClass.size())))
            : QObject::tr("%1 to %2 per class").arg(locale.toString(*smallest), locale.toString(*largest));
    return QStringLiteral("%1 · %2 · %3").arg(classes, text, balance);
}

LabeledFolderField::LabeledFolderField(QString what, const QString &recentKey, QWidget *parent)
    : QWidget(parent), m_what(std::move(what)), m_path(new PathField(PathField::Kind::Folder, recentKey, {}, this)),
      m_status(new StatusLine(this))
{
    m_status->setVisible(false);
    // A caption, since the placeholder that names the field disappears once a folder is chosen.
    auto caption = m_what;
    if (!caption.isEmpty())
        caption[0] = caption[0].toUpper();
    auto *title = new QLabel(caption, this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(title);
    layout->addWidget(m_path);
    layout->addWidget(m_status);
    connect(m_path, &PathField::pathChanged, this, &LabeledFolderField::check);
}

QString LabeledFolderField::path() const { return m_path->path(); }

void LabeledFolderField::setPath(const QString &path) { m_path->setPath(path); }

void LabeledFolderField::setPlaceholder(const QString &text) { m_path->setPlaceholder(text); }

bool LabeledFolderField::isChecking() const { return m_check && m_check->isRunning(); }

QString LabeledFolderField::statusText() const { return m_status->message(); }

void LabeledFolderField::check(const QString &folder)
{
    if (m_check) {
        m_check->cancel();
        m_check->deleteLater();
    }
    m_problem.clear();
    m_status->setVisible(!folder.isEmpty());
    if (folder.isEmpty()) {
        emit changed();
        return;
    }
    if (!QFileInfo(folder).isDir()) {
        m_problem = QFileInfo::exists(folder) ? tr("The %1 is a file, not a folder.").arg(m_what)
                                              : tr("The %1 does not exist.").arg(m_what);
        m_status->showError(m_problem, folder);
        emit changed();
        return;
    }
    m_problem = tr("The %1 is being checked.").arg(m_what);
    m_status->showPlain(tr("Checking..."));
    const auto root = folder.toStdString();
    m_check = new BackgroundTask(
        tr("Checking the %1").arg(m_what),
        [root](const core::ProgressSink &progress, core::StopFlag stop) {
            if (!core::hasAnySubfolder(root))
                return QVariant(); // told apart below: no classes at all
            core::ScanOptions options;
            options.withLabels = true;
            options.checkSignatures = true;
            return QVariant::fromValue(core::scanImageFolder(root, options, progress, stop));
        },
        this);
    const auto *task = m_check.data();
    connect(m_check, &BackgroundTask::succeeded, this, [this, folder, task](const QVariant &result) {
        if (task != m_check) // a newer folder was chosen meanwhile
            return;
        if (!result.isValid()) {
            m_problem = tr("The %1 has no class sub-folders. A labeled folder holds one sub-folder per class, "
                           "named after it (for example test/cat/*.jpg, test/dog/*.jpg).")
                            .arg(m_what);
            m_status->showError(m_problem, folder);
            return;
        }
        const auto scanned = result.value<core::ImageFolder>();
        std::vector<bool> used(scanned.classNames.size(), false);
        for (std::size_t i = 0; i < scanned.images.size(); ++i)
            used[static_cast<std::size_t>(scanned.images.label(i))] = true;
        if (std::count(used.begin(), used.end(), true) < 2) {
            m_problem =
                tr("The %1 has images in only one class folder; scoring needs at least two classes.").arg(m_what);
            m_status->showError(m_problem, folder);
            return;
        }
        m_problem.clear();
        m_status->showPlain(classSummary(scanned));
        m_path->remember(folder);
    });
    connect(m_check, &BackgroundTask::failed, this, [this, task](const TaskError &error) {
        if (error.kind == core::ErrorKind::Cancelled || task != m_check)
            return;
        m_problem =
            error.kind == core::ErrorKind::Input
                ? tr("The %1 cannot be used: no images inside its class sub-folders.").arg(m_what)
                : tr("The %1 cannot be read: %2").arg(m_what, error.details.section(QStringLiteral(": "), 1, -1));
        m_status->showError(m_problem, error.details);
    });
    connect(m_check, &BackgroundTask::finished, this, [this, task] {
        if (task == m_check)
            emit changed();
    });
    emit changed();
    m_check->start();
}

} // namespace upstep::ui
