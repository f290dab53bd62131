// Force-included (-include) into every translation unit of ui/, the workbench and the public
// API's header check (cmake/UpStepLayering.cmake). Every LibTorch header declares or uses the
// namespaces below, and torch/version.h defines TORCH_VERSION_MAJOR, so including LibTorch here,
// directly or through a core header, stops the build at the first use:
//   error: attempt to use poisoned "c10"
// The fix is to reach core through its torch-free API (core/include/upstep/), or to add a
// torch-free front to the API when the feature needs one (CONTRIBUTING.md).
#pragma GCC poison c10 torch TORCH_VERSION_MAJOR
