#pragma once
// The IDX format of MNIST and Fashion-MNIST (docs/DATA.md): a big-endian header (magic 0x00000803
// for images, 0x00000801 for labels, then the dimensions), then raw uint8 data; the file may be
// gzip-compressed. importIdx() turns an images/labels pair into a PNG folder with one
// sub-folder per class, written under OUT.partial and renamed into place when complete.
//
// Threading: pure functions; progress runs on the calling thread.

#include "upstep/common/progress.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace upstep::core {

struct IdxArray {
    std::vector<std::int64_t> dims;
    std::vector<std::uint8_t> data;
};

/// Reads an unsigned-byte IDX file, gzip or raw. Throws FormatError on a bad magic, truncated
/// data or trailing bytes.
IdxArray readIdx(const std::filesystem::path &file);

struct IdxImportOptions {
    std::int64_t limit = 0; ///< import at most this many images; 0 for all
    bool overwrite = false; ///< replace an existing output folder
    /// Class names by label. Given, each class folder is "<label>-<name>" (the label first, so
    /// folders sort in label order and a source probe still matches the base model's head, e.g.
    /// "0-T-shirt-top"); empty, the folder is the label number alone.
    std::vector<std::string> classNames;
};

/// The class folder importIdx writes for a label: the number, or "<label>-<name>" with '/' and
/// white space in the name turned into '-'. Labels are padded to the digits of the name count.
std::string classFolderName(int label, const std::vector<std::string> &classNames);

/// Built-in class names of a known IDX data set ("fashion-mnist", "mnist"); empty when unknown.
std::vector<std::string> knownIdxClassNames(const std::string &dataset);

struct IdxImportResult {
    std::int64_t images = 0;
    std::vector<std::int64_t> perClass;
};

IdxImportResult importIdx(const std::filesystem::path &images, const std::filesystem::path &labels,
                          const std::filesystem::path &outDir, const IdxImportOptions &options = {},
                          const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
