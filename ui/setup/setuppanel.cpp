#include "setup/setuppanel.h"

#include "setup/backbonepanel.h"
#include "setup/hyperparameterform.h"
#include "widgets/pathfield.h"
#include "setup/targetfolderpanel.h"

#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

namespace upstep::ui {

namespace {

QLabel *heading(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setStyleSheet(QStringLiteral("font-weight: bold; margin-top: 8px;"));
    return label;
}

} // namespace

SetupPanel::SetupPanel(QWidget *parent)
    : QWidget(parent), m_backbone(new BackbonePanel), m_target(new TargetFolderPanel),
      m_targetTest(new PathField(PathField::Kind::Folder, QStringLiteral("recent/targetTests"))),
      m_sourceProbe(new PathField(PathField::Kind::Folder, QStringLiteral("recent/sourceProbes"))),
      m_settings(new HyperparameterForm)
{
    m_targetTest->setPlaceholder(tr("Labeled target test folder (optional)"));
    m_targetTest->setToolTip(tr("One sub-folder per class. When the run ends, base, adapted and ensemble features are "
                                "scored with kNN and a linear probe on it (half memory, half queries)."));
    m_sourceProbe->setPlaceholder(tr("Labeled source folder (optional)"));
    m_sourceProbe->setToolTip(tr("Images of the model's original domain, one sub-folder per class: their accuracy "
                                 "through the base model's head is plotted live as forgetting."));

    auto *content = new QWidget;
    auto *layout = new QVBoxLayout(content);
    layout->addWidget(heading(tr("Backbone"), content));
    layout->addWidget(m_backbone);
    layout->addWidget(heading(tr("Target images"), content));
    layout->addWidget(m_target);
    layout->addWidget(heading(tr("Evaluation (optional)"), content));
    layout->addWidget(m_targetTest);
    layout->addWidget(m_sourceProbe);
    layout->addWidget(heading(tr("Settings"), content));
    layout->addWidget(m_settings);
    layout->addStretch();

    auto *scroll = new QScrollArea(this);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_backbone, &BackbonePanel::checked, this, &SetupPanel::changed);
    connect(m_target, &TargetFolderPanel::scanStarted, this, &SetupPanel::changed);
    connect(m_target, &TargetFolderPanel::scanFinished, this, &SetupPanel::changed);
    connect(m_targetTest, &PathField::pathChanged, this, &SetupPanel::changed);
    connect(m_sourceProbe, &PathField::pathChanged, this, &SetupPanel::changed);
    connect(m_settings, &HyperparameterForm::changed, this, &SetupPanel::changed);
}

core::TrainConfig SetupPanel::config() const
{
    auto c = m_settings->config();
    c.weights = m_backbone->file().toStdString();
    c.arch = m_backbone->archOverride().toStdString();
    c.target = m_target->folder().toStdString();
    c.targetTest = m_targetTest->path().toStdString();
    c.sourceProbe = m_sourceProbe->path().toStdString();
    return c;
}

void SetupPanel::setConfig(const core::TrainConfig &c)
{
    m_settings->setConfig(c);
    m_backbone->setFile(QString::fromStdString(c.weights), QString::fromStdString(c.arch));
    m_target->setFolder(QString::fromStdString(c.target));
    m_targetTest->setPath(QString::fromStdString(c.targetTest));
    m_sourceProbe->setPath(QString::fromStdString(c.sourceProbe));
}

QString SetupPanel::missing() const
{
    if (m_backbone->file().isEmpty())
        return tr("Choose a backbone");
    if (m_backbone->isChecking())
        return tr("Reading the backbone...");
    if (!m_backbone->summary())
        return tr("The backbone is not a supported model");
    if (m_target->folder().isEmpty())
        return tr("Choose a folder of target images");
    if (m_target->isScanning())
        return tr("Scanning the target folder...");
    if (!m_target->isUsable())
        return tr("The target folder has no usable images");
    return {};
}

bool SetupPanel::isBusy() const { return m_backbone->isChecking() || m_target->isScanning(); }

} // namespace upstep::ui
