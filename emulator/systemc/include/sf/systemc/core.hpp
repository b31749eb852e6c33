// The neuro-synaptic core of one tile (docs/microarchitecture.md §4): its memories (chip-spec
// §2), the event queue and two-stage integrate engine (§4.1), the neuron update unit (§4.2),
// the STDP unit (§4.3), the spike encoder (§4.4) and the counters the core keeps itself
// (§4.5). A clocked module with one process; it reads the controller's phase register and
// talks to its router through two FIFO channels (the event queue it pops, the router's L
// input it pushes).
//
// Exact cycle skipping (§10): the update and learning passes run in the first cycle of
// COMPUTE all at once (their outcome and their length B are known exactly; nothing can
// observe the state before COMPUTE ends), and the integrate engine reads an event's R words
// when the event reaches the head, then wakes only in the cycle of its last read, when the
// event leaves the queue (the router sees the queue's true count in every cycle). While the
// encoder works, in discard mode, and with skipping off, the core steps cycle by cycle.
#pragma once

#include <cstdint>
#include <vector>

#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/systemc/channels.hpp"
#include "sf/systemc/clocked.hpp"
#include "sf/systemc/controller.hpp"

namespace sf::sc {

class Core : public Clocked {
  public:
    SC_HAS_PROCESS(Core);
    explicit Core(sc_core::sc_module_name name);

    // Build-time configuration: the chip's sizes, whether the tile is part of the mesh, the
    // controller's registers it reads and writes, the idle tree, and the router's L input.
    void configure(const ChipConfig& cfg, bool active, const Reg<PhaseWord>* phase,
                   const sc_core::sc_event* start, MaxReg* done, IdleTree* idle, Fifo* l_input);
    void set_fast(bool on) { fast_ = on; }
    // Waveforms: show the neuron update unit's work cycle by cycle in COMPUTE (the update is
    // still computed in the phase's first cycle; the traced values replay it, neuron i in
    // cycle s + i, the cycle the unit reads it).
    void set_traced(bool on) { traced_ = on; }
    const uint32_t& trace_update_neuron() const { return tr_neuron_; }
    const int32_t& trace_update_u() const { return tr_u_; }
    const int32_t& trace_update_v() const { return tr_v_; }
    const bool& trace_update_spike() const { return tr_spike_; }

    // Zero every memory and register (reset): the chip's sizes come from cfg.
    void reset(const ChipConfig& cfg);

    // Configuration and debug port (§6), for this tile's memories (not COUNTERS/ROUTER).
    void cfg_write(uint32_t mem, uint32_t addr, uint32_t chunk, uint64_t data);
    uint64_t cfg_read(uint32_t mem, uint32_t addr, uint32_t chunk) const;

    // Integrate engine, one cycle (§4.1): stage 2 finishes the previous read, stage 1 reads
    // the next word of the head event (or pops it unread in discard mode, or when R = 0).
    // Returns true when the engine did counted work (a read or an accumulate).
    bool integrate_cycle(bool discard);
    bool integrate_idle() const { return eq.empty() && !stage2_; }

    // COMPUTE (§4.2, §4.3): every neuron update and the four learning passes; fills the
    // spike queue. Returns B, the cycles the work takes.
    uint64_t compute();
    // CLEAR (§7): zero the state; returns the cycles it takes, max(n, a).
    uint64_t clear_state();

    // Spike encoder (§4.4), one cycle. `l_ready`: the router's L input FIFO had room at the
    // start of the cycle. Returns true when it did work; sets *flit when it sends one.
    bool encoder_cycle(bool l_ready, uint64_t* flit, bool* sent);
    bool encoder_idle() const { return sq_pos_ >= spike_q_.size(); }
    size_t spikes_pending() const { return spike_q_.size() - sq_pos_; }

    uint32_t n() const { return n_; }
    uint32_t a() const { return a_; }
    uint32_t words_per_event() const { return R_; }

    Fifo eq;  // event queue: axon ids (as flits), depth D_r

    // Counters (§4.5). state_wraps: neuron updates whose u wrapped (chip-spec §8, a
    // diagnostic, not an energy event).
    uint64_t syn_ops = 0, row_reads = 0, nu_active = 0, nu_idle = 0, spikes = 0, packets = 0,
             learn_updates = 0, busy = 0, state_wraps = 0;

  private:
    void run();
    void batch(uint64_t c);
    void step_one_cycle(bool route, bool discard);
    void sleep_idle();
    void read_word(uint32_t axon, uint32_t w);
    bool replay_update();

    const int16_t* row(uint32_t axon) const;
    int16_t* row_mut(uint32_t axon);
    uint8_t* plastic_row_mut(uint32_t axon);
    const uint8_t* plastic_row(uint32_t axon) const;

    // Sizes of the chip.
    uint32_t N_ = 0, A_ = 0, S_ = 16, F_ = 4, P_ = 4, Bw_ = 8, Bs_ = 24, Bt_ = 8;
    uint32_t words_ = 1;  // ceil(N / S): words per crossbar row
    uint32_t rowlen_ = 16;  // words_ * S lanes

    // CORE registers.
    uint32_t n_ = 0, a_ = 0, R_ = 0;
    bool learning_ = false;
    LearningProfile lp_;

    // Memories (chip-spec §2); the crossbar and plastic mask grow to the rows written.
    std::vector<int16_t> xbar_;
    std::vector<uint8_t> plastic_;
    std::vector<int32_t> bias_;
    std::vector<uint8_t> profile_of_, route_count_;
    std::vector<uint64_t> routes_;  // [N * F] flits
    std::vector<NeuronProfile> profiles_;
    std::vector<int32_t> u_, v_, refr_, ytr_, xtr_;
    std::vector<uint8_t> fired_, pre_, post_;
    std::vector<uint32_t> acc_;  // 32-bit accumulators that wrap (§4.1)

    // Integrate engine.
    uint32_t w_ = 0;
    bool stage2_ = false;

    // Spike encoder.
    std::vector<int32_t> spike_q_;
    size_t sq_pos_ = 0;
    uint32_t entry_ = 0;

    // Wiring and the process's own state.
    ChipConfig cfg_;
    const Reg<PhaseWord>* phase_ = nullptr;
    const sc_core::sc_event* start_ = nullptr;  // the controller's start line
    MaxReg* done_ = nullptr;
    Fifo* l_input_ = nullptr;
    BusyFlag stage2_flag_{"stage2_busy"};   // integrate engine's second stage (idle group Integ)
    BusyFlag encoder_flag_{"encoder_busy"};  // spikes left to send (idle group Net)
    sc_core::sc_event arrival_{"arrival"};
    bool active_ = false, fast_ = true;
    bool started_ = false;       // the controller's start line fired: a phase's first cycle
    bool inflight_ = false;      // batch mode: the head event's words are read, pop at pop_at_
    uint64_t pop_at_ = 0;
    bool popped_ = false;        // the integrate engine popped the head in this cycle
    // Waveform replay of the update unit (set_traced).
    struct Update {
        int32_t u, v;
        bool spike;
    };
    bool traced_ = false;
    std::vector<Update> tr_updates_;
    uint32_t tr_next_ = 0, tr_neuron_ = 0;
    int32_t tr_u_ = 0, tr_v_ = 0;
    bool tr_spike_ = false;
};

}  // namespace sf::sc
