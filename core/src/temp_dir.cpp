#include "sf/core/temp_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "sf/core/error.hpp"

namespace fs = std::filesystem;

namespace sf {

namespace {

std::string unique_suffix() {
    static std::atomic<unsigned> n{0};
    return std::to_string(::getpid()) + "." + std::to_string(n.fetch_add(1));
}

std::string where_of(const std::string& path, const std::string& option) {
    return option.empty() ? path : option + " " + path;
}

// The kind named by dir's marker, or "" when it has none.
std::string marker_kind(const fs::path& dir) {
    std::ifstream in(dir / kOutputMarker);
    if (!in) return {};
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

void write_marker(const fs::path& dir, OutputKind kind) {
    std::ofstream out(dir / kOutputMarker, std::ios::binary | std::ios::trunc);
    out << to_string(kind) << "\n"
        << "# written by spikeforge: this directory is an output that spikeforge may replace\n";
    out.flush();
    if (!out)
        throw InputError("cannot write the output marker", (dir / kOutputMarker).string(),
                         "check free disk space and permissions");
}

// A leftover sibling of target: ".<name>.tmp.<pid>.<n>" or ".<name>.old.<pid>.<n>".
struct Leftover {
    fs::path path;
    bool old = false;
    long pid = 0;
};

bool parse_leftover(const std::string& entry, const std::string& name, Leftover& out) {
    const std::string head = "." + name + ".";
    if (entry.size() <= head.size() || entry.compare(0, head.size(), head) != 0) return false;
    std::string rest = entry.substr(head.size());
    if (rest.compare(0, 4, "tmp.") == 0)
        out.old = false;
    else if (rest.compare(0, 4, "old.") == 0)
        out.old = true;
    else
        return false;
    rest = rest.substr(4);
    const size_t dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == rest.size()) return false;
    for (size_t i = 0; i < rest.size(); ++i)
        if (i != dot && (rest[i] < '0' || rest[i] > '9')) return false;
    out.pid = std::strtol(rest.substr(0, dot).c_str(), nullptr, 10);
    return out.pid > 0;
}

// Any writer's temporary: ".<x>.tmp.<pid>.<n>" or ".<x>.old.<pid>.<n>" (not carried over).
bool is_temp_name(const std::string& entry) {
    if (entry.size() < 2 || entry[0] != '.') return false;
    const size_t t = entry.rfind(".tmp."), o = entry.rfind(".old.");
    const size_t at = t == std::string::npos ? o : (o == std::string::npos ? t : std::max(t, o));
    if (at == std::string::npos || at < 2) return false;
    Leftover l;
    return parse_leftover(entry, entry.substr(1, at - 1), l);
}

bool process_is_gone(long pid) {
    if (pid == long(::getpid())) return false;
    return ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
}

// Removes a directory tree; the fault point lets tests kill a run half-way through.
void remove_tree(const fs::path& p) {
    std::error_code ec;
    bool first = true;
    if (fs::is_directory(fs::symlink_status(p, ec))) {
        for (const auto& e : fs::directory_iterator(p, ec)) {
            fs::remove_all(e.path(), ec);
            if (first) fault_point("old-removing");
            first = false;
        }
    }
    fs::remove_all(p, ec);
}

// Hard-links (or, where links fail, copies) the tree at from to the new path to.
void carry(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(from, ec);
    if (fs::is_symlink(st)) {
        fs::copy_symlink(from, to);
    } else if (fs::is_directory(st)) {
        fs::create_directory(to);
        for (const auto& e : fs::directory_iterator(from)) carry(e.path(), to / e.path().filename());
    } else {
        fs::create_hard_link(from, to, ec);
        if (ec) fs::copy_file(from, to);
    }
}

bool exchange_disabled() {
    const char* v = std::getenv("SF_FAULT_NO_EXCHANGE");
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace

const char* to_string(OutputKind kind) {
    switch (kind) {
        case OutputKind::ChipImage: return "chip-image";
        case OutputKind::Network: return "network";
        case OutputKind::Checkpoint: return "checkpoint";
    }
    return "?";
}

void fault_point(const char* step) {
    const char* at = std::getenv("SF_FAULT_AT");
    if (at != nullptr && std::strcmp(at, step) == 0) ::raise(SIGKILL);
}

fs::path check_output_dir(const std::string& path, OutputKind kind, const std::string& option) {
    const std::string kind_name = to_string(kind);
    const std::string where = where_of(path, option);
    const std::string other = "choose another path";
    if (path.empty())
        throw InputError("the output path is empty", option, "give the path of the output directory");
    // "out/" names the directory out.
    std::string s = path;
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    if (s == "/")
        throw InputError("the filesystem root cannot be an output directory", where, other);
    const fs::path p(s);
    const std::string name = p.filename().string();
    if (name == "." || name == "..")
        throw InputError("'" + path + "' names " +
                             (name == "." ? "the current directory" : "a parent directory") +
                             ", which cannot be replaced by an output",
                         where, "name a new directory, e.g. " + (option.empty() ? "-o" : option) +
                                    " out." + (kind == OutputKind::ChipImage ? "img" : "net"));
    fs::path parent = p.parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (!fs::is_directory(parent, ec))
        throw InputError("the parent directory of '" + path + "' does not exist", where,
                         "create " + parent.string() + " first, or " + other);
    // The working directory and its ancestors: replacing one pulls the ground from under
    // the process (and the user's shell).
    const fs::path full = fs::canonical(parent, ec) / name;
    if (!ec) {
        const fs::path cwd = fs::canonical(fs::current_path(ec), ec);
        for (fs::path q = cwd; !ec && !q.empty(); q = q.parent_path()) {
            if (q == full)
                throw InputError("'" + path + "' is the working directory or one of its parents",
                                 where, "write the output into a new directory below it");
            if (q == q.parent_path()) break;
        }
    }
    const fs::file_status st = fs::symlink_status(p, ec);
    if (!fs::exists(st)) return p;
    if (fs::is_symlink(st))
        throw InputError("'" + path + "' is a symbolic link", where,
                         "give the real path of the directory, or " + other);
    if (!fs::is_directory(st))
        throw InputError("'" + path + "' exists and is not a directory", where,
                         other + ", or remove it yourself if you no longer need it");
    fs::directory_iterator it(p, ec);
    if (ec)
        throw InputError("cannot read the existing directory '" + path + "': " + ec.message(),
                         where, other);
    if (it == fs::directory_iterator()) return p;  // empty: nothing to lose
    const std::string found = marker_kind(p);
    if (found == kind_name) return p;
    if (!found.empty())
        throw InputError("'" + path + "' holds a spikeforge " + found + ", not a " + kind_name,
                         where, other + ", or remove it yourself (rm -r " + s + ")");
    std::string what = "'" + path + "' exists and is not a spikeforge " + kind_name +
                       " output (it has no " + kOutputMarker + " marker), so it is not replaced";
    if (kind == OutputKind::ChipImage && fs::exists(p / "image.yaml", ec))
        what += "; it looks like a chip image written by an earlier spikeforge";
    if (kind != OutputKind::ChipImage && fs::exists(p / "network.yaml", ec))
        what += "; it holds a network.yaml written by hand or by an earlier spikeforge";
    throw InputError(what, where,
                     other + ", or remove it yourself (rm -r " + s +
                         ") if you no longer need what it holds");
}

void ensure_output_dir(const std::string& path, OutputKind kind) {
    const fs::path p = check_output_dir(path, kind);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(p, ec))) {
        if (marker_kind(p).empty()) write_marker(p, kind);
        return;
    }
    TempSiblingDir made(p.string(), kind);
    made.commit_replace();
}

int clean_stale_siblings(const fs::path& target) {
    fs::path parent = target.parent_path();
    if (parent.empty()) parent = ".";
    const std::string name = target.filename().string();
    std::vector<Leftover> stale;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(parent, ec)) {
        Leftover l;
        if (parse_leftover(e.path().filename().string(), name, l) && process_is_gone(l.pid)) {
            l.path = e.path();
            stale.push_back(l);
        }
    }
    int n = 0;
    // A run killed between its two renames left the old output only at its .old name.
    if (!fs::exists(fs::symlink_status(target, ec))) {
        for (auto& l : stale) {
            if (!l.old) continue;
            if (::renameat2(AT_FDCWD, l.path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) ==
                    0 ||
                (errno == EINVAL && ::rename(l.path.c_str(), target.c_str()) == 0)) {
                l.path.clear();
                ++n;
                break;
            }
        }
    }
    for (const auto& l : stale) {
        if (l.path.empty()) continue;
        fs::remove_all(l.path, ec);
        ++n;
    }
    return n;
}

