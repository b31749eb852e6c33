// Typed reads of one YAML value for the reference's model loaders: a missing key gives the
// default, a value of the wrong type (or a non-finite number) gives one InputError naming
// the file, line and key, what the value must be, and what it was.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <string>
#include <type_traits>

#include "sf/core/error.hpp"

namespace sf::detail {

template <class T>
const char* yaml_type_name() {
    if (std::is_same<T, bool>::value) return "true or false";
    if (std::is_integral<T>::value) return "an integer";
    if (std::is_floating_point<T>::value) return "a finite number";
    if (std::is_same<T, std::string>::value) return "a string";
    return "a list of integers";
}

// map[key] as T, or dflt when map or the key is missing. `want` describes an acceptable
// value in the message (default: the type's name).
template <class T>
T yaml_value(const YAML::Node& map, const char* key, T dflt, const std::string& file,
             const char* want = nullptr) {
    if (!map || !map[key]) return dflt;
    const YAML::Node v = map[key];
    const std::string what = want ? want : yaml_type_name<T>();
    auto bad = [&]() -> InputError {
        return InputError(std::string("'") + key + "' must be " + what +
                              (v.IsScalar() ? ", got '" + v.Scalar() + "'" : std::string()),
                          at_file(file, v.Mark().line + 1, key), "write " + what + " here");
    };
    // Strings and numbers are scalars: yaml-cpp would turn a list or map into a string
    // without complaint.
    if ((std::is_arithmetic<T>::value || std::is_same<T, std::string>::value) && !v.IsScalar())
        throw bad();
    try {
        const T x = v.as<T>();
        if constexpr (std::is_floating_point<T>::value)
            if (!std::isfinite(x)) throw bad();
        return x;
    } catch (const YAML::Exception&) {
        throw bad();
    }
}

}  // namespace sf::detail
