#include "setup/setuppanel.h"

#include "setup/backbonepanel.h"
#include "setup/hyperparameterform.h"
#include "setup/labeledfolderfield.h"
#include "setup/targetfolderpanel.h"

#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
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
      m_targetTest(new LabeledFolderField(tr("target test folder"), QStringLiteral("recent/targetTests"))),
      m_sourceProbe(new LabeledFolderField(tr("source folder"), QStringLiteral("recent/sourceProbes"))),
      m_settings(new HyperparameterForm), m_content(new QWidget), m_inputs(new QWidget), m_lockNote(new QLabel)
{
    m_targetTest->setPlaceholder(tr("Labeled target test folder (optional)"));
    m_targetTest->setToolTip(tr("One sub-folder per class. When the run ends, base, adapted and ensemble features are "
                                "scored with kNN and a linear probe on it (half memory, half queries)."));
    m_sourceProbe->setPlaceholder(tr("Labeled source folder (optional)"));
    m_sourceProbe->setToolTip(tr("Images of the model's original domain, one sub-folder per class: their accuracy "
                                 "through the base model's head is plotted live as forgetting."));

    m_lockNote->setWordWrap(true);
    m_lockNote->setText(tr("A run is active: its settings are fixed (Resume keeps them too). Stop it to change "
                           "them for the next run."));
    m_lockNote->setStyleSheet(QStringLiteral("background: palette(alternate-base); padding: 6px;"));
    m_lockNote->setVisible(false);
    auto *inputs = new QVBoxLayout(m_inputs);
    inputs->setContentsMargins(0, 0, 0, 0);
    inputs->addWidget(heading(tr("Backbone"), m_inputs));
    inputs->addWidget(m_backbone);
    inputs->addWidget(heading(tr("Target images"), m_inputs));
    inputs->addWidget(m_target);
    inputs->addWidget(heading(tr("Evaluation (optional)"), m_inputs));
    inputs->addWidget(m_targetTest);
    inputs->addWidget(m_sourceProbe);
    inputs->addWidget(heading(tr("Settings"), m_inputs));
    inputs->addWidget(m_settings);
    auto *layout = new QVBoxLayout(m_content);
    layout->addWidget(m_lockNote);
    layout->addWidget(m_inputs);
    layout->addStretch();

    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_backbone, &BackbonePanel::checked, this, &SetupPanel::changed);
    connect(m_target, &TargetFolderPanel::scanStarted, this, &SetupPanel::changed);
    connect(m_target, &TargetFolderPanel::checkFinished, this, &SetupPanel::changed); // the count may have dropped
    connect(m_target, &TargetFolderPanel::scanFinished, this, &SetupPanel::changed);
    connect(m_targetTest, &LabeledFolderField::changed, this, &SetupPanel::changed);
    connect(m_sourceProbe, &LabeledFolderField::changed, this, &SetupPanel::changed);
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

void SetupPanel::copySettings(const core::TrainConfig &run) { m_settings->setConfig(run); }

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
    for (const auto *field : {m_targetTest, m_sourceProbe})
        if (!field->problem().isEmpty())
            return field->problem();
    return {};
}

bool SetupPanel::isBusy() const
{
    return m_backbone->isChecking() || m_target->isScanning() || m_targetTest->isChecking() ||
           m_sourceProbe->isChecking();
}

void SetupPanel::setLocked(bool locked)
{
    m_locked = locked;
    m_inputs->setEnabled(!locked);
    m_lockNote->setVisible(locked);
}

QSize SetupPanel::minimumSizeHint() const
{
    const auto *scroll = findChild<QScrollArea *>();
    const int bar = scroll ? scroll->verticalScrollBar()->sizeHint().width() : 0;
    return {m_content->minimumSizeHint().width() + bar, QWidget::minimumSizeHint().height()};
}

} // namespace upstep::ui