TempSiblingDir::TempSiblingDir(const std::string& target, OutputKind kind) : kind_(kind) {
    target_ = check_output_dir(target, kind);
    clean_stale_siblings(target_);
    // A restored old directory is checked like any other.
    target_ = check_output_dir(target_.string(), kind);
    fs::path parent = target_.parent_path();
    if (parent.empty()) parent = ".";
    tmp_ = parent / ("." + target_.filename().string() + ".tmp." + unique_suffix());
    std::error_code ec;
    if (!fs::create_directory(tmp_, ec) || ec)
        throw InputError("cannot create a temporary directory: " + ec.message(), tmp_.string(),
                         "check that the parent directory is writable");
    fault_point("staged");
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
    fault_point("built");
    fault_point("carried");
    swap_in();
}

void TempSiblingDir::commit_files(const std::vector<std::string>& names) {
    const std::string dir = target_.string();
    std::error_code ec;
    if (names.empty())
        throw InputError("nothing to put into place", dir, "name the files that were written");
    for (const std::string& name : names)
        if (!fs::exists(tmp_ / name, ec))
            throw InputError("cannot move " + name + " into place: it was not written", dir,
                             "check free disk space and permissions");
    fault_point("built");
    // Recheck: the target may have changed while the output was being made.
    check_output_dir(dir, kind_);
    if (fs::is_directory(fs::symlink_status(target_, ec))) {
        try {
            for (const auto& e : fs::directory_iterator(target_)) {
                const std::string entry = e.path().filename().string();
                if (entry == kOutputMarker || is_temp_name(entry) ||
                    fs::exists(fs::symlink_status(tmp_ / entry, ec)))
                    continue;
                carry(e.path(), tmp_ / entry);
            }
        } catch (const fs::filesystem_error& e) {
            throw InputError(std::string("cannot carry the other files of the old directory "
                                         "over: ") +
                                 e.what(),
                             dir, "check free disk space and permissions");
        }
    }
    fault_point("carried");
    swap_in();
}

