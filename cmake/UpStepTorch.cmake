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

# The cuda preset sets this, so that a CPU LibTorch found by mistake (Debian's, earlier on the
# prefix path) fails the configure instead of building a product that never uses the GPU.
option(UPSTEP_REQUIRE_CUDA "Refuse a LibTorch without CUDA" OFF)
if(UPSTEP_REQUIRE_CUDA AND NOT TORCH_CUDA_LIBRARIES)
  message(FATAL_ERROR "UPSTEP_REQUIRE_CUDA: the LibTorch found (${Torch_DIR}) has no CUDA. Point "
                      "TORCH_CMAKE_PREFIX_PATH at a CUDA PyTorch 2.7+ (python3 -c 'import torch; "
                      "print(torch.utils.cmake_prefix_path)') or at an unpacked CUDA LibTorch archive.")
endif()
if(TORCH_CUDA_LIBRARIES AND DEFINED TORCH_CXX_FLAGS AND TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR "This LibTorch uses the old C++ ABI; Debian's Qt, OpenCV and CLI11 use the new one. Use "
                      "PyTorch 2.7 or newer (its wheels use the C++11 ABI) or a cxx11-abi LibTorch archive.")
endif()
