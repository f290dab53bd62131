#include "setup/backbonepanel.h"

#include "tasks/backgroundtask.h"
#include "widgets/pathfield.h"
#include "widgets/statusline.h"

#include <QFileInfo>
#include <QVBoxLayout>

namespace upstep::ui {

namespace {

/// What the user reads when a file cannot be used as a backbone; the core's technical message
/// stays one click away. A file that is no safetensors at all is said to be so in words, not as
/// "header length 8099007406611439651 exceeds the limit".
/// The loader's notes (a guessed preprocessing or head count, names mapped...), one per line.
std::string notesText(const std::vector<std::string> &notes)
{
    std::string out;
    for (const auto &note : notes)
        out += "\nNote: " + note;
    return out;
}

QString plainBackboneError(const TaskError &error)
{
    if (error.kind == core::ErrorKind::Format)
        return BackbonePanel::tr("This is not model weights UpStep can read (Details says why: damaged, another kind "
                                 "of file, or a .pth that would run code). Choose a .safetensors or .pth file of a "
                                 "ViT, ConvNeXt or ResNet (as timm and torchvision save them), or a Hugging Face model "
                                 "folder.");
    if (error.kind == core::ErrorKind::Input)
        return BackbonePanel::tr("UpStep cannot adapt this model: %1")
            .arg(error.details.section(QStringLiteral(": "), 1, -1).section(QLatin1Char('\n'), 0, 0));
    return error.message;
}

} // namespace

BackbonePanel::BackbonePanel(QWidget *parent)
    : QWidget(parent), m_path(new PathField(PathField::Kind::File, QStringLiteral("recent/backbones"),
                                            tr("Model weights (*.safetensors *.pth *.pt);;All files (*)"), this)),
      m_info(new StatusLine(this))
{
    m_path->setPlaceholder(tr("Pretrained weights (.safetensors, .pth, or a Hugging Face model folder)"));
    m_path->setToolTip(
        tr("A ViT (DINOv2, CLIP, SigLIP, DeiT-III...), ConvNeXt or ResNet: a .safetensors or .pth file from timm or "
           "torchvision, or a Hugging Face transformers model folder. The architecture is detected "
           "from the tensors."));
    m_path->allowFolders(tr("Choose a model folder..."));
    m_info->showPlain(tr("No backbone chosen"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_path);
    layout->addWidget(m_info);
    connect(m_path, &PathField::pathChanged, this, &BackbonePanel::check);
}

QString BackbonePanel::file() const { return m_path->path(); }

bool BackbonePanel::isChecking() const { return m_check && m_check->isRunning(); }

QString BackbonePanel::statusText() const { return m_info->message(); }

void BackbonePanel::setFile(const QString &file, const QString &archOverride)
{
    const bool archChanged = archOverride != m_arch;
    m_arch = archOverride;
    if (file == m_path->path() && archChanged)
        check(file);
    m_path->setPath(file);
}

void BackbonePanel::check(const QString &file)
{
    if (m_check) {
        m_check->cancel();
        m_check->deleteLater();
    }
    m_summary.reset();
    const QFileInfo info(file);
    if (file.isEmpty() || !info.exists()) { // a folder is read as a Hugging Face model folder
        if (file.isEmpty())
            m_info->showPlain(tr("No backbone chosen"));
        else
            m_info->showError(tr("File not found."), file);
        emit checked(false);
        return;
    }
    m_info->showPlain(tr("Reading %1...").arg(info.fileName()));
    const auto path = file.toStdString();
    const auto arch = m_arch.toStdString();
    m_check = new BackgroundTask(tr("Reading the backbone"), [path, arch](const core::ProgressSink &, core::StopFlag) {
        return QVariant::fromValue(core::inspectBackbone(path, arch));
    }, this);
    connect(m_check, &BackgroundTask::succeeded, this, [this, file](const QVariant &result) {
        const auto s = result.value<core::BackboneSummary>();
        m_summary = s;
        const auto name = s.spec.name.empty() ? QString::fromStdString(s.description) : QString::fromStdString(s.spec.name);
        // The family and every choice made for it (pooling, registers, layer scale...), so the
        // user sees that the file was understood.
        m_info->showRich(tr("<b>%1</b><br><small>%6</small><br>%2 M parameters, %3-dimensional features, "
                            "%4<br><small>%5</small>")
                             .arg(name.toHtmlEscaped())
                             .arg(s.parameters / 1e6, 0, 'f', 2)
                             .arg(s.featureDim)
                             .arg(s.spec.numClasses > 0 ? tr("%1-class head").arg(s.spec.numClasses) : tr("no head"))
                             .arg(QString::fromStdString(s.preprocessing).toHtmlEscaped())
                             .arg(QString::fromStdString(s.description + "; " + s.layout + " layout").toHtmlEscaped()));
        m_info->setToolTip(QString::fromStdString(s.description + " (" + s.layout + " layout, detected from " +
                                                  s.detectedFrom + ")\n" + core::describeArchChoices(s.spec) +
                                                  "LoRA by default on " + s.loraTargets + notesText(s.notes)));
        m_path->remember(file);
    });
    connect(m_check, &BackgroundTask::failed, this, [this](const TaskError &error) {
        if (error.kind != core::ErrorKind::Cancelled)
            m_info->showError(plainBackboneError(error), error.details);
    });
    connect(m_check, &BackgroundTask::finished, this, [this, task = m_check.data()] {
        if (task == m_check)
            emit checked(m_summary.has_value());
    });
    m_check->start();
}

} // namespace upstep::ui
