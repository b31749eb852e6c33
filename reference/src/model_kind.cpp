// Tells spiking networks (Graph IR, `populations:`) from ANN models (`layers:`) and
// Hopfield networks (`type: hopfield`), so the CLI can dispatch train/eval.
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"
#include "sf/reference/train_api.hpp"

namespace sf {

namespace {

// The YAML map of a model file (or of a directory's network.yaml), and that file's path.
struct ModelRoot {
    YAML::Node root;
    std::string file;
};

ModelRoot read_model_root(const std::string& path) {
    std::filesystem::path file(path);
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) file /= "network.yaml";
    if (!std::filesystem::exists(file, ec))
        throw InputError("network or model file not found: " + file.string(), "",
                         "give a model .yaml file or a network directory holding network.yaml");
    // Read through the bounded reader: a directory, device or FIFO named network.yaml is
    // refused here (yaml-cpp's LoadFile leaked on a directory and read /dev/zero forever).
    const std::string text = read_input_text(file.string(), "network file");
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw InputError(std::string("cannot parse YAML: ") + e.what(),
                         at_file(file.string(), e.mark.line + 1), "fix the YAML syntax");
    }
    if (!root.IsMap())
        throw InputError("not a network file (not a YAML map)", file.string(),
                         "see docs/formats.md and docs/reference-ann.md");
    return {root, file.string()};
}

std::string model_type(const YAML::Node& root) {
    try {
        return root["type"] ? root["type"].as<std::string>("") : "";
    } catch (const YAML::Exception&) {
        return "";
    }
}

}  // namespace

bool is_hopfield_model(const std::string& path) {
    return model_type(read_model_root(path).root) == "hopfield";
}

bool is_snn_model(const std::string& path) {
    const auto [root, file] = read_model_root(path);
    const std::string type = model_type(root);
    if (root["populations"] || type == "snn") return true;
    if (root["layers"] || type == "ann" || type == "hopfield") return false;
    throw InputError("cannot tell what kind of network this is", file,
                     "a spiking network has 'populations:', an ANN model has 'layers:'");
}

}  // namespace sf
