// The host port: see host_port.hpp and docs/microarchitecture.md §5.
#include "sf/systemc/host_port.hpp"

#include "sf/harness/chip_ports.hpp"

namespace sf::sc {

HostPort::HostPort(sc_core::sc_module_name name)
    : Clocked(name),
      start_i("start_i"),
      start_count_i("start_count_i"),
      in_valid_i("in_valid_i"),
      in_flit_i("in_flit_i"),
      in_ready_o("in_ready_o"),
      out_valid_o("out_valid_o"),
      out_index_o("out_index_o") {
    SC_METHOD(run);
    SC_METHOD(out_run);
    dont_initialize();
    sensitive << link_.delivered();
}

void HostPort::configure(int depth, const Reg<PhaseWord>* phase, IdleTree* idle, Fifo* w_input) {
    depth_ = depth;
    phase_ = phase;
    w_input_ = w_input;
    inject_.attach(nullptr, idle, IdleTree::Net);
    receiving_.attach(idle, IdleTree::Net);
    reset_state();
}

void HostPort::reset_state() {
    inject_.reset(depth_);
    receiving_.reset();
    start_count_ = received_ = 0;
    packets = hops_ew = host_flits = 0;
    clear_wait();
}

void HostPort::run() {
    if (!rst_ni.read()) {
        reset_state();
        in_ready_o.write(false);
        sleep_on(start_i.posedge_event());
        return;
    }
    if (waiting()) return;
    const Phase ph = phase_->read().phase;
    if (ph == Phase::Pause) {
        // The rising edge after start_i rose (the host changes inputs while the clock is high).
        if (start_i.read()) {
            start_count_ = start_count_i.read();
            received_ = 0;
        }
    } else if (ph == Phase::Integ) {
        const uint32_t count = inject_.count();
        uint32_t after = count;
        if (received_ < start_count_ && inject_.ready() && in_valid_i.read()) {
            inject_.push(in_flit_i.read() & harness::FLIT_MASK);
            ++received_;
            ++after;
        }
        if (count > 0 && w_input_->ready()) {
            w_input_->push(inject_.front());
            inject_.pop();
            ++packets;
            ++hops_ew;
            --after;
        }
        in_ready_o.write(received_ < start_count_ && after < inject_.depth());
        receiving_.write(received_ < start_count_);
        if (received_ < start_count_ || after > 0) {
            next_cycle();
            return;
        }
        sleep_on(start_i.posedge_event());
        return;
    }
    // The registers as the first cycle of INTEG will see them.
    const bool recv = ph == Phase::Pause && start_i.read() && received_ < start_count_;
    in_ready_o.write(recv && inject_.ready());
    receiving_.write(recv);
    if (recv)
        next_cycle();
    else
        sleep_on(start_i.posedge_event());
}

// A host-bound flit delivered by tile (0, 0)'s router in this cycle is shown until the next
// rising edge; a delivery in that cycle shows the next one.
void HostPort::out_run() {
    if (link_.delivered().triggered()) {
        out_valid_o.write(true);
        out_index_o.write(link_.index());
        ++hops_ew;
        ++host_flits;
        out_shown_ = true;
        next_trigger(clk_i.posedge_event() | link_.delivered());
        return;
    }
    // The rising edge after a delivery: nothing new (yet) in this cycle.
    out_valid_o.write(false);
    out_shown_ = false;
    next_trigger(link_.delivered());
}

}  // namespace sf::sc
