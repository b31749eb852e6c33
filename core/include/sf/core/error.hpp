// Errors of spikeforge: one exception family that carries what went wrong, where
// (a file and line, a node or layer name) and how to fix it. The CLI prints it as
// one message and exits non-zero; library code never prints or exits by itself.
#pragma once

#include <stdexcept>
#include <string>

namespace sf {

class Error : public std::runtime_error {
public:
    // what: the problem. where: "network.yaml:12 (projection 'fc1')" or "" if none.
    // fix: one sentence on how to fix it, or "" if there is nothing useful to say.
    Error(std::string what, std::string where = {}, std::string fix = {});

    const std::string& problem() const { return what_; }
    const std::string& where() const { return where_; }
    const std::string& fix() const { return fix_; }

private:
    std::string what_, where_, fix_;
};

// Raised for inputs the user handed us (files, parameters, networks).
class InputError : public Error {
public:
    using Error::Error;
};

// Raised when a network does not fit the chip (compiler) or a resource limit is hit.
class CapacityError : public Error {
public:
    using Error::Error;
};

// Formats "where" for a file and line (line <= 0 means unknown).
std::string at_file(const std::string& file, int line = 0, const std::string& node = {});

}  // namespace sf
