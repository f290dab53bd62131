#include "setup/hyperparameterform.h"

#include "widgets/choicebox.h"
#include "widgets/collapsiblesection.h"
#include "upstep/common/hardware.h"

#include <QCheckBox>
#include <QAbstractSpinBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace upstep::ui {

namespace {

QDoubleSpinBox *doubleBox(double min, double max, int decimals, double step, const QString &tip, QWidget *parent)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setRange(min, max);
    box->setDecimals(decimals);
    box->setSingleStep(step);
    box->setToolTip(tip);
    box->setKeyboardTracking(false);
    return box;
}

QSpinBox *intBox(int min, int max, const QString &tip, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(min, max);
    box->setToolTip(tip);
    box->setKeyboardTracking(false);
    return box;
}

QComboBox *choices(const QStringList &values, const QString &tip, QWidget *parent)
{
    auto *box = new QComboBox(parent);
    box->addItems(values);
    box->setToolTip(tip);
    return box;
}

void select(QComboBox *box, const std::string &value)
{
    const auto index = box->findData(QString::fromStdString(value));
    box->setCurrentIndex(index >= 0 ? index : std::max(0, box->findText(QString::fromStdString(value))));
}

std::string selected(const QComboBox *box)
{
    const auto data = box->currentData();
    return (data.isValid() ? data.toString() : box->currentText()).toStdString();
}

QWidget *form(QWidget *parent, std::initializer_list<std::pair<QString, QWidget *>> rows)
{
    auto *widget = new QWidget(parent);
    auto *layout = new QFormLayout(widget);
    layout->setContentsMargins(14, 0, 0, 4);
    layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (const auto &[label, field] : rows) {
        field->setParent(widget);
        layout->addRow(label, field);
    }
    return widget;
}

} // namespace

HyperparameterForm::HyperparameterForm(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new CollapsibleSection(tr("Budget"), budgetGroup(), true, this));
    layout->addWidget(new CollapsibleSection(tr("LoRA"), loraGroup(), false, this));
    layout->addWidget(new CollapsibleSection(tr("Optimiser"), optimiserGroup(), false, this));
    layout->addWidget(new CollapsibleSection(tr("CVR and gate"), regularisationGroup(), false, this));
    layout->addWidget(new CollapsibleSection(tr("Hardware"), hardwareGroup(), false, this));
    setConfig(core::TrainConfig{});

    // Arrow clicks and wheel steps count at once (the start estimate and the unsaved mark follow
    // them); typed text counts once it is committed (Return or leaving the field).
    for (auto *box : findChildren<QSpinBox *>()) {
        box->setKeyboardTracking(false);
        connect(box, &QSpinBox::valueChanged, this, &HyperparameterForm::changed);
    }
    for (auto *box : findChildren<QDoubleSpinBox *>()) {
        box->setKeyboardTracking(false);
        connect(box, &QDoubleSpinBox::valueChanged, this, &HyperparameterForm::changed);
    }
    for (auto *box : findChildren<QComboBox *>())
        connect(box, &QComboBox::currentIndexChanged, this, &HyperparameterForm::changed);
    // The form sits in a scrolling panel: a wheel turn meant to scroll it must not change the
    // field that happens to pass under the pointer. Fields take the wheel once clicked or tabbed into.
    for (auto *field : findChildren<QWidget *>())
        if (qobject_cast<QAbstractSpinBox *>(field) || qobject_cast<QComboBox *>(field)) {
            field->setFocusPolicy(Qt::StrongFocus);
            field->installEventFilter(this);
        }
    connect(m_loraTargets, &QLineEdit::editingFinished, this, [this] {
        if (m_loraTargets->isModified()) {
            m_loraTargets->setModified(false);
            emit changed();
        }
    });
    connect(m_cvr, &QCheckBox::toggled, this, [this](bool on) {
        m_lambda->setEnabled(on);
        m_cvrTerm->setEnabled(on);
        m_cvrSpace->setEnabled(on || selectedChoice<core::GatePolicy>(m_gate) == core::GatePolicy::Center);
        emit changed();
    });
    connect(m_gate, &QComboBox::currentIndexChanged, this, [this] {
        m_cvrSpace->setEnabled(m_cvr->isChecked() ||
                               selectedChoice<core::GatePolicy>(m_gate) == core::GatePolicy::Center);
    });
}

