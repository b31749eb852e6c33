// A progress bar with rate and ETA for long-running commands. It draws only when enabled
// (the CLI enables it when stderr is a terminal and --json is off), so logs stay quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sf {

class Progress {
public:
    Progress(std::string label, int64_t total, bool enabled);
    ~Progress();

    // Set the number of items done; `extra` is shown after the rate (e.g. "loss 0.31").
    void update(int64_t done, const std::string& extra = {});
    void finish();

private:
    std::string label_;
    int64_t total_;
    bool enabled_;
    bool finished_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace sf
