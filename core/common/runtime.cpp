#include "common/runtime.h"

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

std::string torchBuildInfo()
{
    std::string info = "LibTorch " TORCH_VERSION;
    info += torch::cuda::is_available() ? ", CUDA devices: " + std::to_string(torch::cuda::device_count()) : ", CPU";
    return info;
}

} // namespace upstep::core
