#include "upstep/common/choices.h"

#include <charconv>

namespace upstep::core {

DeviceChoice parseDevice(const std::string &name)
{
    const auto colon = name.find(':');
    const std::string kindName = name.substr(0, colon);
    bool known = false;
    DeviceChoice device;
    for (const auto &choice : ChoiceTable<DeviceKind>::table)
        if (kindName == choice.name) {
            device.kind = choice.value;
            known = true;
        }
    if (known && colon == std::string::npos)
        return device;
    if (known && device.kind == DeviceKind::Cuda) {
        const char *first = name.data() + colon + 1, *last = name.data() + name.size();
        const auto [end, error] = std::from_chars(first, last, device.index);
        if (first != last && error == std::errc() && end == last && device.index >= 0)
            return device;
    }
    std::string names;
    for (const auto &choice : ChoiceTable<DeviceKind>::table)
        names.append(choice.name).append(", ");
    names.resize(names.size() - 2);
    throw InputError("device must be " + names + " or cuda:N, got '" + name + "'");
}

std::string deviceName(const DeviceChoice &device)
{
    std::string name = choiceName(device.kind);
    if (device.kind == DeviceKind::Cuda && device.index >= 0)
        name.append(":").append(std::to_string(device.index));
    return name;
}

} // namespace upstep::core
