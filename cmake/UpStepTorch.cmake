# Finds LibTorch (Debian's 1.13 CPU build or a CUDA 2.x build from a PyTorch wheel, via
# -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'))
# and checks its version. Version-specific calls live in core/common/torchcompat.h.
find_package(Torch REQUIRED)
if(NOT DEFINED Torch_VERSION AND DEFINED TORCH_VERSION)
  set(Torch_VERSION "${TORCH_VERSION}")
endif()
if(Torch_VERSION AND Torch_VERSION VERSION_LESS 1.13)
  message(FATAL_ERROR "LibTorch ${Torch_VERSION} is too old: 1.13 or newer is required")
endif()
message(STATUS "LibTorch ${Torch_VERSION} (CUDA: ${TORCH_CUDA_LIBRARIES})")
