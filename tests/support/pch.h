// Precompiled header shared by the test executables.
#pragma once
#include <torch/torch.h>
#include <QtTest>
#include <filesystem>
#include <string>
#include <vector>
