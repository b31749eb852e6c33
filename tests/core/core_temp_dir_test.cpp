// Atomic output directories (sf/core/temp_dir.hpp): what a commit leaves behind, and that
// an abandoned build leaves nothing.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/core/temp_dir.hpp"

namespace fs = std::filesystem;
using sf_test::read_text;
using sf_test::TempDir;
using sf_test::write_text;

namespace {

// Entries of dir whose names start with '.': leftover temporary directories.
int hidden_entries(const std::string& dir) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string()[0] == '.') ++n;
    return n;
}

}  // namespace

TEST_CASE("A staged directory replaces or merges into its target and leaves no temporaries",
          "[core][io]") {
    TempDir root;
    const std::string target = root / "net";

    SECTION("a new target is the staged directory itself") {
        sf::TempSiblingDir s(target);
        write_text((s.path() / "a.txt").string(), "new a");
        s.commit_files({"a.txt"});
        CHECK(read_text(target + "/a.txt") == "new a");
    }
    SECTION("an existing target keeps its other files and gets the listed ones") {
        fs::create_directories(target);
        write_text(target + "/README.md", "keep me");
        write_text(target + "/a.txt", "old a");
        sf::TempSiblingDir s(target);
        write_text((s.path() / "a.txt").string(), "new a");
        write_text((s.path() / "b.txt").string(), "new b");
        s.commit_files({"a.txt", "b.txt"});
        CHECK(read_text(target + "/README.md") == "keep me");
        CHECK(read_text(target + "/a.txt") == "new a");
        CHECK(read_text(target + "/b.txt") == "new b");
    }
    SECTION("commit_replace drops what the old target held") {
        fs::create_directories(target);
        write_text(target + "/old.txt", "old");
        sf::TempSiblingDir s(target);
        write_text((s.path() / "a.txt").string(), "new a");
        s.commit_replace();
        CHECK_FALSE(fs::exists(target + "/old.txt"));
        CHECK(read_text(target + "/a.txt") == "new a");
    }
    SECTION("a build that is never committed leaves nothing, the target untouched") {
        {
            sf::TempSiblingDir s(target);
            write_text((s.path() / "a.txt").string(), "half");
        }
        CHECK_FALSE(fs::exists(target));
    }
    SECTION("a listed file that was never written is an InputError naming the target") {
        fs::create_directories(target);
        sf::TempSiblingDir s(target);
        CHECK_THROWS_WITH(s.commit_files({"missing.npz"}), Catch::Contains(target));
    }
    SECTION("a missing parent or a target that is a file is an InputError") {
        CHECK_THROWS_AS(sf::TempSiblingDir(root / "no/such/dir"), sf::InputError);
        write_text(target, "a file");
        sf::TempSiblingDir s(target);
        CHECK_THROWS_AS(s.commit_files({}), sf::InputError);
    }
    CHECK(hidden_entries(root.str()) == 0);
}
