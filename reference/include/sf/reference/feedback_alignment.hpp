// Learning without backpropagation for the MLP: feedback alignment (FA; Lillicrap et al.
// 2016, Nat. Commun. 7:13276) sends the output error back through fixed random matrices B
// in place of the transposed forward weights; direct feedback alignment (DFA; Nokland 2016,
// NeurIPS) sends it straight from the output to every hidden layer. Backprop (BP) runs in
// the same code with the same seed, so the three differ only in the backward pass. The
// alignment angle between what the rule sends back and what backprop would send is
// reported per epoch: it starts near 90 degrees (random) and falls as the forward
// weights come to align with the feedback ("the network learns to learn").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sf/reference/datasets.hpp"

namespace sf {

enum class FeedbackRule { Backprop, FeedbackAlignment, DirectFeedbackAlignment };
FeedbackRule parse_feedback_rule(const std::string& name);  // "bp", "fa", "dfa"
const char* to_string(FeedbackRule r);

struct FaOptions {
    FeedbackRule rule = FeedbackRule::Backprop;
    std::vector<int> hidden{128};  // hidden layer sizes (ReLU)
    int epochs = 5;
    int batch = 32;
    float learning_rate = 0.05f;   // plain SGD, softmax cross-entropy
    float rate_decay = 0.0f;       // [1/epoch] rate of epoch e: learning_rate / (1 + e * decay)
    uint64_t seed = 1;             // initial weights, feedback matrices, sample order
};

struct FaEpoch {
    double train_loss = 0.0;
    double test_accuracy = 0.0;
    // Per hidden layer l (0 = first): the angle [deg] between the rule's feedback matrix and
    // the one backprop would use (FA: B_{l+1} against W_{l+1}^T; DFA: B_l against the
    // product W_{l+1}^T ... W_L^T); and the mean angle between the teaching signals
    // delivered to the layer's units by the rule and by backprop, over the epoch's batches.
    // Empty for BP.
    std::vector<double> weight_angle_deg, signal_angle_deg;
};

struct FaResult {
    std::vector<FaEpoch> epochs;
};

FaResult train_mlp_feedback(const Dataset& train, const Dataset& test, const FaOptions& o);

}  // namespace sf
