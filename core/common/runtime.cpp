#include "common/runtime.h"

#include "common/hardware.h"

#include "common/error.h"

#include <torch/version.h>

#include <thread>

namespace upstep::core {

int configureThreads(int n)
{
    if (n < 0)
        throw InputError("--threads must be 0 (all cores) or positive, got " + std::to_string(n));
    const int count = n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(count);
    return count;
}

torch::Device resolveDevice(const std::string &name)
{
    if (name == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    if (name == "cpu")
        return torch::kCPU;
    if (name.rfind("cuda", 0) == 0) {
        if (!torch::cuda::is_available())
            throw InputError("--device " + name + ": CUDA is not available in this build or on this machine");
        try {
            return torch::Device(name);
        } catch (const c10::Error &) {
            throw InputError("--device " + name + ": not a valid CUDA device name");
        }
    }
    throw InputError("--device must be auto, cpu, cuda or cuda:N, got '" + name + "'");
}

Precision precisionFromName(const std::string &name)
{
    if (name == "auto")
        return Precision::Auto;
    if (name == "fp32")
        return Precision::Fp32;
    if (name == "bf16")
        return Precision::Bf16;
    throw InputError("--precision must be auto, fp32 or bf16, got '" + name + "'");
}

std::string precisionName(Precision precision)
{
    switch (precision) {
    case Precision::Auto: return "auto";
    case Precision::Fp32: return "fp32";
    case Precision::Bf16: return "bf16";
    }
    return "fp32";
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

std::string torchBuildInfo()
{
    std::string info = "LibTorch " TORCH_VERSION;
    info += torch::cuda::is_available() ? ", CUDA devices: " + std::to_string(torch::cuda::device_count()) : ", CPU";
    return info;
}

} // namespace upstep::core

// hardware.h: the torch-free front of the functions above.
namespace upstep::core {

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

std::string resolvedPrecisionName(const std::string &precision, const std::string &device)
{
    return resolvePrecision(precisionFromName(precision), resolveDevice(device)) == torch::kBFloat16 ? "bf16" : "fp32";
}

} // namespace upstep::core
