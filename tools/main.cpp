#include <cstdio>
#include <iostream>
#include <map>
#include <unistd.h>

#include "commands.hpp"
#include "sf/core/error.hpp"

namespace sf::cli {

void print_json(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

bool stderr_is_tty() { return isatty(fileno(stderr)) != 0; }

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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
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