void TempSiblingDir::swap_in() {
    const std::string dir = target_.string();
    check_output_dir(dir, kind_);
    write_marker(tmp_, kind_);
    fault_point("marked");
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(target_, ec))) {
        // A new target: one rename, which must not land on something made meanwhile.
        int rc = ::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS))
            rc = ::rename(tmp_.c_str(), target_.c_str());
        if (rc != 0)
            throw InputError(std::string("cannot rename the temporary directory into place: ") +
                                 std::strerror(errno),
                             dir, "check that the parent directory is writable");
        done_ = true;
        fault_point("exchanged");
        fault_point("done");
        return;
    }
    // An existing target: exchange the two names atomically; the old output is then at the
    // temporary name and goes last.
    if (!exchange_disabled() &&
        ::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
        done_ = true;
        fault_point("exchanged");
        remove_tree(tmp_);
        fault_point("done");
        return;
    }
    if (!exchange_disabled() && errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        throw InputError(std::string("cannot swap the new output into place: ") +
                             std::strerror(errno),
                         dir, "check that the parent directory is writable");
    // No exchange on this file system: two renames. Between them the old output is only at
    // its .old name, which the next writer of this path renames back (clean_stale_siblings).
    fs::path parent = target_.parent_path();
    if (parent.empty()) parent = ".";
    const fs::path old = parent / ("." + target_.filename().string() + ".old." + unique_suffix());
    if (::rename(target_.c_str(), old.c_str()) != 0)
        throw InputError(std::string("cannot move the old output aside: ") + std::strerror(errno),
                         dir, "check that the parent directory is writable");
    fault_point("old-moved");
    if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::rename(old.c_str(), target_.c_str());
        throw InputError("cannot rename the temporary directory into place: " + why, dir,
                         "check that the parent directory is writable");
    }
    done_ = true;
    fault_point("new-moved");
    remove_tree(old);
    fault_point("done");
}

void write_file_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f)
            throw InputError("cannot write '" + path + "'", path,
                             "check that the directory exists and is writable");
        f << text;
        f.flush();
        if (!f) {
            std::error_code ec;
            fs::remove(tmp, ec);
            throw InputError("writing '" + path + "' failed", path, "check free disk space");
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw InputError("cannot move the output into place at '" + path + "'", path,
                         "check that the directory is writable");
    }
}

}  // namespace sf
