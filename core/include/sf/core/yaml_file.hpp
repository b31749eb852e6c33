// Loading a YAML file a user hands us: read through the bounded reader (regular files only,
// at most kMaxTextFileBytes), parsed by yaml-cpp, with every key given twice refused (yaml-cpp
// would keep one of the two silently). Errors name the file and line.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace sf {

// The parsed document of `file`. `what` names the kind of file in messages ("model file").
// Throws InputError when the file is missing, not a regular file, too large, not YAML, or
// holds a key twice in one mapping.
YAML::Node load_yaml_file(const std::string& file, const std::string& what);

// Throws InputError for the first mapping in `node` that holds a key twice.
void refuse_duplicate_keys(const YAML::Node& node, const std::string& file);

}  // namespace sf
