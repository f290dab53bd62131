#include "models/backbone.h"

#include "upstep/common/error.h"

namespace upstep::core {

void BackboneImpl::requireHead() const
{
    if (!hasHead())
        throw InputError("these weights have no classifier head (" + m_spec.name + ")");
}

} // namespace upstep::core