QWidget *HyperparameterForm::budgetGroup()
{
    m_budgetUnit = choices({tr("steps"), tr("epochs")}, tr("Count the budget in iterations or in passes over the target folder"), this);
    m_budget = doubleBox(0.01, 10'000'000, 2, 100, tr("How long to adapt: iterations of one batch each, or epochs"), this);
    m_batch = intBox(2, 4096, tr("Images per iteration (each gives two augmented views). Larger is steadier but "
                                 "slower and needs more memory."), this);
    connect(m_budgetUnit, &QComboBox::currentIndexChanged, this, [this](int unit) {
        m_budget->setDecimals(unit == 0 ? 0 : 2);
        m_budget->setSingleStep(unit == 0 ? 100 : 1);
    });
    return form(this, {{tr("Unit"), m_budgetUnit}, {tr("Length"), m_budget}, {tr("Batch size"), m_batch}});
}

QWidget *HyperparameterForm::loraGroup()
{
    m_tuning = choices({},
                       tr("LoRA trains small adapters on the frozen backbone (the method). Full fine-tunes every "
                          "backbone weight with the same objective: a baseline to compare with, which needs "
                          "optimiser state for the whole model and gives a whole model, not an adapter."),
                       this);
    addChoiceItems<core::Tuning>(m_tuning, {{core::Tuning::Lora, tr("LoRA adapters")},
                                            {core::Tuning::Full, tr("whole backbone (baseline)")}});
    connect(m_tuning, &QComboBox::currentIndexChanged, this, [this] {
        const bool lora = selectedChoice<core::Tuning>(m_tuning) == core::Tuning::Lora;
        for (QWidget *field : std::initializer_list<QWidget *>{m_rank, m_alpha, m_loraTargets})
            field->setEnabled(lora);
    });
    m_rank = intBox(1, 256, tr("LoRA rank r: the adapter's capacity. 8 is the default; higher adapts more and "
                               "forgets more."), this);
    m_rank->setObjectName(QStringLiteral("loraRank"));
    m_alpha = doubleBox(0.01, 1024, 2, 1, tr("LoRA alpha: the adapter's output is scaled by alpha / r"), this);
    m_loraTargets = new QLineEdit(this);
    m_loraTargets->setPlaceholderText(tr("default"));
    m_loraTargets->setToolTip(tr("Layers that get adapters, comma-separated, as PEFT's target_modules. Empty: qkv "
                                 "for a ViT (query,value for a Hugging Face model), mlp.fc1,mlp.fc2 for a "
                                 "ConvNeXt, the 3x3 convolutions for a ResNet. For a ViT: query,value adapts q and "
                                 "v only; qkv,proj the attention; qkv,proj,fc1,fc2 attention and MLP."));
    return form(this,
                {{tr("Train"), m_tuning}, {tr("Rank"), m_rank}, {tr("Alpha"), m_alpha}, {tr("Layers"), m_loraTargets}});
}

QWidget *HyperparameterForm::optimiserGroup()
{
    m_learningRate = doubleBox(1e-6, 1.0, 6, 1e-4, tr("AdamW peak learning rate (linear warm-up, then cosine)"), this);
    m_warmup = doubleBox(0, 0.5, 3, 0.01, tr("Fraction of the iterations spent warming up the learning rate"), this);
    m_schedule = choices({}, tr("The learning rate after the warm-up: cosine decays it to zero, constant keeps it"),
                         this);
    addChoiceItems<core::LrSchedule>(m_schedule);
    return form(this, {{tr("Learning rate"), m_learningRate}, {tr("Warm-up"), m_warmup}, {tr("Schedule"), m_schedule}});
}

