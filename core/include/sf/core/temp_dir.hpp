// Atomic output directories: a result directory is built under a hidden temporary sibling
// name and moved into place only once complete, so a failed run never leaves a partial
// directory behind (STYLE.md). The temporary directory is removed unless committed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sf {

class TempSiblingDir {
  public:
    // Creates "<parent>/.<name>.tmp.<pid>.<n>" next to target. Throws InputError naming
    // target when the parent is missing or not writable.
    explicit TempSiblingDir(const std::string& target);
    ~TempSiblingDir();
    TempSiblingDir(const TempSiblingDir&) = delete;
    TempSiblingDir& operator=(const TempSiblingDir&) = delete;

    const std::filesystem::path& path() const { return tmp_; }
    const std::filesystem::path& target() const { return target_; }

    // Replace target (an existing directory is removed first) by the temporary directory.
    void commit_replace();
    // Put the files built here into place: a new target is the whole temporary directory,
    // renamed; an existing target directory keeps its other files (a README, logs) and gets
    // each of `names` renamed in, in the order given (weights before the YAML that names them).
    void commit_files(const std::vector<std::string>& names);
    // Done with the temporary directory after its files were moved elsewhere by the caller.
    void release();

  private:
    std::filesystem::path target_, tmp_;
    bool done_ = false;
};

}  // namespace sf
