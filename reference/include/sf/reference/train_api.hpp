// Entry points of the float reference that the CLI calls: training and evaluation of ANN
// models (reference/ann) and of spiking networks (reference/snn). Results come back as
// JSON objects so the CLI can print them as they are with --json, or as text.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace sf {

struct TrainOptions {
    std::string data;          // data set name; "" = the model file's default
    int epochs = -1;           // -1 = the model file's training.epochs
    uint64_t seed = 1;
    int64_t max_train = -1;    // limit training samples (-1 = all)
    int64_t max_test = -1;     // limit test samples used for the final accuracy
    double validation = 0;     // > 0: hold out this fraction of the training split and
                               // measure on it instead of the test split (batching.hpp)
    std::string out_dir;       // where the trained network is written (atomically)
    bool progress = false;     // draw a progress bar on stderr
    // Checkpoints (ANN and surrogate-gradient SNN training): every `checkpoint_every`
    // epochs (0 = never) OUT/checkpoint/ is replaced atomically by the network, the
    // optimiser state and the epoch reached; `resume_dir` continues such a run and gives
    // the same bits as an uninterrupted one.
    int checkpoint_every = 0;
    std::string resume_dir;
    // Worker threads (surrogate-gradient SNN training splits each batch's neurons over
    // them, ANN training each batch's fixed blocks of 32 samples, and the final evaluation
    // its samples): bit-identical results for any count. Hopfield storage is serial.
    int threads = 1;
};

struct EvalOptions {
    std::string data;          // "" = the network's default data set
    int64_t samples = -1;      // -1 = the whole test split
    bool progress = false;
    // Worker threads over samples (spiking networks and ANN models; Hopfield recall is
    // serial): the result is bit-identical for any count, and "threads" in the JSON says
    // what ran.
    int threads = 1;
};

// True if the YAML file (or directory with network.yaml) is a spiking network (Graph IR,
// has `populations:`), false if it is an ANN model (has `layers:`). Throws InputError if
// it is neither or cannot be read.
bool is_snn_model(const std::string& path);

// True if the file (or directory with network.yaml) says `type: hopfield`; false for any
// other readable YAML map. Throws InputError like is_snn_model.
bool is_hopfield_model(const std::string& path);

// ANN models (reference/ann). JSON: accuracy or reconstruction_mse, samples, wall_s, ...
nlohmann::json train_ann(const std::string& model_path, const TrainOptions& opt);
nlohmann::json eval_ann(const std::string& network_path, const EvalOptions& opt);

// Spiking networks (reference/snn): surrogate-gradient BPTT training, float evaluation.
nlohmann::json train_snn(const std::string& model_path, const TrainOptions& opt);
nlohmann::json eval_snn(const std::string& network_path, const EvalOptions& opt);

}  // namespace sf
