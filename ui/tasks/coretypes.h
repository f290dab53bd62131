#pragma once
// Core's value types as Qt meta-types, so they can cross threads in queued signals. Every one is
// a plain copyable struct; none holds a tensor.
//
// Threading: registerCoreTypes() once on the GUI thread before the first connection.

#include "upstep/common/error.h"
#include "upstep/common/progress.h"
#include "upstep/eval/embedjob.h"
#include "upstep/run/evalreport.h"
#include "upstep/export/runexport.h"
#include "upstep/io/imagefolder.h"
#include "upstep/models/backbonesummary.h"
#include "upstep/run/metricsrecord.h"
#include "upstep/run/runrecord.h"
#include "upstep/run/trainsummary.h"

#include <QMetaType>
#include <QString>

#include <vector>

namespace upstep::ui {

/// A failure in background work, in the user's words plus the technical detail.
struct TaskError {
    QString message; ///< what happened and what to do
    QString details; ///< exception type and full text, for "Show details" and the log
    core::ErrorKind kind = core::ErrorKind::Internal; ///< what to react to; never compare the texts
};

void registerCoreTypes();

} // namespace upstep::ui

Q_DECLARE_METATYPE(upstep::core::Progress)
Q_DECLARE_METATYPE(upstep::core::MetricsRecord)
Q_DECLARE_METATYPE(upstep::core::TrainSummary)
Q_DECLARE_METATYPE(upstep::core::EvalReport)
Q_DECLARE_METATYPE(upstep::core::EmbeddingMap)
Q_DECLARE_METATYPE(upstep::core::ExportResult)
Q_DECLARE_METATYPE(upstep::core::BackboneSummary)
Q_DECLARE_METATYPE(upstep::core::ImageFolder)
Q_DECLARE_METATYPE(upstep::ui::TaskError)
Q_DECLARE_METATYPE(upstep::core::RunRecord)
Q_DECLARE_METATYPE(std::vector<upstep::core::RunRecord>)
