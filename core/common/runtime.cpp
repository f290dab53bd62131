#include "common/runtime.h"

#include "upstep/common/error.h"
#include "upstep/common/hardware.h"

#include <torch/version.h>

#include <thread>

namespace upstep::core {

int configureThreads(int n)
{
    if (n < 0 || n > maxUsefulThreads())
        throw InputError("--threads must lie in [0, " + std::to_string(maxUsefulThreads()) +
                         "] (0: all cores; at most 4 per hardware thread), got " + std::to_string(n));
    const int count = n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(count);
    return count;
}

torch::Device resolveDevice(const std::string &name)
{
    const auto device = parseDevice(name);
    switch (device.kind) {
    case DeviceKind::Auto: return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    case DeviceKind::Cpu: return torch::kCPU;
    case DeviceKind::Cuda: break;
    }
    if (!torch::cuda::is_available())
        throw InputError("--device " + name + ": CUDA is not available in this build or on this machine");
    if (device.index >= static_cast<int>(torch::cuda::device_count()))
        throw InputError("--device " + name + ": this machine has " + std::to_string(torch::cuda::device_count()) +
                         " CUDA device(s)");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device.index));
}

bool cpuHasFastBf16()
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
    return false;
#endif
}

torch::ScalarType resolvePrecision(Precision precision, const torch::Device &device)
{
    switch (precision) {
    case Precision::Fp32: return torch::kFloat32;
    case Precision::Bf16: return torch::kBFloat16;
    case Precision::Auto: return device.is_cuda() || cpuHasFastBf16() ? torch::kBFloat16 : torch::kFloat32;
    }
    return torch::kFloat32;
}

Precision precisionOf(torch::ScalarType dtype) { return dtype == torch::kBFloat16 ? Precision::Bf16 : Precision::Fp32; }

std::string torchBuildInfo()
{
    std::string info = "LibTorch " TORCH_VERSION;
    info += torch::cuda::is_available() ? ", CUDA devices: " + std::to_string(torch::cuda::device_count()) : ", CPU";
    return info;
}

} // namespace upstep::core
