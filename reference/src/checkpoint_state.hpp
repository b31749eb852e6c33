// The state.json of a training checkpoint (ANN models and surrogate-gradient SNNs): read
// and checked in one place, so a missing, corrupt or foreign checkpoint gives one
// InputError naming the file, and the values the trainers then read have the right types.
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "sf/core/error.hpp"

namespace sf::detail {

// kind: "ann" or "snn" (an ANN checkpoint written before kinds existed has none). `extra`
// lists further keys the caller needs besides epochs_done, seed and step.
inline nlohmann::json read_checkpoint_state(const std::string& dir, const std::string& kind,
                                            std::initializer_list<const char*> extra = {}) {
    namespace fs = std::filesystem;
    const fs::path file = fs::path(dir) / "state.json";
    if (!fs::exists(file))
        throw InputError("not a checkpoint: " + dir + " has no state.json", "",
                         "give the OUT/checkpoint directory of an interrupted run");
    const nlohmann::json s = nlohmann::json::parse(std::ifstream(file), nullptr, false);
    const auto corrupt = [&](const std::string& what) {
        return InputError("corrupt checkpoint state: " + what, file.string(),
                          "start again without --resume");
    };
    if (!s.is_object()) throw corrupt("not a JSON object");
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
