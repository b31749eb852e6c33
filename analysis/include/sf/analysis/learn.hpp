// On-chip learning shown end to end (`spikeforge learn`): a network whose plastic
// projection starts from its initial weights learns unsupervised ON THE CHIP over a stream
// of training digits (STDP in the chip's fixed point, docs/chip-spec.md §6); then, with the
// learned weights frozen, its neurons are labelled by the class they answer most on
// labelled training digits and the test digits are classified by their vote, the way the
// float Diehl & Cook network is (docs/reference-snn.md). The float simulator does the same
// from the same initial weights with the float rule, so the two can be set side by side;
// and a bounded stretch of the learning runs on every chip backend asked for, whose learned
// weights must be identical.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sf {

struct LearnOptions {
    std::string network;
    std::string chip = "sf1";
    std::string population;          // the learning population; "" = the target of the
                                     // first plastic projection
    int64_t train = 1000;            // training digits streamed through the learning chip
    int64_t label = 1000;            // training digits used to label the neurons
    int64_t test = 1000;             // test digits classified by the vote
    bool reference = true;           // the float simulator does the same for comparison
    std::vector<std::string> backends{"functional"};  // chip backends; the first learns
    int64_t check_samples = 10;      // training digits run on every backend (weights compared)
    // How the digits are presented. By default each digit starts from reset neuron state
    // and traces (docs/chip-spec.md §7). `continuous` presents them as one stream, the way
    // a chip learning from a sensor would: state, traces and pending spikes carry from one
    // digit into the next (RunOptions::reset_between_samples = false), so that a slow
    // population can keep a memory of recent activity across digits (an adaptive
    // threshold built from neurons, networks/mnist-stdp-chip). `rest` silent steps follow
    // every digit, in either mode, and belong to that digit's spike counts.
    bool continuous = false;
    int rest = 0;
    // Score on held-out TRAINING digits (those after the training and labelling ones)
    // instead of the test split: for choosing settings without looking at the test set.
    bool validation = false;
    uint64_t seed = 1;
    bool progress = false;
    std::string out;                 // optional: write the chip-learned network here
};

nlohmann::json run_learning(const LearnOptions& opt);

// The Diehl & Cook read-out: neuron n is assigned the class with the highest mean count
// over the labelled samples (-1 if it never fired); a sample is classified as the class
// whose assigned neurons have the highest mean count (-1 when none fired).
std::vector<int> assign_classes(const std::vector<std::vector<int32_t>>& counts,
                                const std::vector<int>& labels, int classes);
int vote(const std::vector<int32_t>& counts, const std::vector<int>& assignment, int classes);

}  // namespace sf
