// The spikeforge command line: each subcommand lives in its own cmd_*.cpp, which adds its
// options to the app and returns the function that runs it. main.cpp only dispatches and
// turns errors into one message and a non-zero exit code.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sf/core/chip_image.hpp"
#include "sf/core/run_result.hpp"

namespace sf::cli {

using Action = std::function<int()>;

Action add_compile(CLI::App& app);
Action add_info(CLI::App& app);
Action add_run(CLI::App& app);
Action add_train(CLI::App& app);
Action add_eval(CLI::App& app);
Action add_simulate(CLI::App& app);
Action add_convert(CLI::App& app);
Action add_compare(CLI::App& app);
Action add_sweep(CLI::App& app);
Action add_learn(CLI::App& app);
Action add_import(CLI::App& app);
Action add_export(CLI::App& app);
Action add_course(CLI::App& app);

// The `recorded` object of `spikeforge run --out/--json` (docs/formats.md, "Recorded data"):
// the recorded spikes and states of a chip run by population. rec: RecordFlags.
nlohmann::json recorded_json(const RunResult& r, unsigned rec, const ChipImage& img);

// Print a JSON object on stdout as one line.
void print_json(const nlohmann::json& j);

// Rejects an output path before any work is done, so a long run never fails at its end:
// empty, the wrong kind of thing already there (a file for a directory or back), a parent
// directory that does not exist or cannot be written. `option` names it ("-o", "--out").
void check_output_path(const std::string& path, const std::string& option, bool directory);

// Rejects a count option that was given with a value below `min` (e.g. --samples -5).
void check_count(CLI::App& cmd, const std::string& option, long long value, long long min);

// True when stderr is a terminal (progress bars are shown only then, and never with --json).
bool stderr_is_tty();
// A validator for a whole-number option: decimal digits only (no sign for lo >= 0, no
// hex, no exponent), in [lo, hi] (unsigned, so 0 .. 2^64 - 1 fits), without saturation.
// The message names the option, the range and the fix; leading zeros are dropped so the
// value CLI11 converts is the one checked.
CLI::Validator whole_number(const std::string& option, long long lo, unsigned long long hi);

// Refuses an empty value ("--data ''"), which would otherwise count as not given.
CLI::Validator non_empty(const std::string& option);

// Adds non_empty to every option that takes a value, in app and its subcommands.
void refuse_empty_values(CLI::App& app);


}  // namespace sf::cli
