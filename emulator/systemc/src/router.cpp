// The router of one tile: see router.hpp and docs/microarchitecture.md §3.
#include "sf/systemc/router.hpp"

namespace sf::sc {

using namespace sf::harness;

Router::Router(sc_core::sc_module_name name) : Clocked(name), in_("in", PORTS) {
    SC_METHOD(run);
}

void Router::configure(int x, int y, int depth, bool active, IdleTree* idle) {
    arb_.reset(x, y);
    depth_ = depth;
    active_ = active;
    for (Fifo& f : in_) f.attach(&arrival_, idle, IdleTree::Net);
    for (Fifo*& o : out_) o = nullptr;
    host_ = nullptr;
    broken_ = 0;
    reset_state();
}

void Router::reset_state() {
    arb_.reset(arb_.x(), arb_.y());
    for (Fifo& f : in_) f.reset(depth_);
    hops_ew = hops_ns = stalls = 0;
    for (uint64_t& s : sent) s = 0;
    clear_wait();
}

uint32_t Router::max_occupancy() const {
    uint32_t m = 0;
    for (const Fifo& f : in_)
        if (f.max_occupancy() > m) m = f.max_occupancy();
    return m;
}

void Router::run() {
    if (!rst_ni.read()) {
        reset_state();
        sleep_on(arrival_);
        return;
    }
    if (waiting()) return;
    unsigned req[PORTS] = {0, 0, 0, 0, 0};
    unsigned heads = 0;
    for (int i = 0; i < PORTS; ++i) {
        if (in_[size_t(i)].empty()) continue;
        req[arb_.route(in_[size_t(i)].front())] |= 1u << i;
        heads |= 1u << i;
    }
    if (!active_ || heads == 0) {
        sleep_on(arrival_);
        return;
    }
    unsigned granted = 0;
    for (int o = 0; o < PORTS; ++o) {
        if (!req[o] || (broken_ >> o) & 1u) continue;
        const bool to_host = o == PORT_W && host_ != nullptr;
        if (!to_host && !(out_[o] && out_[o]->ready())) continue;  // off the mesh: never ready
        const int i = arb_.arbitrate(o, req[o]);
        arb_.last_grant[o] = i;
        granted |= 1u << i;
        Fifo& src = in_[size_t(i)];
        const uint64_t flit = src.front();
        src.pop();
        ++sent[o];
        if (o == PORT_E || o == PORT_W)
            ++hops_ew;
        else if (o == PORT_N || o == PORT_S)
            ++hops_ns;
        if (to_host)
            host_->deliver(flit_axon(flit));
        else
            out_[o]->push(flit);
    }
    if (heads & ~granted) ++stalls;
    // Flits left after this cycle's pops: keep going; else sleep until one arrives (a push
    // of this very cycle wakes the router again before the next edge).
    bool left = false;
    for (int i = 0; i < PORTS; ++i)
        if (in_[size_t(i)].count() > ((granted >> i) & 1u)) left = true;
    if (left)
        next_cycle();
    else
        sleep_on(arrival_);
}

}  // namespace sf::sc
