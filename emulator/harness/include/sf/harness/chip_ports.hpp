// THE CONTRACT BETWEEN THE HARNESS AND EVERY CYCLE-LEVEL CHIP (the SystemC model in
// emulator/systemc/ and the Verilated RTL top `sf_chip` of rtl/). Both chips expose exactly
// these ports, with Verilator's SystemC types (1 bit: bool, 2..32 bits: uint32_t, 33..64
// bits: uint64_t), and follow docs/microarchitecture.md §5-§7 (host port, configuration and
// debug port with its memory map and counters, timestep controller). The harness
// (harness.hpp) drives only these signals, so it never knows which chip it runs. Change
// nothing here without changing rtl/ and the document in the same commit.
#pragma once

#include <cstdint>
#include <string>

#include <systemc>

namespace sf::harness {

// One set of wires between the host (harness) and a chip. Inputs (_i) are written by the
// harness, outputs (_o) by the chip; every output is a register or a function of registers
// only, so the harness reads them after a rising edge and writes the next cycle's inputs.
struct ChipSignals {
    explicit ChipSignals(const std::string& prefix = "sf")
        : clk_i((prefix + "_clk_i").c_str()),
          rst_ni((prefix + "_rst_ni").c_str()),
          start_i((prefix + "_start_i").c_str()),
          start_count_i((prefix + "_start_count_i").c_str()),
          start_last_i((prefix + "_start_last_i").c_str()),
          clear_i((prefix + "_clear_i").c_str()),
          busy_o((prefix + "_busy_o").c_str()),
          in_valid_i((prefix + "_in_valid_i").c_str()),
          in_flit_i((prefix + "_in_flit_i").c_str()),
          in_ready_o((prefix + "_in_ready_o").c_str()),
          out_valid_o((prefix + "_out_valid_o").c_str()),
          out_index_o((prefix + "_out_index_o").c_str()),
          cfg_we_i((prefix + "_cfg_we_i").c_str()),
          cfg_re_i((prefix + "_cfg_re_i").c_str()),
          cfg_tile_i((prefix + "_cfg_tile_i").c_str()),
          cfg_mem_i((prefix + "_cfg_mem_i").c_str()),
          cfg_addr_i((prefix + "_cfg_addr_i").c_str()),
          cfg_chunk_i((prefix + "_cfg_chunk_i").c_str()),
          cfg_wdata_i((prefix + "_cfg_wdata_i").c_str()),
          cfg_rdata_o((prefix + "_cfg_rdata_o").c_str()) {}

