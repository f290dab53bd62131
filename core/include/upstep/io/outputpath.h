#pragma once
// Checks an output path before the work that fills it starts, so that a typo in --out fails in
// a second with a plain message, not after minutes of work with a filesystem error.
//
// Threading: pure functions over the filesystem.

#include <filesystem>
#include <string>

namespace upstep::core {

/// `target` without trailing separators: "out/" names the folder "out" in ".", as the user meant.
std::filesystem::path withoutTrailingSeparator(const std::filesystem::path &target);

/// Throws IoError naming the path when `target` cannot be created or replaced as an output: it
/// is the filesystem root, a part of its folder path is a file, or its nearest existing folder
/// does not let this process create files (read-only, /proc, permissions).
void checkOutputLocation(const std::filesystem::path &target);

/// checkOutputLocation for an output that is one file: also refuses a `target` that is an
/// existing folder (a file cannot replace it, and the work before the write would be lost).
void checkOutputFile(const std::filesystem::path &target);

/// Makes the folder that will hold the output file `target`, when missing (`--out new/x.csv`).
/// Call it when the result is ready to be written, so a refused command leaves no folder.
/// Throws IoError naming the folder.
void makeParentFolder(const std::filesystem::path &target);

class IoError;

/// "TARGET is unchanged" when target exists, else "nothing was written under TARGET": what a
/// failed atomic output (a full disk, say) left as it was.
std::string keptState(const std::filesystem::path &target);

/// The same error with `kept` appended, so the message says that the previous state survived.
IoError withKeptState(const IoError &error, const std::string &kept);

} // namespace upstep::core
