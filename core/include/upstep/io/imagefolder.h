#pragma once
// Recursive scan of an image folder. With labels requested, the immediate sub-folders of the root
// are the classes (torchvision's ImageFolder convention), sorted by name. Files that cannot be
// images (other extensions, empty, unreadable, not regular files) are listed with a reason
// instead of stopping the scan; corrupt content is found later, when decoding.
//
// Threading: a pure function; call it from any thread. Progress runs on the calling thread.

#include "upstep/common/progress.h"
#include "upstep/io/imagelist.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace upstep::core {

struct SkippedFile {
    std::filesystem::path path;
    std::string reason;
};

struct ScanOptions {
    bool withLabels = false;
    /// Also read each file's first bytes and refuse content that is no image format the decoder
    /// knows (a text file named .png, a zero-filled download). Costs one small read per file;
    /// truncated images still pass and are found when decoding.
    bool checkSignatures = false;

    bool operator==(const ScanOptions &) const = default;
};

/// A folder the scan listed and its modification time (ns since the epoch) read just before
/// listing it. Adding, removing or renaming an entry changes the time of the folder holding it.
struct ListedFolder {
    std::filesystem::path folder;
    std::int64_t modifiedNs = 0;
};

struct ImageFolder {
    std::filesystem::path root;
    ImageList images; ///< sorted by path, so scans are reproducible
    std::vector<std::string> classNames;
    std::vector<SkippedFile> skipped;
    ScanOptions options;              ///< what the scan was asked for
    std::vector<ListedFolder> listed; ///< every folder it listed, root first: what isScanCurrent compares
    std::int64_t scannedAtNs = 0;     ///< wall clock when the scan started
};

/// File name extensions (lower case, with the dot) the decoder accepts.
const std::vector<std::string> &imageExtensions();
bool hasImageExtension(const std::filesystem::path &path);

/// True when root follows the ImageFolder convention: it has sub-folders and no image files of
/// its own.
bool hasClassSubfolders(const std::filesystem::path &root);

/// True when root has at least one visible sub-folder: what a labeled folder (train, test,
/// source) must have. Laxer than hasClassSubfolders: a stray image beside the class folders is
/// skipped by the scan, not a reason to refuse the folder.
bool hasAnySubfolder(const std::filesystem::path &root);

/// Scans root. Throws IoError when root is missing or not a folder, InputError when it holds no
/// image file, Cancelled when stop is set.
ImageFolder scanImageFolder(const std::filesystem::path &root, const ScanOptions &options = {},
                            const ProgressSink &progress = {}, StopFlag stop = nullptr);

/// True when scanning scan.root again with scan.options would list the same files: no listed
/// folder's time has changed, and each was last changed more than two seconds before the scan
/// (coarse file-system clocks could hide a change made in the same tick). Costs one stat per
/// folder, not per file. A file rewritten in place is not noticed; its content is checked when
/// it is decoded.
bool isScanCurrent(const ImageFolder &scan);

} // namespace upstep::core
