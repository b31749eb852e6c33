// Bounded reading of user files (see input_file.hpp).
#include "sf/core/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sf/core/error.hpp"

namespace sf {

std::string format_bytes(uint64_t n) {
    if (n >= (uint64_t(1) << 30) && n % (uint64_t(1) << 30) == 0)
        return std::to_string(n >> 30) + " GiB";
    if (n >= (uint64_t(1) << 20) && n % (uint64_t(1) << 20) == 0)
        return std::to_string(n >> 20) + " MiB";
    return std::to_string(n) + " bytes";
}

namespace {

template <class Buffer>
Buffer read_bounded(const std::string& path, const std::string& what, uint64_t max_bytes) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            throw InputError(what + " not found (tried '" + path + "')", path,
                             "check the path; relative paths are taken from the directory of "
                             "the file that names it");
        throw InputError("cannot read " + what + ": " + std::strerror(errno), path,
                         "check the path and its permissions");
    }
    if (S_ISDIR(st.st_mode))
        throw InputError("expected a " + what + " but found a directory", path,
                         "give the path of the file itself");
    if (!S_ISREG(st.st_mode))
        throw InputError("the " + what + " is not a regular file (a device, FIFO or socket)",
                         path, "copy the data into a regular file and give its path");
    // O_NONBLOCK: if the path was swapped for a FIFO since stat(), open must not wait.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        throw InputError("cannot open " + what + ": " + std::strerror(errno), path,
                         "check file permissions");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        throw InputError("the " + what + " is not a regular file", path,
                         "copy the data into a regular file and give its path");
    const uint64_t size = uint64_t(st.st_size);
    if (size > max_bytes)
        throw InputError("the " + what + " is " + std::to_string(size) +
                             " bytes, more than the limit of " + format_bytes(max_bytes),
                         path, "split the data over smaller files");
    Buffer data;
    data.resize(size_t(size));
    size_t got = 0;
    while (got < data.size()) {
        const ssize_t r = ::read(fd, &data[got], data.size() - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0)
            throw InputError("error while reading " + what + ": " + std::strerror(errno), path,
                             "");
        if (r == 0) break;  // shrank while we read: keep what is there
        got += size_t(r);
    }
    data.resize(got);
    return data;
}

}  // namespace

std::vector<uint8_t> read_input_file(const std::string& path, const std::string& what,
                                     uint64_t max_bytes) {
    return read_bounded<std::vector<uint8_t>>(path, what, max_bytes);
}

std::string read_input_text(const std::string& path, const std::string& what,
                            uint64_t max_bytes) {
    return read_bounded<std::string>(path, what, max_bytes);
}

}  // namespace sf
