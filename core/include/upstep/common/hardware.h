#pragma once
// Torch-free view of the compute hardware for front ends that must not include LibTorch (the
// workbench): which devices exist, the thread count, and per-thread set-up. runtime.h holds the
// torch-typed counterparts the engine uses.
//
// Threading: setComputeThreads() from the main thread before torch work starts;
// initWorkerThread() at the start of every thread that runs torch work.

#include "upstep/common/choices.h"

#include <cstdint>
#include <string>
#include <vector>

namespace upstep::core {

struct ComputeDevice {
    std::string name;        ///< what TrainConfig::device accepts: "cpu", "cuda:0", ...
    std::string description; ///< for a menu, e.g. "CPU (2 threads, fast bf16)"
};

/// The process's peak resident memory so far, in bytes (0 where the system does not say).
std::int64_t peakResidentBytes();

/// The machine's physical memory in bytes (0 where the system does not say).
std::int64_t physicalMemoryBytes();

/// The CPU first, then every CUDA device LibTorch can see.
std::vector<ComputeDevice> listComputeDevices();

/// The most torch threads accepted: 4 per hardware thread (at least 16). More only add
/// contention, and a typo like 100000 would start that many threads.
int maxUsefulThreads();

/// Sets the intra-op thread count (0: all hardware threads); returns the count in effect.
int setComputeThreads(int n);
int computeThreads();

/// Thread-local torch set-up (at::init_num_threads) for a worker thread.
void initWorkerThread();

/// Makes the OpenMP threads behind LibTorch and OpenBLAS sleep instead of spin while they wait,
/// unless OMP_WAIT_POLICY is already set. Spinning threads starve every other thread on a busy
/// desktop (the loader, the GUI, another program): measured on 2 cores, a kept iteration beside
/// one busy process took 2.7x as long as alone with spinning and 1.76x with sleeping, and alone
/// no longer (docs/PERFORMANCE.md). The OpenMP runtime reads the policy once, when the program loads,
/// so this sets it and re-executes the program (/proc/self/exe with the same arguments) before
/// anything else happens; if that fails the program carries on as it is. Call it first in main().
void preferPassiveOpenMpWaiting(char **argv);

/// What `precision` resolves to on this device name: Fp32 or Bf16.
Precision resolvedPrecision(Precision precision, const std::string &device);

} // namespace upstep::core
