// The state.json of a training checkpoint (ANN models and surrogate-gradient SNNs): read
// and checked in one place, so a missing, corrupt or foreign checkpoint gives one
// InputError naming the file, and the values the trainers then read have the right types.
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"

namespace sf::detail {

// Parses JSON text, or gives a discarded value when it is not JSON. `duplicate` gets the
// first key that appears twice in one object (nlohmann would keep the last silently).
inline nlohmann::json parse_json_unique_keys(const std::string& text, std::string& duplicate) {
    std::vector<std::set<std::string>> open;  // keys seen, per object being parsed
    const nlohmann::json::parser_callback_t cb = [&](int, nlohmann::json::parse_event_t event,
                                                     nlohmann::json& parsed) {
        using E = nlohmann::json::parse_event_t;
        if (event == E::object_start) open.emplace_back();
        else if (event == E::object_end && !open.empty()) open.pop_back();
        else if (event == E::key && !open.empty() && parsed.is_string() &&
                 !open.back().insert(parsed.get<std::string>()).second && duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    return nlohmann::json::parse(text, cb, false);
}

// kind: "ann" or "snn" (an ANN checkpoint written before kinds existed has none). `extra`
// lists further keys the caller needs besides epochs_done, seed and step.
inline nlohmann::json read_checkpoint_state(const std::string& dir, const std::string& kind,
                                            std::initializer_list<const char*> extra = {}) {
    namespace fs = std::filesystem;
    const fs::path file = fs::path(dir) / "state.json";
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw InputError("not a checkpoint: " + dir + " has no state.json", "",
                         "give the OUT/checkpoint directory of an interrupted run");
    const auto corrupt = [&](const std::string& what) {
        return InputError("corrupt checkpoint state: " + what, file.string(),
                          "start again without --resume");
    };
    // Bounded read (a device or FIFO is refused); a key given twice is refused too, since
    // the JSON library would silently keep the last.
    const std::string text = read_input_text(file.string(), "checkpoint state.json");
    std::string duplicate;
    const nlohmann::json s = parse_json_unique_keys(text, duplicate);
    if (!duplicate.empty()) throw corrupt("key '" + duplicate + "' appears twice");
    if (!s.is_object()) throw corrupt("not a JSON object");
    if (s.contains("kind") && !s["kind"].is_string()) throw corrupt("'kind' must be a string");
    const std::string found = s.value("kind", std::string("ann"));
    if (found != kind)
        throw InputError("this checkpoint is of " +
                             std::string(found == "snn" ? "a spiking-network run" : "an ANN run") +
                             ", not of " + (kind == "snn" ? "a spiking network" : "an ANN model"),
                         file.string(), "resume it with the model file it was made from");
    auto need = [&](const char* key, bool ok, const char* what) {
        if (!s.contains(key)) throw corrupt(std::string("no '") + key + "'");
        if (!ok) throw corrupt(std::string("'") + key + "' must be " + what);
    };
    need("epochs_done", s.contains("epochs_done") && s["epochs_done"].is_number_integer() &&
                            s["epochs_done"].get<int64_t>() >= 0,
         "an integer >= 0");
    need("seed", s.contains("seed") && s["seed"].is_number_unsigned(), "an integer >= 0");
    need("step", s.contains("step") && s["step"].is_number_integer(), "an integer");
    if (s.contains("max_train") && !s["max_train"].is_number_integer())
        throw corrupt("'max_train' must be an integer");
    if (s.contains("validation") && !s["validation"].is_number())
        throw corrupt("'validation' must be a number");
    for (const char* key : extra)
        if (!s.contains(key)) throw corrupt(std::string("no '") + key + "'");
    return s;
}

}  // namespace sf::detail
