// Output directories that never destroy what spikeforge did not make, and that are replaced
// by a swap that never leaves the target absent or mixed (docs/formats.md, "Output
// directories").
//
// Every output directory (chip image, network, checkpoint) carries a marker file
// `.spikeforge-output` holding its kind. A writer may write a path only when it does not
// exist, is an empty directory, or holds the marker of the same kind; anything else is
// refused with a message naming the path and the fix. The new content is built in a hidden
// sibling `.<name>.tmp.<pid>.<n>` and swapped in with renameat2(RENAME_EXCHANGE), so at
// every instant the path holds the complete old or the complete new output. Where the file
// system cannot exchange, the old directory is first renamed to `.<name>.old.<pid>.<n>`;
// a run killed between the two renames leaves it there and the next writer of that path
// renames it back. Leftover temporaries of dead processes are removed by the next writer.
//
// Test hook: SF_FAULT_AT=<step> kills the process with SIGKILL at that step of a write
// (fault_point below); SF_FAULT_NO_EXCHANGE=1 forces the two-rename fallback.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sf {

enum class OutputKind { ChipImage, Network, Checkpoint };

// "chip-image", "network", "checkpoint": the marker's content.
const char* to_string(OutputKind kind);

// Name of the marker file inside every output directory.
inline constexpr const char* kOutputMarker = ".spikeforge-output";

// Checks that `path` may be written as an output directory of `kind` and returns it with
// trailing slashes removed. Refused (InputError naming the path, `option` when given, and a
// fix): an empty path, `.`, `..`, the filesystem root, the working directory or one of its
// ancestors, a symbolic link, a file, a directory holding anything but an earlier output of
// the same kind (marker), and a parent directory that does not exist.
std::filesystem::path check_output_dir(const std::string& path, OutputKind kind,
                                       const std::string& option = {});

// Makes `path` an output directory of `kind` that later writes may fill: a new one is
// created (with its marker, by a rename), an empty one gets the marker, one of the same
// kind is left as it is; anything else is refused as by check_output_dir. For writers
// that put files inside an output before the output itself is written (checkpoints).
void ensure_output_dir(const std::string& path, OutputKind kind);

// Removes the leftovers of killed writers of `target` (siblings `.<name>.tmp.<pid>.<n>` and
// `.<name>.old.<pid>.<n>` whose process is gone), first renaming a leftover old directory
// back to `target` when `target` is absent. Returns how many leftovers it removed or restored.
int clean_stale_siblings(const std::filesystem::path& target);

// The test hook: when the environment variable SF_FAULT_AT equals `step`, the process
// kills itself (SIGKILL) here. Steps of a write, in order: staged, built, carried, marked,
// exchanged (or old-moved, new-moved without RENAME_EXCHANGE), old-removing, done.
void fault_point(const char* step);

class TempSiblingDir {
  public:
    // Checks target (check_output_dir), removes stale siblings, and creates
    // "<parent>/.<name>.tmp.<pid>.<n>". Throws InputError naming target when it may not be
    // written or the temporary directory cannot be made.
    explicit TempSiblingDir(const std::string& target, OutputKind kind = OutputKind::Network);
    ~TempSiblingDir();
    TempSiblingDir(const TempSiblingDir&) = delete;
    TempSiblingDir& operator=(const TempSiblingDir&) = delete;

    const std::filesystem::path& path() const { return tmp_; }
    const std::filesystem::path& target() const { return target_; }

    // Replace target whole by the temporary directory (with its marker), by a swap.
    void commit_replace();
    // As commit_replace, but entries of an existing target that the temporary directory does
    // not hold (a README, logs, a checkpoint/) are carried into the new directory (as hard
    // links, or copies) first. Each of `names` must have been written into path().
    void commit_files(const std::vector<std::string>& names);
    // Done with the temporary directory after its files were moved elsewhere by the caller.
    void release();

  private:
    void swap_in();
    std::filesystem::path target_, tmp_;
    OutputKind kind_;
    bool done_ = false;
};

// Write text to path through a temporary sibling and a rename, so a failure leaves no
// half-written file (for single-file outputs: reports, JSON, CSV).
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace sf
