// The checkpoint state.json reader (reference/src/checkpoint_state.hpp) on malformed files
// (issue 7): a wrong-typed kind was a JSON library exception, a key given twice was
// silently resolved, and a device was read forever.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "../../reference/src/checkpoint_state.hpp"
#include "sf/core/error.hpp"

using Catch::Matchers::Contains;

namespace {
std::string state_error(const std::string& json) {
    sf_test::ScratchDir d;
    sf_test::write_text(d / "state.json", json);
    try {
        sf::detail::read_checkpoint_state(d.str(), "ann");
    } catch (const sf::InputError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("A checkpoint state with a key twice or a wrong-typed kind is refused clearly",
          "[ann][checkpoint][errors]") {
    CHECK_THAT(state_error(R"({"kind": "ann", "epochs_done": 1, "epochs_done": 2, "seed": 1, "step": 1})"),
               Contains("state.json") && Contains("'epochs_done' appears twice"));
    CHECK_THAT(state_error(R"({"kind": 5, "epochs_done": 1, "seed": 1, "step": 1})"),
               Contains("'kind' must be a string"));
    CHECK(state_error(R"({"kind": "ann", "epochs_done": 1, "seed": 1, "step": 1, "h": [{"a": 1}, {"a": 2}]})")
              .empty());
}

TEST_CASE("A checkpoint state.json that is a FIFO is refused instead of waited on",
          "[ann][checkpoint][errors]") {
    sf_test::ScratchDir d;
    REQUIRE(::mkfifo((d / "state.json").c_str(), 0600) == 0);
    CHECK_THROWS_WITH(sf::detail::read_checkpoint_state(d.str(), "ann"),
                      Contains("not a regular file"));
}
