// Outputs never destroy what spikeforge did not make (issue 7): compile, train and convert
// write an output directory only when it is new, empty or an earlier output of the same
// kind, and a compile killed at any step of the swap leaves the whole old or the whole new
// image, with the next run cleaning up.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "cli_test_util.hpp"
#include "sf/core/chip_image.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using sf_cli_test::hidden_entries;
using sf_cli_test::Run;
using sf_cli_test::Sandbox;
using sf_cli_test::slurp;

namespace {

// The compile seed an image at dir was made with; -1 when it does not load whole.
long image_seed(const std::string& dir) {
    try {
        return long(sf::load_chip_image(dir).seed);
    } catch (const std::exception&) {
        return -1;
    }
}

}  // namespace

TEST_CASE("compile -o refuses an existing directory that is not a chip image and keeps it",
          "[cli][io]") {
    Sandbox sb;
    fs::create_directories(sb.dir / "mydir");
    std::ofstream(sb.dir / "mydir/thesis.tex") << "years of work";
    const Run r = sb.run("compile net -o mydir");
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Contains("mydir") && Contains("not a spikeforge chip-image") &&
                          Contains("fix:") && Contains("another path"));
    CHECK(slurp(sb.dir / "mydir/thesis.tex") == "years of work");
    CHECK(hidden_entries(sb.dir) == 0);
}

TEST_CASE("compile -o . and -o .. are refused and delete nothing", "[cli][io]") {
    Sandbox sb;
    std::ofstream(sb.dir / "keep.txt") << "mine";
    for (const std::string& o : std::vector<std::string>{".", "./", "..", sb.dir.string(),
                                                          sb.dir.string() + "/"}) {
        INFO(o);
        const Run r = sb.run("compile net -o " + o);
        CHECK(r.rc != 0);
        CHECK_THAT(r.err, Contains("fix:"));
        CHECK(slurp(sb.dir / "keep.txt") == "mine");
        CHECK(fs::exists(sb.dir / "net/network.yaml"));
    }
}

TEST_CASE("compile -o with a trailing slash writes or replaces the named image", "[cli][io]") {
    Sandbox sb;
    Run r = sb.run("compile net -o new.img/ --seed 5");
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(image_seed(sb.p("new.img")) == 5);
    r = sb.run("compile net -o new.img/ --seed 6");
    REQUIRE(r.rc == 0);
    CHECK(image_seed(sb.p("new.img")) == 6);
    CHECK(hidden_entries(sb.dir) == 0);
}

TEST_CASE("compile replaces an image it wrote, but not an unmarked image of an older version",
          "[cli][io]") {
    Sandbox sb;
    REQUIRE(sb.run("compile net -o a.img --seed 1").rc == 0);
    REQUIRE(sb.run("compile net -o a.img --seed 2").rc == 0);
    CHECK(image_seed(sb.p("a.img")) == 2);
    fs::remove(sb.dir / "a.img/.spikeforge-output");
    const Run r = sb.run("compile net -o a.img --seed 3");
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Contains("earlier spikeforge") && Contains("rm -r a.img"));
    CHECK(image_seed(sb.p("a.img")) == 2);
}

TEST_CASE("compile into a network directory, or train into an image, names the mix-up",
          "[cli][io]") {
    Sandbox sb;
    REQUIRE(sb.run("compile net -o a.img").rc == 0);
    const Run r = sb.run("convert a.img --data digits -o a.img");
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Contains("holds a spikeforge chip-image, not a network"));
    CHECK(image_seed(sb.p("a.img")) == 1);
}

TEST_CASE("train -o refuses a directory of other files before training", "[cli][io]") {
    Sandbox sb;
    fs::create_directories(sb.dir / "notes");
    std::ofstream(sb.dir / "notes/todo.txt") << "x";
    const Run r = sb.run("train net --data digits -o notes");
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Contains("notes") && Contains("not a spikeforge network"));
    CHECK(slurp(sb.dir / "notes/todo.txt") == "x");
}

TEST_CASE("compile killed at any step of the swap leaves the whole old or new image",
          "[cli][io][fault]") {
    Sandbox sb;
    for (const bool exchange : {true, false}) {
        for (const char* step : {"staged", "built", "carried", "marked", "exchanged", "old-moved",
                                 "new-moved", "old-removing", "done"}) {
            INFO("step " << step << (exchange ? " (exchange)" : " (two renames)"));
            fs::remove_all(sb.dir / "x.img");
            REQUIRE(sb.run("compile net -o x.img --seed 1").rc == 0);
            const std::string env = std::string("SF_FAULT_AT=") + step +
                                    (exchange ? "" : " SF_FAULT_NO_EXCHANGE=1");
            const Run killed = sb.run("compile net -o x.img --seed 2", env);
            const bool reached = killed.signal == SIGKILL;
            CHECK((reached || killed.rc == 0));
            const long seed = image_seed(sb.p("x.img"));
            if (reached && !exchange && std::string(step) == "old-moved") {
                // Between the two renames the old image waits at its .old name.
                CHECK_FALSE(fs::exists(sb.dir / "x.img"));
            } else {
                CHECK((seed == 1 || seed == 2));
            }
            // The next run restores or cleans up and writes its own image.
            const Run next = sb.run("compile net -o x.img --seed 3");
            INFO(next.err);
            CHECK(next.rc == 0);
            CHECK(image_seed(sb.p("x.img")) == 3);
            CHECK(hidden_entries(sb.dir) == 0);
        }
    }
}

TEST_CASE("A killed compile's temporary directory is removed by the next compile", "[cli][io]") {
    Sandbox sb;
    const Run killed = sb.run("compile net -o y.img", "SF_FAULT_AT=built");
    REQUIRE(killed.signal == SIGKILL);
    CHECK(hidden_entries(sb.dir) == 1);
    CHECK_FALSE(fs::exists(sb.dir / "y.img"));
    REQUIRE(sb.run("compile net -o y.img").rc == 0);
    CHECK(hidden_entries(sb.dir) == 0);
}

TEST_CASE("convert killed at any step of the swap leaves a network and its ANN link that agree",
          "[cli][io][fault]") {
    // converted-from.json is swapped in with network.yaml: after a kill, both come from the
    // same convert (its --timesteps tells which), never the new network with the old link.
    Sandbox sb;
    const std::string ann = std::string(SF_SOURCE_DIR) + "/networks/digits-logreg";
    auto convert = [&](int steps, const std::string& env) {
        return sb.run("convert " + ann + " --data digits --samples 0 --timesteps " +
                          std::to_string(steps) + " -o lr",
                      env);
    };
    auto steps_of_network = [&]() {
        const std::string y = slurp(sb.dir / "lr/network.yaml");
        const auto at = y.find("timesteps: ");
        return at == std::string::npos ? -1 : std::atoi(y.c_str() + at + 11);
    };
    auto steps_of_link = [&]() {
        const std::string j = slurp(sb.dir / "lr/converted-from.json");
        const auto at = j.find("\"timesteps\": ");
        return at == std::string::npos ? -1 : std::atoi(j.c_str() + at + 13);
    };
    for (const char* step : {"staged", "built", "carried", "marked", "exchanged", "done"}) {
        INFO("step " << step);
        fs::remove_all(sb.dir / "lr");
        REQUIRE(convert(10, "").rc == 0);
        REQUIRE(steps_of_link() == 10);
        const Run killed = convert(20, std::string("SF_FAULT_AT=") + step);
        CHECK((killed.signal == SIGKILL || killed.rc == 0));
        const int n = steps_of_network();
        CHECK((n == 10 || n == 20));
        CHECK(steps_of_link() == n);
    }
}
