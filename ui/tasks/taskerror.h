#pragma once
// Turns whatever background work threw into a TaskError the user can act on.
//
// Threading: call from the thread that caught the exception.

#include "tasks/coretypes.h"

#include <exception>

namespace upstep::ui {

/// Call inside a catch block: maps core's error classes to a message and keeps the details.
TaskError currentTaskError(const QString &what);

} // namespace upstep::ui
