#include "sf/core/error.hpp"

namespace sf {

namespace {
std::string compose(const std::string& what, const std::string& where, const std::string& fix) {
    std::string s;
    if (!where.empty()) s += where + ": ";
    s += what;
    if (!fix.empty()) s += "\n  fix: " + fix;
    return s;
}
}  // namespace

Error::Error(std::string what, std::string where, std::string fix)
    : std::runtime_error(compose(what, where, fix)),
      what_(std::move(what)),
      where_(std::move(where)),
      fix_(std::move(fix)) {}

std::string at_file(const std::string& file, int line, const std::string& node) {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line);
    if (!node.empty()) s += (s.empty() ? "" : " ") + std::string("(") + node + ")";
    return s;
}

}  // namespace sf
