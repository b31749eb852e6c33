// Learning without backpropagation: BP, feedback alignment and direct feedback alignment
// on the 8x8 digits, same seed, same forward initialisation.
#include <catch2/catch.hpp>

#include "sf/core/error.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/feedback_alignment.hpp"

using namespace sf;

namespace {
FaResult train(FeedbackRule r, int epochs) {
    static const Dataset tr = load_dataset("digits", Split::Train);
    static const Dataset te = load_dataset("digits", Split::Test);
    FaOptions o;
    o.rule = r;
    o.hidden = {64, 64};
    o.epochs = epochs;
    o.learning_rate = 0.05f;
    o.rate_decay = 0.3f;
    o.seed = 3;
    return train_mlp_feedback(tr, te, o);
}
}  // namespace

TEST_CASE("Feedback alignment and DFA learn the digits without transporting weights, "
          "close to backprop",
          "[course][nobp]") {
    const FaResult bp = train(FeedbackRule::Backprop, 20);
    const FaResult fa = train(FeedbackRule::FeedbackAlignment, 20);
    const FaResult dfa = train(FeedbackRule::DirectFeedbackAlignment, 20);
    const double a_bp = bp.epochs.back().test_accuracy, a_fa = fa.epochs.back().test_accuracy,
                 a_dfa = dfa.epochs.back().test_accuracy;
    INFO("test accuracy: bp " << a_bp << ", fa " << a_fa << ", dfa " << a_dfa);
    CHECK(a_bp > 0.9);
    CHECK(a_fa > 0.88);
    CHECK(a_dfa > 0.88);
    CHECK(bp.epochs.back().weight_angle_deg.empty());
    // Training loss falls under every rule.
    for (const FaResult* r : {&bp, &fa, &dfa})
        CHECK(r->epochs.back().train_loss < 0.5 * r->epochs.front().train_loss);
}

TEST_CASE("Under feedback alignment the forward weights come to align with the random "
          "feedback: the angle falls well below 90 degrees",
          "[course][nobp]") {
    for (FeedbackRule r : {FeedbackRule::FeedbackAlignment, FeedbackRule::DirectFeedbackAlignment}) {
        const FaResult fa = train(r, 20);
        const auto& first = fa.epochs.front();
        const auto& last = fa.epochs.back();
        REQUIRE(last.signal_angle_deg.size() == 2);
        INFO(to_string(r) << ": teaching-signal angle of the last hidden layer, epoch 1 "
                          << first.signal_angle_deg[1] << ", last " << last.signal_angle_deg[1]
                          << "; weight angle " << first.weight_angle_deg[1] << " -> "
                          << last.weight_angle_deg[1]);
        // The layer fed by the output error aligns (Lillicrap et al. 2016, Fig. 2).
        CHECK(first.signal_angle_deg[1] > 80.0);  // random at the start
        CHECK(last.signal_angle_deg[1] < 75.0);
        CHECK(last.weight_angle_deg[1] < first.weight_angle_deg[1]);
        CHECK(last.weight_angle_deg[1] < 80.0);
    }
}

TEST_CASE("Feedback rules refuse bad names and options with one clear error", "[course][nobp]") {
    CHECK_THROWS_WITH(parse_feedback_rule("sgd"), Catch::Matchers::Contains("use bp, fa or dfa"));
    Dataset d;
    FaOptions o;
    CHECK_THROWS_WITH(train_mlp_feedback(d, d, o), Catch::Matchers::Contains("empty"));
}
