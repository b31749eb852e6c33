#include "sf/core/yaml_file.hpp"

#include <set>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"

namespace sf {

namespace {

int line_of(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

}  // namespace

void refuse_duplicate_keys(const YAML::Node& node, const std::string& file) {
    if (node.IsSequence()) {
        for (const auto& e : node) refuse_duplicate_keys(e, file);
    } else if (node.IsMap()) {
        std::set<std::string> seen;
        for (const auto& kv : node) {
            const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
            if (kv.first.IsScalar() && !seen.insert(key).second)
                throw InputError("key '" + key + "' appears twice in one mapping",
                                 at_file(file, line_of(kv.first), key),
                                 "keep one of the two entries");
            refuse_duplicate_keys(kv.second, file);
        }
    }
}

YAML::Node load_yaml_file(const std::string& file, const std::string& what) {
    const std::string text = read_input_text(file, what);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw InputError("cannot parse the " + what + " as YAML: " + e.msg,
                         at_file(file, e.mark.line + 1), "fix the YAML syntax at that line");
    }
    refuse_duplicate_keys(root, file);
    return root;
}

}  // namespace sf
