#include "sf/core/temp_dir.hpp"

#include <unistd.h>

#include <atomic>

#include "sf/core/error.hpp"

namespace fs = std::filesystem;

namespace sf {

namespace {
std::string unique_suffix() {
    static std::atomic<unsigned> n{0};
    return std::to_string(::getpid()) + "." + std::to_string(n.fetch_add(1));
}
}  // namespace

TempSiblingDir::TempSiblingDir(const std::string& target) : target_(target) {
    fs::path parent = target_.parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (!fs::is_directory(parent, ec))
        throw InputError("parent directory does not exist", target, "create it first");
    tmp_ = parent / ("." + target_.filename().string() + ".tmp." + unique_suffix());
    if (!fs::create_directory(tmp_, ec) || ec)
        throw InputError("cannot create a temporary directory: " + ec.message(), tmp_.string(),
                         "check that the parent directory is writable");
}

TempSiblingDir::~TempSiblingDir() {
    release();
}

void TempSiblingDir::release() {
    if (done_) return;
    done_ = true;
    std::error_code ec;
    fs::remove_all(tmp_, ec);
}

void TempSiblingDir::commit_replace() {
    const std::string dir = target_.string();
    std::error_code ec;
    // The old directory goes only once the new one is complete.
    if (fs::exists(target_, ec)) {
        if (!fs::is_directory(target_, ec))
            throw InputError("target exists and is not a directory", dir,
                             "remove it or choose another path");
        fs::remove_all(target_, ec);
        if (ec)
            throw InputError("cannot remove the old directory: " + ec.message(), dir,
                             "check permissions");
    }
    fs::rename(tmp_, target_, ec);
    if (ec)
        throw InputError("cannot rename the temporary directory into place: " + ec.message(), dir,
                         "check that the parent directory is writable");
    done_ = true;
}

void TempSiblingDir::commit_files(const std::vector<std::string>& names) {
    const std::string dir = target_.string();
    std::error_code ec;
    if (!fs::exists(target_, ec)) {
        commit_replace();
        return;
    }
    if (!fs::is_directory(target_, ec))
        throw InputError("target exists and is not a directory", dir,
                         "remove it or choose another path");
    for (const std::string& name : names) {
        fs::rename(tmp_ / name, target_ / name, ec);
        if (ec)
            throw InputError("cannot move " + name + " into place: " + ec.message(), dir,
                             "check that the directory is writable");
    }
    release();
}

}  // namespace sf