QWidget *HyperparameterForm::regularisationGroup()
{
    m_cvr = new QCheckBox(tr("Center vector regularisation"), this);
    m_cvr->setToolTip(tr("Regularises the mean of the normalised target features, against forgetting"));
    m_cvrTerm = choices({},
                        tr("anchor keeps the mean target feature where the base model put it; magnitude keeps it "
                           "short, as the features spread out rather than collapse into one direction"),
                        this);
    addChoiceItems<core::CvrTerm>(m_cvrTerm);
    m_cvrSpace = choices({},
                         tr("Where the center is taken: over the backbone's features (what an export keeps) or over "
                            "the projection head's outputs (what the clustering sees)"),
                         this);
    addChoiceItems<core::CvrSpace>(m_cvrSpace);
    m_lambda = doubleBox(0.0001, 1000, 4, 0.5, tr("Weight of the CVR term: higher forgets less and adapts less"), this);
    m_gate = choices({},
                     tr("Which iterations back-propagate: alternate skips every second one (half the cost); "
                        "loss-quantile skips low-loss batches; center skips batches that already agree with the "
                        "center vector; none trains on every batch"),
                     this);
    addChoiceItems<core::GatePolicy>(m_gate, {{core::GatePolicy::LossQuantile, tr("loss quantile")}});
    m_prototypeInit = choices({},
                              tr("random: seeded directions; kmeans: the groups the target images form as the base "
                                 "model sees them (a k-means pass over 16 images per prototype before training)"),
                              this);
    addChoiceItems<core::PrototypeInit>(m_prototypeInit, {{core::PrototypeInit::Kmeans, tr("k-means")}});
    m_offline = choices({}, tr("Where the clustering targets come from: an EMA of the adapter (steadier) or the "
                               "online model itself"), this);
    addChoiceItems<core::OfflineStream>(m_offline, {{core::OfflineStream::Ema, tr("EMA")}});
    return form(this, {{QString(), m_cvr},
                       {tr("CVR term"), m_cvrTerm},
                       {tr("CVR space"), m_cvrSpace},
                       {tr("CVR lambda"), m_lambda},
                       {tr("Gate"), m_gate},
                       {tr("Targets"), m_offline},
                       {tr("Prototypes"), m_prototypeInit}});
}

QWidget *HyperparameterForm::hardwareGroup()
{
    m_precision = choices({}, tr("auto uses bf16 where the hardware is fast at it (CUDA, AVX512-BF16 CPUs)"), this);
    addChoiceItems<core::Precision>(m_precision);
    m_device = choices({}, tr("Where to train; auto prefers CUDA"), this);
    m_device->addItem(tr("auto"), QString::fromStdString(core::deviceName({core::DeviceKind::Auto})));
    for (const auto &device : core::listComputeDevices())
        m_device->addItem(QString::fromStdString(device.description), QString::fromStdString(device.name));
    m_workers = intBox(1, 64, tr("Threads that decode and augment images"), this);
    m_decodedCache = choices({},
                             tr("auto: read the target's decoded-image cache if there is one\nbuild: make it "
                                "first if missing\noff: always decode the files"),
                             this);
    addChoiceItems<core::DecodedCacheMode>(m_decodedCache);
    m_seed = intBox(0, std::numeric_limits<int>::max(), tr("Seed of all randomness: the same seed gives the same run "
                                                            "on the same hardware"), this);
    return form(this, {{tr("Precision"), m_precision},
                       {tr("Device"), m_device},
                       {tr("Loader threads"), m_workers},
                       {tr("Decoded cache"), m_decodedCache},
                       {tr("Seed"), m_seed}});
}

