#pragma once
// Process-wide runtime settings: the torch thread count and the compute device. LibTorch uses
// one thread unless told otherwise, so every entry point calls configureThreads() once.
//
// Threading: call configureThreads() from the main thread before any torch work starts.

#include <torch/torch.h>

#include <string>

namespace upstep::core {

/// Sets intra-op threads to n (0: all hardware threads). Returns the count in effect.
int configureThreads(int n);

/// "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N". Throws InputError when
/// CUDA is asked for but not available.
torch::Device resolveDevice(const std::string &name);

/// Short description of the LibTorch build, e.g. "LibTorch 1.13.1, CPU".
std::string torchBuildInfo();

} // namespace upstep::core
