#include "sf/core/progress.hpp"

#include <cstdio>

namespace sf {

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled) {
    start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done, const std::string& extra) {
    if (!enabled_ || finished_) return;
    auto now = std::chrono::steady_clock::now();
    // Redraw at most 10 times a second, and always at the end.
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = elapsed > 0 ? done / elapsed : 0;
    double eta = rate > 0 ? (total_ - done) / rate : 0;
    const int width = 30;
    int filled = total_ > 0 ? int(width * done / total_) : 0;
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f/s ETA %.0fs %s\033[K", label_.c_str(),
                 bar.c_str(), (long long)done, (long long)total_, rate, eta, extra.c_str());
    std::fflush(stderr);
}

void Progress::finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    std::fprintf(stderr, "\n");
}

}  // namespace sf
