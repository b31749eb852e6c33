// The wires and registers between the SystemC chip's blocks (docs/microarchitecture.md §0,
// §7). Each is an sc_prim_channel with two-phase semantics: a block reads the value held at
// the start of the cycle and requests a change while its process runs; the change is applied
// in SystemC's update phase, after every block of the cycle has decided. So no result
// depends on the order in which the kernel runs the blocks, and no signal per wire is needed.
//
// Only the clock edge makes a block act; a channel's update may also notify a sleeping
// consumer (a FIFO that received a flit, a phase that changed), which then waits for the next
// edge: a block with nothing to do costs nothing.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <vector>

#include <systemc>

namespace sf::sc {

// A FIFO's storage: depth D, popped at most once and pushed at most once per cycle. Used by
// the Fifo channel, and alone where no simulator runs (block tests).
class FifoState {
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
    uint64_t at(uint32_t k) const {  // k-th entry from the head, k < count()
        uint32_t i = head_ + k;
        if (i >= cap_) i -= cap_;
        return buf_[i];
    }
    void pop() {
        assert(count_ > 0);
        head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
        --count_;
    }
    // Overflow is impossible by construction (producers push only when ready() held at the
    // start of the cycle); the assertion checks that construction.
    void push(uint64_t v) {
        assert(count_ < cap_ && "FIFO overflow: a producer ignored ready");
        uint32_t tail = head_ + count_;
        if (tail >= cap_) tail -= cap_;
        buf_[tail] = v;
        ++count_;
        if (count_ > max_) max_ = count_;
    }
    uint32_t max_occupancy() const { return max_; }
    const uint32_t& count_ref() const { return count_; }  // for waveform tracing

  private:
    std::vector<uint64_t> buf_;
    uint32_t cap_ = 0, head_ = 0, count_ = 0, max_ = 0;
};

// The registered AND of every block's idle output (§7): how many blocks are busy at the
// start of this cycle, in two groups. `net` counts what can still move a flit (router and
// host FIFOs, the host port while it receives, spike encoders with spikes to send); `integ`
// counts integrate engines (event queues and their second stage). Changed only in update
// phases (by the channels below), read by the controller in the next cycle.
class IdleTree {
  public:
    enum Group { Net = 0, Integ = 1 };
    void reset() { busy_[0] = busy_[1] = 0; }
    void adjust(Group g, int delta) {
        busy_[g] += delta;
        assert(busy_[g] >= 0);
        if (busy_[0] == 0 && busy_[1] == 0) idle_event_.notify(sc_core::SC_ZERO_TIME);
    }
    bool all_idle() const { return busy_[0] == 0 && busy_[1] == 0; }
    bool net_idle() const { return busy_[0] == 0; }
    // Notified (one delta later) whenever an update leaves every block idle.
    const sc_core::sc_event& idle_event() const { return idle_event_; }

  private:
    int busy_[2] = {0, 0};
    sc_core::sc_event idle_event_{"idle_event"};
};

// A FIFO of §0 between two blocks. The consumer pops, the producer pushes, both deciding
// from the count at the start of the cycle; update() applies the pop before the push, so a
// full FIFO that is popped takes no push in the same cycle (its producer saw it full), and
// a pushed entry is at the head from the next cycle on.
class Fifo : public sc_core::sc_prim_channel {
  public:
    explicit Fifo(const char* name) : sc_core::sc_prim_channel(name) {}

    // Configuration of the wire: the event that wakes its consumer when a flit arrives,
    // and the idle group it belongs to.
    void attach(sc_core::sc_event* wake, IdleTree* idle, IdleTree::Group g) {
        wake_ = wake;
        idle_ = idle;
        group_ = g;
    }
    void reset(int depth) {
        st_.reset(depth);
        pop_ = push_ = false;
    }

