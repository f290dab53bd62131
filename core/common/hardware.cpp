#include "upstep/common/hardware.h"

#include "common/runtime.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace upstep::core {

void preferPassiveOpenMpWaiting(char **argv)
{
    if (std::getenv("OMP_WAIT_POLICY") != nullptr)
        return; // the user's choice, or this is the re-executed program
    if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0)
        return;
    ::execv("/proc/self/exe", argv);
    // Not re-executed (no /proc, or exec refused): the runtime keeps the policy it read at load.
}

int maxUsefulThreads() { return std::max(16, 4 * static_cast<int>(std::thread::hardware_concurrency())); }

std::int64_t peakResidentBytes()
{
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return 0;
    return static_cast<std::int64_t>(usage.ru_maxrss) * 1024; // Linux reports kilobytes
}

std::int64_t physicalMemoryBytes()
{
    const long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? static_cast<std::int64_t>(pages) * pageSize : 0;
}

std::vector<ComputeDevice> listComputeDevices()
{
    std::vector<ComputeDevice> devices;
    devices.push_back({"cpu", "CPU (" + std::to_string(std::max(1u, std::thread::hardware_concurrency())) +
                                  " hardware threads" + (cpuHasFastBf16() ? ", fast bf16)" : ")")});
    if (torch::cuda::is_available())
        for (int i = 0; i < static_cast<int>(torch::cuda::device_count()); ++i)
            devices.push_back({"cuda:" + std::to_string(i), "CUDA device " + std::to_string(i)});
    return devices;
}

int setComputeThreads(int n) { return configureThreads(n); }

int computeThreads() { return torch::get_num_threads(); }

void initWorkerThread() { at::init_num_threads(); }

Precision resolvedPrecision(Precision precision, const std::string &device)
{
    return precisionOf(resolvePrecision(precision, resolveDevice(device)));
}

} // namespace upstep::core
