// A FIFO of docs/microarchitecture.md §0, as plain C++ state inside the clocked chip model:
// depth D, popped at most once and pushed at most once per cycle, both decided from the
// count at the start of the cycle. The chip applies pops before pushes at the end of the
// cycle, so a full FIFO that is popped does not take a push in the same cycle (the
// producer saw it full), and a pushed entry is at the head only from the next cycle on.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

namespace sf::sc {

class Fifo {
  public:
    void reset(int depth) {
        buf_.assign(size_t(depth > 0 ? depth : 1), 0);
        cap_ = uint32_t(depth);
        head_ = count_ = max_ = 0;
    }
    uint32_t count() const { return count_; }
    uint32_t depth() const { return cap_; }
    bool empty() const { return count_ == 0; }
    bool ready() const { return count_ < cap_; }  // room for a push this cycle
    uint64_t front() const { return buf_[head_]; }
    void pop() {
        assert(count_ > 0);
        head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
        --count_;
    }
    // Overflow is impossible by construction (producers push only when ready() held at
    // the start of the cycle); the assertion checks that construction.
    void push(uint64_t v) {
        assert(count_ < cap_ && "FIFO overflow: a producer ignored ready");
        uint32_t tail = head_ + count_;
        if (tail >= cap_) tail -= cap_;
        buf_[tail] = v;
        ++count_;
        if (count_ > max_) max_ = count_;
    }
    void clear() { head_ = count_ = 0; }
    uint32_t max_occupancy() const { return max_; }
    const uint32_t& count_ref() const { return count_; }  // for waveform tracing

  private:
    std::vector<uint64_t> buf_;
    uint32_t cap_ = 0, head_ = 0, count_ = 0, max_ = 0;
};

}  // namespace sf::sc