    sc_core::sc_signal<bool> clk_i;
    sc_core::sc_signal<bool> rst_ni;               // synchronous, active low
    // Timestep controller (§7).
    sc_core::sc_signal<bool> start_i;              // one cycle in PAUSE: run one step
    sc_core::sc_signal<uint32_t> start_count_i;    // host flits of that step
    sc_core::sc_signal<bool> start_last_i;         // 1: discard the step's routed spikes
    sc_core::sc_signal<bool> clear_i;              // one cycle in PAUSE: run CLEAR
    sc_core::sc_signal<bool> busy_o;               // 0 only in PAUSE
    // Input stream (§5): a flit moves in a cycle where valid and ready are both 1.
    sc_core::sc_signal<bool> in_valid_i;
    sc_core::sc_signal<uint64_t> in_flit_i;        // 33 bits used (§2)
    sc_core::sc_signal<bool> in_ready_o;
    // Output stream (§5): one cycle per host-bound flit; the host is always ready.
    sc_core::sc_signal<bool> out_valid_o;
    sc_core::sc_signal<uint32_t> out_index_o;      // 16 bits
    // Configuration and debug port (§6).
    sc_core::sc_signal<bool> cfg_we_i;
    sc_core::sc_signal<bool> cfg_re_i;             // cfg_rdata_o holds the word next cycle
    sc_core::sc_signal<uint32_t> cfg_tile_i;       // 16 bits: y * W + x; W * H = the chip
    sc_core::sc_signal<uint32_t> cfg_mem_i;        // 4 bits: Mem below
    sc_core::sc_signal<uint32_t> cfg_addr_i;
    sc_core::sc_signal<uint32_t> cfg_chunk_i;      // 8 bits: bits [64c+63 : 64c] of a wide word
    sc_core::sc_signal<uint64_t> cfg_wdata_i;
    sc_core::sc_signal<uint64_t> cfg_rdata_o;
};

// Connect a chip's ports (sc_in/sc_out members with the names above) to the wires.
template <class Chip>
void bind(Chip& c, ChipSignals& s) {
    c.clk_i(s.clk_i);
    c.rst_ni(s.rst_ni);
    c.start_i(s.start_i);
    c.start_count_i(s.start_count_i);
    c.start_last_i(s.start_last_i);
    c.clear_i(s.clear_i);
    c.busy_o(s.busy_o);
    c.in_valid_i(s.in_valid_i);
    c.in_flit_i(s.in_flit_i);
    c.in_ready_o(s.in_ready_o);
    c.out_valid_o(s.out_valid_o);
    c.out_index_o(s.out_index_o);
    c.cfg_we_i(s.cfg_we_i);
    c.cfg_re_i(s.cfg_re_i);
    c.cfg_tile_i(s.cfg_tile_i);
    c.cfg_mem_i(s.cfg_mem_i);
    c.cfg_addr_i(s.cfg_addr_i);
    c.cfg_chunk_i(s.cfg_chunk_i);
    c.cfg_wdata_i(s.cfg_wdata_i);
    c.cfg_rdata_o(s.cfg_rdata_o);
}

// Flit layout (§2): axon [15:0], y [23:16], x [31:24], host [32].
constexpr uint64_t make_flit(bool host, uint32_t x, uint32_t y, uint32_t axon) {
    return (uint64_t(host) << 32) | (uint64_t(x & 0xFF) << 24) | (uint64_t(y & 0xFF) << 16) |
           uint64_t(axon & 0xFFFF);
}
constexpr uint32_t flit_axon(uint64_t f) { return uint32_t(f & 0xFFFF); }
constexpr uint32_t flit_y(uint64_t f) { return uint32_t((f >> 16) & 0xFF); }
constexpr uint32_t flit_x(uint64_t f) { return uint32_t((f >> 24) & 0xFF); }
constexpr bool flit_host(uint64_t f) { return ((f >> 32) & 1) != 0; }
constexpr uint64_t FLIT_MASK = (uint64_t(1) << 33) - 1;

// Memories of the configuration/debug port (cfg_mem_i), §6.
enum Mem : uint32_t {
    MEM_XBAR = 0,      // a * ceil(N/S) + w: S lanes of B_w bits
    MEM_PLASTIC = 1,   // same address: S plastic bits
    MEM_NEURON = 2,    // n: bias_mant [31:0], profile [39:32], route count [47:40]
    MEM_ROUTE = 3,     // n * F + k: a flit
    MEM_PROFILE = 4,   // p: chunk 0 du [15:0] dv [31:16] vth [55:32];
                       //    chunk 1 bias_exp [4:0] subtract [5] spiking [6] refractory [31:16]
    MEM_CORE = 5,      // CoreReg
    MEM_STATE = 6,     // n * 8 + StateField (read)
    MEM_XTRACE = 7,    // a: pre trace (read)
    MEM_COUNTERS = 8,  // TileCounter or ChipCounter (read)
    MEM_ROUTER = 9,    // input port 0..4: [15:0] count, [48:16] head flit (read)
};

enum CoreReg : uint32_t {
    CORE_N = 0, CORE_A = 1, CORE_LEARNING = 2, CORE_A_PLUS = 3, CORE_A_MINUS = 4,
    CORE_SHIFT = 5, CORE_X_DECAY = 6, CORE_Y_DECAY = 7, CORE_X_INC = 8, CORE_Y_INC = 9,
    CORE_W_MIN = 10, CORE_W_MAX = 11,
};

enum StateField : uint32_t { STATE_U = 0, STATE_V = 1, STATE_REFR = 2, STATE_YTRACE = 3, STATE_FIRED = 4 };

enum TileCounter : uint32_t {
    TC_SYN_OPS = 0, TC_ROW_READS = 1, TC_NU_ACTIVE = 2, TC_NU_IDLE = 3, TC_SPIKES = 4,
    TC_PACKETS = 5, TC_HOPS_EW = 6, TC_HOPS_NS = 7, TC_LEARN_UPDATES = 8, TC_BUSY = 9,
    TC_STALLS = 10, TC_MAX_FIFO = 11, TC_SENT_N = 12, TC_SENT_E = 13, TC_SENT_S = 14,
    TC_SENT_W = 15, TC_SENT_L = 16,
    // Neuron updates whose u wrapped (chip-spec §8, a diagnostic). A chip without this
    // counter answers 0 (the RTL until rtl/ adds it).
    TC_STATE_WRAPS = 17, TC_COUNT = 18,
};

// Counters of the chip itself (cfg_tile_i = W * H).
enum ChipCounter : uint32_t {
    CC_CYCLES = 0,        // sum of step cycles
    CC_PACKETS = 1,       // host injections
    CC_HOPS_EW = 2,       // host link, both directions (the outbound one is also tile (0,0)'s W)
    CC_STEPS = 3,
    CC_HOST_FLITS = 4,    // flits delivered to the host
    CC_COUNT = 5,
};

// Router ports and output consumers (§3).
enum Port : int { PORT_L = 0, PORT_N = 1, PORT_E = 2, PORT_S = 3, PORT_W = 4 };

}  // namespace sf::harness