    uint32_t count() const { return st_.count(); }
    uint32_t depth() const { return st_.depth(); }
    bool empty() const { return st_.empty(); }
    bool ready() const { return st_.ready(); }
    uint64_t front() const { return st_.front(); }
    uint64_t at(uint32_t k) const { return st_.at(k); }
    uint32_t max_occupancy() const { return st_.max_occupancy(); }
    const uint32_t& count_ref() const { return st_.count_ref(); }

    void pop() {
        assert(!pop_ && !st_.empty());
        pop_ = true;
        request_update();
    }
    void push(uint64_t v) {
        assert(!push_ && "two producers pushed one FIFO in one cycle");
        assert(st_.ready() && "FIFO overflow: a producer ignored ready");
        push_ = true;
        pending_ = v;
        request_update();
    }

  protected:
    void update() override {
        const bool was_empty = st_.empty();
        if (pop_) st_.pop();
        if (push_) {
            st_.push(pending_);
            if (wake_) wake_->notify(sc_core::SC_ZERO_TIME);
        }
        pop_ = push_ = false;
        if (idle_ && was_empty != st_.empty()) idle_->adjust(group_, st_.empty() ? -1 : 1);
    }

  private:
    FifoState st_;
    bool pop_ = false, push_ = false;
    uint64_t pending_ = 0;
    sc_core::sc_event* wake_ = nullptr;
    IdleTree* idle_ = nullptr;
    IdleTree::Group group_ = IdleTree::Net;
};

// One block's busy output into the idle tree, registered: write() now, seen next cycle.
class BusyFlag : public sc_core::sc_prim_channel {
  public:
    explicit BusyFlag(const char* name) : sc_core::sc_prim_channel(name) {}
    void attach(IdleTree* idle, IdleTree::Group g) {
        idle_ = idle;
        group_ = g;
    }
    void reset() { q_ = d_ = false; }  // with the idle tree's reset, in the same cycle
    bool read() const { return q_; }
    void write(bool busy) {
        if (busy == d_) return;
        d_ = busy;
        request_update();
    }

  protected:
    void update() override {
        if (d_ == q_) return;
        q_ = d_;
        if (idle_) idle_->adjust(group_, q_ ? 1 : -1);
    }

  private:
    bool q_ = false, d_ = false;
    IdleTree* idle_ = nullptr;
    IdleTree::Group group_ = IdleTree::Net;
};

// A register written by one block and read by others from the next cycle on. `changed`
// is notified (one delta later) when an update changes the value.
template <class T>
class Reg : public sc_core::sc_prim_channel {
  public:
    explicit Reg(const char* name) : sc_core::sc_prim_channel(name) {}
    void reset(const T& v) { q_ = d_ = v; }
    const T& read() const { return q_; }
    void write(const T& v) {
        d_ = v;
        request_update();
    }
    const sc_core::sc_event& changed() const { return changed_; }
    const T& q_ref() const { return q_; }  // for waveform tracing

  protected:
    void update() override {
        if (d_ == q_) return;
        q_ = d_;
        changed_.notify(sc_core::SC_ZERO_TIME);
    }

  private:
    T q_{}, d_{};
    sc_core::sc_event changed_{"changed"};
};

// The cores' "done" lines into the controller, as the largest reported cycle count: every
// core writes how many cycles its COMPUTE (or CLEAR) work takes in the phase's first cycle;
// the controller reads the maximum from the second cycle on (§7).
class MaxReg : public sc_core::sc_prim_channel {
  public:
    explicit MaxReg(const char* name) : sc_core::sc_prim_channel(name) {}
    void reset() { q_ = d_ = 0; }
    uint64_t read() const { return q_; }
    // The controller clears it in the cycle before the phase, so that the cores' writes
    // of the phase's first cycle are the only ones it holds.
    void clear() {
        d_ = 0;
        request_update();
    }
    void write_max(uint64_t v) {
        d_ = std::max(d_, v);
        request_update();
    }

  protected:
    void update() override { q_ = d_; }

  private:
    uint64_t q_ = 0, d_ = 0;
};

}  // namespace sf::sc