void HyperparameterForm::setConfig(const core::TrainConfig &c)
{
    const QSignalBlocker quiet(this); // one config, not a changed() per field; the caller knows
    m_loaded = c;
    const bool bySteps = c.steps > 0 || c.epochs <= 0;
    m_budgetUnit->setCurrentIndex(bySteps ? 0 : 1);
    m_budget->setDecimals(bySteps ? 0 : 2);
    m_budget->setValue(bySteps ? static_cast<double>(c.steps > 0 ? c.steps : 400) : c.epochs);
    m_batch->setValue(c.batchSize);
    selectChoice(m_tuning, c.tuning);
    for (QWidget *field : std::initializer_list<QWidget *>{m_rank, m_alpha, m_loraTargets})
        field->setEnabled(c.tuning == core::Tuning::Lora);
    m_rank->setValue(c.loraRank);
    m_alpha->setValue(c.loraAlpha);
    QStringList layers;
    for (const auto &target : c.loraTargets)
        layers << QString::fromStdString(target);
    m_loraTargets->setText(layers.join(QStringLiteral(",")));
    m_loraTargets->setModified(false);
    m_learningRate->setValue(c.learningRate);
    m_warmup->setValue(c.warmupFraction);
    selectChoice(m_schedule, c.lrSchedule);
    m_cvr->setChecked(c.cvrLambda > 0);
    m_lambda->setValue(c.cvrLambda > 0 ? c.cvrLambda : 1.0);
    m_lambda->setEnabled(c.cvrLambda > 0);
    selectChoice(m_cvrTerm, c.cvrTerm);
    m_cvrTerm->setEnabled(c.cvrLambda > 0);
    selectChoice(m_cvrSpace, c.cvrSpace);
    m_cvrSpace->setEnabled(c.cvrLambda > 0 || c.gate == core::GatePolicy::Center);
    selectChoice(m_gate, c.gate);
    selectChoice(m_offline, c.offline);
    selectChoice(m_prototypeInit, c.prototypeInit);
    selectChoice(m_precision, c.precision);
    select(m_device, c.device);
    m_workers->setValue(c.workers);
    selectChoice(m_decodedCache, c.decodedCache);
    m_seed->setValue(static_cast<int>(std::min<std::uint64_t>(c.seed, std::numeric_limits<int>::max())));
}

core::TrainConfig HyperparameterForm::config() const
{
    auto c = m_loaded;
    if (m_budgetUnit->currentIndex() == 0) {
        c.steps = static_cast<std::int64_t>(std::llround(m_budget->value()));
        c.epochs = 0;
    } else {
        c.steps = 0;
        c.epochs = m_budget->value();
    }
    c.batchSize = m_batch->value();
    c.tuning = selectedChoice<core::Tuning>(m_tuning);
    c.loraRank = m_rank->value();
    c.loraAlpha = m_alpha->value();
    c.loraTargets.clear();
    for (const auto &layer : m_loraTargets->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!layer.trimmed().isEmpty())
            c.loraTargets.push_back(layer.trimmed().toStdString());
    c.learningRate = m_learningRate->value();
    c.warmupFraction = m_warmup->value();
    c.lrSchedule = selectedChoice<core::LrSchedule>(m_schedule);
    c.cvrLambda = m_cvr->isChecked() ? m_lambda->value() : 0.0;
    c.cvrTerm = selectedChoice<core::CvrTerm>(m_cvrTerm);
    c.cvrSpace = selectedChoice<core::CvrSpace>(m_cvrSpace);
    c.gate = selectedChoice<core::GatePolicy>(m_gate);
    c.offline = selectedChoice<core::OfflineStream>(m_offline);
    c.prototypeInit = selectedChoice<core::PrototypeInit>(m_prototypeInit);
    c.precision = selectedChoice<core::Precision>(m_precision);
    c.device = selected(m_device);
    c.workers = m_workers->value();
    c.decodedCache = selectedChoice<core::DecodedCacheMode>(m_decodedCache);
    c.seed = static_cast<std::uint64_t>(m_seed->value());
    return c;
}

bool HyperparameterForm::eventFilter(QObject *watched, QEvent *event)
{
    auto *field = qobject_cast<QWidget *>(watched);
    if (event->type() == QEvent::Wheel && field && !field->hasFocus()) {
        // Handed to the field's parent, from which it travels up to the scroll area as usual.
        if (field->parentWidget())
            QCoreApplication::sendEvent(field->parentWidget(), event);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

QString HyperparameterForm::hardwareSummary() const
{
    const auto c = config();
    QString device = QString::fromStdString(c.device);
    if (device == QString::fromStdString(core::deviceName({core::DeviceKind::Auto})))
        device = QString::fromStdString(core::listComputeDevices().size() > 1 ? "cuda:0" : "cpu");
    QString precision;
    try {
        precision = QString::fromStdString(core::choiceName(core::resolvedPrecision(c.precision, device.toStdString())));
    } catch (const std::exception &) {
        precision = QString::fromStdString(core::choiceName(c.precision));
    }
    return tr("%1 %2, %3 threads").arg(device.toUpper(), precision).arg(core::computeThreads());
}

} // namespace upstep::ui
