#include "tasks/taskerror.h"

#include "upstep/common/error.h"

#include <QObject>

#include <new>

namespace upstep::ui {

TaskError currentTaskError(const QString &what)
{
    try {
        throw;
    } catch (const core::Cancelled &) {
        return {QObject::tr("%1 was cancelled.").arg(what), QStringLiteral("Cancelled"), core::ErrorKind::Cancelled};
    } catch (const core::InputError &e) {
        return {QObject::tr("%1 cannot start: %2").arg(what, QString::fromStdString(e.what())),
                QStringLiteral("InputError: ") + QString::fromStdString(e.what()), e.kind()};
    } catch (const core::FormatError &e) {
        return {QObject::tr("%1 failed: a file is not in the expected format. %2").arg(what, QString::fromStdString(e.what())),
                QStringLiteral("FormatError: ") + QString::fromStdString(e.what()), e.kind()};
    } catch (const core::IoError &e) {
        return {QObject::tr("%1 failed reading or writing a file (is the disk full or the file missing?). %2")
                    .arg(what, QString::fromStdString(e.what())),
                QStringLiteral("IoError: ") + QString::fromStdString(e.what()), e.kind()};
    } catch (const std::bad_alloc &) {
        return {QObject::tr("%1 ran out of memory. Try a smaller batch size or fewer workers.").arg(what),
                QStringLiteral("std::bad_alloc"), core::ErrorKind::OutOfMemory};
    } catch (const std::exception &e) {
        const auto text = QString::fromStdString(e.what());
        // LibTorch reports device memory exhaustion only in its message text.
        const bool outOfMemory = text.contains(QLatin1String("out of memory"), Qt::CaseInsensitive);
        const auto *coreError = dynamic_cast<const core::Error *>(&e);
        const auto kind = outOfMemory ? core::ErrorKind::OutOfMemory : coreError ? coreError->kind() : core::ErrorKind::Internal;
        return {outOfMemory ? QObject::tr("%1 ran out of device memory. Try a smaller batch size.").arg(what)
                            : QObject::tr("%1 failed: %2").arg(what, text.section(QLatin1Char('\n'), 0, 0)),
                text, kind};
    } catch (...) {
        return {QObject::tr("%1 failed with an unknown error.").arg(what), QStringLiteral("unknown exception")};
    }
}

} // namespace upstep::ui
