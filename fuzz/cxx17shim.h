#pragma once
// Force-included (-include) when core/io/safetensors.cpp is compiled for fuzzing
// (CMakeLists.txt, upstep_fuzz_torch).
//
// LibTorch 1.13's headers do not compile with clang in C++20 mode against GCC 12's libstdc++:
// ATen/core/List.h holds a std::vector of the still incomplete c10::IValue, and C++20 made
// vector's destructor constexpr (pytorch/pytorch#93978, fixed in later LibTorch). GCC accepts
// it, clang does not. So safetensors.cpp is compiled here as C++17, and this supplies the one
// C++20 name it uses. The product build (GCC, C++20) is unchanged. Should it start to use
// another C++20 library name, add it here.
#include <bit>

#if __cplusplus < 202002L && !defined(__cpp_lib_endian)
namespace std {
enum class endian { little = __ORDER_LITTLE_ENDIAN__, big = __ORDER_BIG_ENDIAN__, native = __BYTE_ORDER__ };
} // namespace std
#endif
