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
#include <memory>
#include <string>
#include <vector>

#include "sf/reference/ann.hpp"
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

// The same rules for an ANN model (ann.hpp) of dense and elementwise layers, chosen in its
// model.yaml by training: {rule: fa | dfa, feedback_seed: N} and trained by `spikeforge
// train` with the model's own optimiser, loss and schedule. Every dense layer but the
// first receives its teaching signal through a fixed random matrix drawn from
// feedback_seed (Glorot-uniform): FA sends dy B_i (B_i shaped like W_i, [out x in]) back
// from dense layer i, DFA sends e B_i (B_i [K x in], e the output error) straight from the
// output. Use it as AnnFitOptions::feedback (a copy shares the matrices and the angle sums).
class AnnFeedback {
public:
    explicit AnnFeedback(const AnnModel& model);  // rule and seed from model.training

    void operator()(size_t layer, const AnnMatrix& output_error, const AnnMatrix& dy,
                    AnnMatrix& dx);

    // Per hidden layer (the input of the 2nd, 3rd, ... dense layer): the angle [deg]
    // between B_i and what backprop would use (FA: W_i; DFA: the product W_L ... W_i).
    std::vector<double> weight_angles_deg(const AnnModel& model) const;
    // Per hidden layer: the mean angle [deg] between the signal the rule sent and the one
    // backprop would have sent through the same downstream errors, over the batches since
    // the last call; resets the sums.
    std::vector<double> take_signal_angles_deg();

    FeedbackRule rule() const { return state_->rule; }

private:
    struct State {
        FeedbackRule rule = FeedbackRule::Backprop;
        std::vector<size_t> dense;  // layer indices of the dense layers but the first
        std::vector<AnnMatrix> b;   // feedback matrix per entry of dense
        std::vector<double> angle_sum;
        std::vector<int64_t> angle_count;
    };
    std::shared_ptr<State> state_;
};

}  // namespace sf
