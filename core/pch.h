// Precompiled header of core: LibTorch is the expensive part of every translation unit.
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>
