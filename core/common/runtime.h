#pragma once
// Process-wide runtime settings: the torch thread count and the compute device. LibTorch uses
// one thread unless told otherwise, so every entry point calls configureThreads() once.
//
// Threading: call configureThreads() from the main thread before any torch work starts.

#include "upstep/common/choices.h"

#include <torch/torch.h>

#include <string>

namespace upstep::core {

/// Sets intra-op threads to n (0: all hardware threads). Returns the count in effect.
int configureThreads(int n);

/// "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N" (parseDevice). Throws
/// InputError when CUDA is asked for but not available.
torch::Device resolveDevice(const std::string &name);

/// True when this CPU has native bf16 dot products (AVX512-BF16 or AMX), where bf16 runs several
/// times faster than fp32.
bool cpuHasFastBf16();

/// The dtype to run a model in: Auto picks bf16 on CUDA and on CPUs with fast bf16, else fp32.
torch::ScalarType resolvePrecision(Precision precision, const torch::Device &device);

/// The precision a resolved dtype stands for: Bf16 for bfloat16, else Fp32.
Precision precisionOf(torch::ScalarType dtype);

/// Short description of the LibTorch build, e.g. "LibTorch 1.13.1, CPU".
std::string torchBuildInfo();

} // namespace upstep::core
