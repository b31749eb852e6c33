#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "sf/core/error.hpp"

namespace sf::cli {

void print_json(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

bool stderr_is_tty() { return isatty(fileno(stderr)) != 0; }

void check_output_path(const std::string& path, const std::string& option, bool directory) {
    namespace fs = std::filesystem;
    const std::string what = directory ? "output directory" : "output file";
    if (path.empty())
        throw InputError(option + " is empty", option, "give the path of the " + what);
    fs::path p(path);
    // "out/" names the directory out.
    if (!p.has_filename()) p = p.parent_path();
    std::error_code ec;
    if (fs::exists(p, ec) && fs::is_directory(p, ec) != directory)
        throw InputError(what + " '" + path + "' exists and is " +
                             (directory ? "not a directory" : "a directory"),
                         option, "remove it or choose another path");
    fs::path parent = p.parent_path();
    if (parent.empty()) parent = ".";
    if (!fs::is_directory(parent, ec))
        throw InputError("the parent directory of " + what + " '" + path + "' does not exist",
                         option, "create " + parent.string() + " first, or choose another path");
    if (::access(parent.c_str(), W_OK) != 0)
        throw InputError("cannot write into " + parent.string(), option,
                         "choose a directory you may write to");
}

void check_count(CLI::App& cmd, const std::string& option, long long value, long long min) {
    if (cmd.count(option) && value < min)
        throw InputError(
            option + " must be " + std::to_string(min) + " or more, got " + std::to_string(value),
            option,
            "pass " + option + " " + std::to_string(min > 0 ? min : 1) +
                " or more, or leave it out");
}

CLI::Validator whole_number(const std::string& option, long long lo, unsigned long long hi) {
    const std::string range = "from " + std::to_string(lo) + " to " + std::to_string(hi);
    auto check = [option, lo, hi, range](std::string& value) -> std::string {
        const std::string bad = "must be a whole number " + range + ", got '" + value +
                                "'\n  fix: pass " + option + " N with N " + range;
        size_t i = 0;
        bool negative = false;
        if (i < value.size() && (value[i] == '-' || value[i] == '+')) negative = value[i++] == '-';
        if (i == value.size()) return bad;
        for (size_t k = i; k < value.size(); ++k)
            if (value[k] < '0' || value[k] > '9') return bad;
        while (i + 1 < value.size() && value[i] == '0') ++i;
        const std::string digits = value.substr(i);
        // Compare magnitudes as digit strings: no overflow, no saturation.
        auto less_equal = [](const std::string& a, const std::string& b) {
            return a.size() != b.size() ? a.size() < b.size() : a <= b;
        };
        const bool zero = digits == "0";
        if (negative && !zero) {
            if (lo >= 0) return bad;
            const unsigned long long mag = 0ULL - static_cast<unsigned long long>(lo);
            if (!less_equal(digits, std::to_string(mag))) return bad;
        } else {
            if (!less_equal(digits, std::to_string(hi))) return bad;
            if (lo > 0 && less_equal(digits, std::to_string(lo - 1))) return bad;
        }
        value = (negative && !zero ? "-" : "") + digits;
        return {};
    };
    return CLI::Validator(check, "INT " + range, "WHOLE_NUMBER");
}

CLI::Validator non_empty(const std::string& option) {
    auto check = [option](std::string& value) -> std::string {
        if (!value.empty()) return {};
        return "the value is empty\n  fix: give a value for " + option + ", or leave " + option + " out";
    };
    return CLI::Validator(check, "", "NON_EMPTY");
}

void refuse_empty_values(CLI::App& app) {
    for (CLI::Option* o : app.get_options())
        if (o->get_type_size() != 0 && o->get_expected_max() != 0)
            o->check(non_empty(o->get_name()));
    for (CLI::App* sub : app.get_subcommands({})) refuse_empty_values(*sub);
}

}  // namespace sf::cli

int main(int argc, char** argv) {
    using namespace sf::cli;
    CLI::App app{"spikeforge: compile spiking networks onto a neuromorphic chip and emulate it"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "spikeforge 0.1.0");

    std::map<std::string, Action> actions;
    auto add = [&](const char* name, Action (*adder)(CLI::App&)) {
        (void)name;
        actions[name] = adder(app);
    };
    add("compile", add_compile);
    add("info", add_info);
    add("run", add_run);
    add("train", add_train);
    add("eval", add_eval);
    add("simulate", add_simulate);
    add("convert", add_convert);
    add("compare", add_compare);
    add("sweep", add_sweep);
    add("learn", add_learn);
    add("import", add_import);
    add("export", add_export);
    add("course", add_course);
    refuse_empty_values(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" that exit 0; real ones get the one-message form.
        if (e.get_exit_code() == 0) return app.exit(e);
        std::string sub;
        for (auto* s : app.get_subcommands()) sub = " " + s->get_name();
        // Our validators carry their own fix; CLI11's own errors get the pointer to --help.
        const std::string msg = e.what();
        std::cerr << "spikeforge: error: " << msg;
        if (msg.find("\n  fix:") == std::string::npos)
            std::cerr << "\n  fix: see `spikeforge" << sub << " --help` for the arguments";
        std::cerr << std::endl;
        return e.get_exit_code();
    }

    try {
        for (auto* sub : app.get_subcommands()) return actions.at(sub->get_name())();
    } catch (const sf::Error& e) {
        std::cerr << "spikeforge: error: " << e.what() << std::endl;
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "spikeforge: error: out of memory\n  fix: use a smaller network, chip or "
                     "fewer samples"
                  << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "spikeforge: error: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
