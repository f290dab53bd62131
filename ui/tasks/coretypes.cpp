#include "tasks/coretypes.h"

namespace upstep::ui {

void registerCoreTypes()
{
    qRegisterMetaType<core::Progress>();
    qRegisterMetaType<core::MetricsRecord>();
    qRegisterMetaType<core::TrainSummary>();
    qRegisterMetaType<core::EvalReport>();
    qRegisterMetaType<core::EmbeddingMap>();
    qRegisterMetaType<core::ExportResult>();
    qRegisterMetaType<core::BackboneSummary>();
    qRegisterMetaType<core::ImageFolder>();
    qRegisterMetaType<TaskError>();
    qRegisterMetaType<std::vector<core::RunRecord>>();
}

} // namespace upstep::ui
