// The harness: see harness.hpp and docs/microarchitecture.md §5-§8.
#include "sf/harness/harness.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include <fmt/format.h>

#include "sf/core/parallel.hpp"

namespace sf::harness {
namespace {

constexpr int kStateFields = 8;

// Bits [64 c + 63 : 64 c] of a word of `count` lanes of `bits` bits (§6 XBAR / PLASTIC).
uint64_t pack_chunk(const int32_t* lanes, uint32_t count, uint32_t bits, uint32_t chunk) {
    uint64_t out = 0;
    const uint64_t lo = uint64_t(chunk) * 64, hi = lo + 64;
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    for (uint32_t j = 0; j < count; ++j) {
        const uint64_t b0 = uint64_t(j) * bits, b1 = b0 + bits;
        if (b1 <= lo || b0 >= hi) continue;
        const uint64_t v = uint64_t(int64_t(lanes[j])) & mask;
        out |= b0 >= lo ? v << (b0 - lo) : v >> (lo - b0);
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// Results of a worker process (see Run::run_split), sent to the parent through a pipe as
// plain bytes: both ends are the same program, so no format beyond the field order.
// ---------------------------------------------------------------------------------------
class Bytes {
  public:
    template <class T>
    void put(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const char* p = reinterpret_cast<const char*>(&v);
        buf_.insert(buf_.end(), p, p + sizeof(T));
    }
    template <class T>
    void put(const std::vector<T>& v) {
        put(uint64_t(v.size()));
        if constexpr (std::is_trivially_copyable_v<T>) {
            const char* p = reinterpret_cast<const char*>(v.data());
            buf_.insert(buf_.end(), p, p + v.size() * sizeof(T));
        } else {
            for (const T& x : v) put(x);
        }
    }
    void put(const std::string& v) {
        put(uint64_t(v.size()));
        buf_.insert(buf_.end(), v.begin(), v.end());
    }
    void put(const SampleResult& r) {
        put(r.output_spikes);
        put(r.output_counts);
        put(r.predicted);
        put(r.output_v_sum);
        put(r.label);
        put(r.raster);
        put(r.u_trace);
        put(r.v_trace);
        put(r.cycles_per_step);
    }

    template <class T>
    void get(T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        need(sizeof(T));
        std::memcpy(&v, buf_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
    }
    template <class T>
    void get(std::vector<T>& v) {
        uint64_t n = 0;
        get(n);
        if constexpr (std::is_trivially_copyable_v<T>) {
            need_items(n, sizeof(T));  // checked against the bytes left before any allocation
            v.resize(size_t(n));
            std::memcpy(v.data(), buf_.data() + pos_, size_t(n) * sizeof(T));
            pos_ += size_t(n) * sizeof(T);
        } else {
            need_items(n, sizeof(uint64_t));  // every element takes at least 8 bytes
            v.resize(size_t(n));
            for (T& x : v) get(x);
        }
    }
    void get(std::string& v) {
        uint64_t n = 0;
        get(n);
        need(n);
        v.assign(buf_.data() + pos_, size_t(n));
        pos_ += size_t(n);
    }
    void get(SampleResult& r) {
        get(r.output_spikes);
        get(r.output_counts);
        get(r.predicted);
        get(r.output_v_sum);
        get(r.label);
        get(r.raster);
        get(r.u_trace);
        get(r.v_trace);
        get(r.cycles_per_step);
    }

    std::vector<char>& data() { return buf_; }
    bool at_end() const { return pos_ == buf_.size(); }

  private:
    void need(uint64_t n) const {
        if (n > buf_.size() - pos_)
            throw Error("a worker process sent a truncated result", "cycle-level run",
                        "this is a bug of spikeforge; run with --threads 1 meanwhile");
    }
    void need_items(uint64_t count, uint64_t size) const {
        need(count > (buf_.size() - pos_) / size ? buf_.size() - pos_ + 1 : count * size);
    }
    std::vector<char> buf_;
    size_t pos_ = 0;
};

// write() and read() of whole buffers, retried on EINTR and short transfers.
bool write_all(int fd, const std::vector<char>& b) {
    size_t done = 0;
    while (done < b.size()) {
        const ssize_t n = ::write(fd, b.data() + done, b.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += size_t(n);
    }
    return true;
}

std::vector<char> read_all(int fd) {
    std::vector<char> out;
    char chunk[65536];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.insert(out.end(), chunk, chunk + n);
    }
    return out;
}

// The kinds of error a worker reports, so that the parent throws the same type.
enum class ErrKind : uint8_t { None = 0, Error = 1, Input = 2, Watchdog = 3, Other = 4 };

// The host: drives the wires one clock cycle at a time. Outputs are read after a rising
// edge (they are registers); inputs written then hold until the next rising edge, and are
// stable from before the falling edge in between.
class Host {
  public:
    Host(ChipSignals& s, double clock_mhz) : s_(s) {
        const double period_ps = clock_mhz > 0 ? 1e6 / clock_mhz : 10000.0;
        half_ = sc_core::sc_time(period_ps / 2, sc_core::SC_PS);
    }

    // One clock cycle: the falling edge, with the inputs written since the last rising edge
    // (they change while the clock is high, before the chip samples anything: the RTL's
    // tiles capture a configuration request and their clock-gate enables at this edge,
    // microarchitecture.md sections 6 and 13), then the rising edge. The outputs are read
    // after it.
    void tick() {
        s_.clk_i.write(false);
        sc_core::sc_start(half_);
        s_.clk_i.write(true);
        sc_core::sc_start(half_);
        ++cycles_;
    }

    void quiet() {
        s_.start_i.write(false);
        s_.start_count_i.write(0);
        s_.start_last_i.write(false);
        s_.clear_i.write(false);
        s_.in_valid_i.write(false);
        s_.in_flit_i.write(0);
        s_.cfg_we_i.write(false);
        s_.cfg_re_i.write(false);
        s_.cfg_tile_i.write(0);
        s_.cfg_mem_i.write(0);
        s_.cfg_addr_i.write(0);
        s_.cfg_chunk_i.write(0);
        s_.cfg_wdata_i.write(0);
    }

    // rst_ni falls in every reset, the first of a process included (the signal starts at
    // 0): a block sleeping on an event wakes only at that edge (docs/microarchitecture.md
    // §12), and a chip configured after the simulation started (sc::Chip::rebuild) must not
    // keep what its blocks did at the start. The rise takes no clock edge, so a chip that
    // samples rst_ni on the clock (the RTL) sees just the two reset cycles.
    void reset() {
        quiet();
        if (!s_.rst_ni.read()) {
            s_.rst_ni.write(true);
            sc_core::sc_start(sc_core::SC_ZERO_TIME);
        }
        s_.rst_ni.write(false);
        tick();
        tick();
        s_.rst_ni.write(true);
    }

    void write(uint32_t tile, uint32_t mem, uint32_t addr, uint64_t data) { write(tile, mem, addr, 0, data); }
    void write(uint32_t tile, uint32_t mem, uint32_t addr, uint32_t chunk, uint64_t data) {
        s_.cfg_re_i.write(false);
        s_.cfg_we_i.write(true);
        s_.cfg_tile_i.write(tile);
        s_.cfg_mem_i.write(mem);
        s_.cfg_addr_i.write(addr);
        s_.cfg_chunk_i.write(chunk);
        s_.cfg_wdata_i.write(data);
        tick();
        ++writes_;
    }

    // One read per cycle: cfg_rdata_o holds the word in the cycle after the request.
    uint64_t read(uint32_t tile, uint32_t mem, uint32_t addr, uint32_t chunk = 0) {
        s_.cfg_we_i.write(false);
        s_.cfg_re_i.write(true);
        s_.cfg_tile_i.write(tile);
        s_.cfg_mem_i.write(mem);
        s_.cfg_addr_i.write(addr);
        s_.cfg_chunk_i.write(chunk);
        tick();
        return s_.cfg_rdata_o.read();
    }
    int64_t read_signed(uint32_t tile, uint32_t mem, uint32_t addr) {
        return int64_t(read(tile, mem, addr));
    }

    ChipSignals& sig() { return s_; }
    uint64_t cycles() const { return cycles_; }
    uint64_t writes() const { return writes_; }

  private:
    ChipSignals& s_;
    sc_core::sc_time half_;
    uint64_t cycles_ = 0, writes_ = 0;
};

std::string flit_str(uint64_t f) {
    return fmt::format("{{host {}, x {}, y {}, axon {}}}", flit_host(f) ? 1 : 0, flit_x(f),
                       flit_y(f), flit_axon(f));
}

class Run {
  public:
    Run(ChipSignals& sig, const ChipImage& img, const RunOptions& opt, const HarnessOptions& ho)
        : host_(sig, img.chip.clock_mhz), img_(img), opt_(opt), ho_(ho) {
        W_ = std::max(1, img.chip.mesh_w);
        H_ = std::max(1, img.chip.mesh_h);
        S_ = uint32_t(std::max(1, img.chip.word_synapses));
        words_ = (uint32_t(img.chip.neurons_per_core) + S_ - 1) / S_;
        F_ = uint32_t(img.chip.fanout);
    }

    RunResult run(const SpikeInput& input);

  private:
    uint32_t tile_of(const CoreImage& c) const { return uint32_t(c.y * W_ + c.x); }
    uint32_t chip_tile() const { return uint32_t(W_ * H_); }
    void load();
    void clear();
    uint64_t step(int sample, int t, const std::vector<int32_t>* in, bool last,
                  std::vector<int32_t>& out);
    [[noreturn]] void watchdog(int sample, int t);
    // The chip broke the port contract: busy_o must be 1 in the cycle after start_i or
    // clear_i (the first cycle of INTEG or CLEAR, §7).
    [[noreturn]] void contract(const char* input) const {
        throw Error(fmt::format("the chip did not raise busy_o in the cycle after {} (its first "
                                "cycle of {}), as docs/microarchitecture.md §7 requires",
                                input, std::string(input) == "start_i" ? "INTEG" : "CLEAR"),
                    ho_.backend + " chip", "fix the chip's controller: busy_o = (phase != PAUSE)");
    }
    std::vector<int32_t> read_state(const CoreImage& c, uint32_t field);

    // The chip's counter words: TC_COUNT per tile in tile order, then CC_COUNT of the chip.
    using RawCounters = std::vector<uint64_t>;
    RawCounters read_counters();
    void fill_counters(const RawCounters& k, RunResult& rr) const;
    void read_final_state(RunResult& rr);

    // Samples [begin, end) of the input, each after a CLEAR where the run asks for one.
    void run_samples(const SpikeInput& input, int64_t begin, int64_t end,
                     std::vector<SampleResult>& out, int progress_scale);
    // How many worker processes the samples can be split over (1: run them here).
    int split_count(int64_t samples) const;
    void run_split(const SpikeInput& input, int chunks, RunResult& rr);
    [[noreturn]] void worker_main(const SpikeInput& input, int64_t begin, int64_t end,
                                  bool last_chunk, int fd);

    Host host_;
    const ChipImage& img_;
    RunOptions opt_;
    HarnessOptions ho_;
    int W_ = 1, H_ = 1;
    uint32_t S_ = 16, words_ = 1, F_ = 4;
    uint64_t load_cycles_ = 0, clear_cycles_ = 0, step_cycles_ = 0;
    std::vector<uint64_t> flits_;
    int steps_ = 0;
    bool membrane_ = false;  // LI outputs: the readout sums their v
};

void Run::load() {
    const uint64_t c0 = host_.cycles();
    const uint32_t bw = uint32_t(img_.chip.weight_bits);
    const uint32_t xchunks = (S_ * bw + 63) / 64, pchunks = (S_ + 63) / 64;
    std::vector<int32_t> lanes(S_);
    for (const CoreImage& c : img_.cores) {
        const uint32_t tile = tile_of(c);
        const bool learning = c.learning.enabled && !c.plastic.empty();
        host_.write(tile, MEM_CORE, CORE_N, uint64_t(c.num_neurons));
        host_.write(tile, MEM_CORE, CORE_A, uint64_t(c.num_axons));
        host_.write(tile, MEM_CORE, CORE_LEARNING, learning ? 1 : 0);
        if (learning) {
            const LearningProfile& l = c.learning;
            const int32_t regs[] = {l.a_plus, l.a_minus, l.shift, l.x_decay, l.y_decay,
                                    l.x_inc,  l.y_inc,   l.w_min, l.w_max};
            for (uint32_t k = 0; k < 9; ++k)
                host_.write(tile, MEM_CORE, CORE_A_PLUS + k, uint64_t(int64_t(regs[k])));
        }
        for (size_t p = 0; p < c.profiles.size(); ++p) {
            const NeuronProfile& q = c.profiles[p];
            host_.write(tile, MEM_PROFILE, uint32_t(p), 0,
                        uint64_t(q.du & 0xFFFF) | (uint64_t(q.dv & 0xFFFF) << 16) |
                            (uint64_t(q.vth & 0xFFFFFF) << 32));
            host_.write(tile, MEM_PROFILE, uint32_t(p), 1,
                        uint64_t(q.bias_exp & 0x1F) |
                            (uint64_t(q.reset == ResetMode::Subtract) << 5) |
                            (uint64_t(q.spiking) << 6) | (uint64_t(q.refractory & 0xFFFF) << 16));
        }
        for (int i = 0; i < c.num_neurons; ++i) {
            const int32_t b = c.route_ptr[size_t(i)], e = c.route_ptr[size_t(i) + 1];
            host_.write(tile, MEM_NEURON, uint32_t(i), 0,
                        uint64_t(uint32_t(c.bias_mant[size_t(i)])) |
                            (uint64_t(c.profile_of[size_t(i)]) << 32) |
                            (uint64_t(uint32_t(e - b) & 0xFF) << 40));
            for (int32_t k = b; k < e; ++k) {
                const Destination& d = c.route_dst[size_t(k)];
                const uint64_t f = d.is_host() ? make_flit(true, 0, 0, uint32_t(d.axon))
                                               : make_flit(false, uint32_t(d.x), uint32_t(d.y),
                                                           uint32_t(d.axon));
                host_.write(tile, MEM_ROUTE, uint32_t(i) * F_ + uint32_t(k - b), 0, f);
            }
        }
        // Crossbar words w < R of rows 0 .. a-1 (and the plastic mask where there is one:
        // syn_ops counts plastic lanes, so the chip needs the bits even without learning).
        const uint32_t n = uint32_t(c.num_neurons);
        const uint32_t R = (n + S_ - 1) / S_;
        for (int ax = 0; ax < c.num_axons; ++ax) {
            for (uint32_t w = 0; w < R; ++w) {
                const uint32_t addr = uint32_t(ax) * words_ + w;
                for (uint32_t j = 0; j < S_; ++j) {
                    const uint32_t i = w * S_ + j;
                    lanes[j] = i < n ? c.weights[size_t(ax) * n + i] : 0;
                }
                for (uint32_t ch = 0; ch < xchunks; ++ch)
                    host_.write(tile, MEM_XBAR, addr, ch, pack_chunk(lanes.data(), S_, bw, ch));
                if (c.plastic.empty()) continue;
                for (uint32_t j = 0; j < S_; ++j) {
                    const uint32_t i = w * S_ + j;
                    lanes[j] = i < n ? int32_t(c.plastic[size_t(ax) * n + i] != 0) : 0;
                }
                for (uint32_t ch = 0; ch < pchunks; ++ch)
                    host_.write(tile, MEM_PLASTIC, addr, ch, pack_chunk(lanes.data(), S_, 1, ch));
            }
        }
    }
    host_.quiet();
    load_cycles_ = host_.cycles() - c0;
}

void Run::clear() {
    ChipSignals& s = host_.sig();
    host_.quiet();
    s.clear_i.write(true);
    host_.tick();
    s.clear_i.write(false);
    if (!s.busy_o.read()) contract("clear_i");
    uint64_t c = 0;
    while (s.busy_o.read()) {
        host_.tick();
        if (++c > ho_.watchdog_cycles)
            throw WatchdogError(fmt::format("the CLEAR phase did not end within {} cycles", c),
                                ho_.backend + " chip", "this is a bug of the chip model");
    }
    clear_cycles_ += c;
}

uint64_t Run::step(int sample, int t, const std::vector<int32_t>* in, bool last,
                   std::vector<int32_t>& out) {
    flits_.clear();
    if (in) {
        for (int32_t i : *in) {
            if (i < 0 || i >= img_.num_inputs)
                throw InputError("input spike names input " + std::to_string(i) + " at step " +
                                     std::to_string(t) + ", but the image has " +
                                     std::to_string(img_.num_inputs) + " inputs",
                                 "spike input", "use input indices below the network's input size");
            for (int32_t k = img_.input_ptr[size_t(i)]; k < img_.input_ptr[size_t(i) + 1]; ++k) {
                const Destination& d = img_.input_dst[size_t(k)];
                flits_.push_back(
                    make_flit(false, uint32_t(d.x), uint32_t(d.y), uint32_t(d.axon)));
            }
        }
    }
    ChipSignals& s = host_.sig();
    host_.quiet();
    const size_t nf = flits_.size();
    s.start_i.write(true);
    s.start_count_i.write(uint32_t(nf));
    s.start_last_i.write(last);
    s.in_valid_i.write(nf > 0);
    s.in_flit_i.write(nf > 0 ? flits_[0] : 0);
    host_.tick();  // the PAUSE cycle that starts the step
    s.start_i.write(false);
    if (!s.busy_o.read()) contract("start_i");
    size_t sent = 0;
    uint64_t c = 0;  // cycles of the step seen so far; we are in cycle c now
    while (true) {
        if (s.out_valid_o.read()) out.push_back(int32_t(s.out_index_o.read()));
        if (!s.busy_o.read()) break;
        const bool ready = s.in_ready_o.read();
        const bool valid = sent < nf;
        if (valid) s.in_flit_i.write(flits_[sent]);
        s.in_valid_i.write(valid);
        host_.tick();
        if (valid && ready) ++sent;
        if (++c > ho_.watchdog_cycles) watchdog(sample, t);
    }
    s.in_valid_i.write(false);
    if (sent != nf)
        throw Error(fmt::format("step {} of sample {} ended with {} of its {} input flits sent", t,
                                sample, sent, nf),
                    ho_.backend + " chip", "this is a bug of the chip's host port");
    return c;
}

void Run::watchdog(int sample, int t) {
    std::string stuck;
    int ports = 0;
    static const char* names[] = {"L", "N", "E", "S", "W"};
    for (int y = 0; y < H_; ++y)
        for (int x = 0; x < W_; ++x)
            for (uint32_t p = 0; p < 5; ++p) {
                const uint64_t v = host_.read(uint32_t(y * W_ + x), MEM_ROUTER, p);
                const uint32_t count = uint32_t(v & 0xFFFF);
                if (count == 0) continue;
                ++ports;
                stuck += fmt::format("\n  router ({}, {}) input {}: {} flit{}, head {}", x, y,
                                     names[p], count, count == 1 ? "" : "s",
                                     flit_str((v >> 16) & FLIT_MASK));
            }
    if (ports == 0) stuck = "\n  no flit is in any router FIFO (a core or the host port is stuck)";
    throw WatchdogError(
        fmt::format("step {} of sample {} did not finish within {} cycles (watchdog); "
                    "stuck flits:{}",
                    t, sample, ho_.watchdog_cycles, stuck),
        ho_.backend + " chip",
        "check the image's routes (every destination must be a tile of the mesh), or raise "
        "--watchdog-cycles if the step is just long");
}

std::vector<int32_t> Run::read_state(const CoreImage& c, uint32_t field) {
    std::vector<int32_t> v(size_t(c.num_neurons));
    const uint32_t tile = tile_of(c);
    for (int i = 0; i < c.num_neurons; ++i)
        v[size_t(i)] = int32_t(host_.read_signed(tile, MEM_STATE, uint32_t(i) * kStateFields + field));
    return v;
}

Run::RawCounters Run::read_counters() {
    const uint32_t T = chip_tile();
    RawCounters k;
    k.reserve(size_t(T) * TC_COUNT + CC_COUNT);
    for (uint32_t t = 0; t < T; ++t)
        for (uint32_t i = 0; i < TC_COUNT; ++i) k.push_back(host_.read(t, MEM_COUNTERS, i));
    for (uint32_t i = 0; i < CC_COUNT; ++i) k.push_back(host_.read(T, MEM_COUNTERS, i));
    return k;
}

void Run::fill_counters(const RawCounters& raw, RunResult& rr) const {
    const uint32_t T = chip_tile();
    CycleStats& cs = rr.cycle_stats;
    cs.present = true;
    cs.mesh_w = W_;
    cs.mesh_h = H_;
    cs.clock_mhz = img_.chip.clock_mhz;
    cs.load_cycles = load_cycles_;
    cs.clear_cycles = clear_cycles_;
    EventCounters& e = rr.counters;
    e = EventCounters{};
    rr.state_wraps = 0;
    cs.busy_cycles.assign(T, 0);
    cs.stall_cycles.assign(T, 0);
    cs.max_fifo.assign(T, 0);
    cs.link_flits.assign(T, std::vector<uint64_t>(5, 0));
    for (uint32_t t = 0; t < T; ++t) {
        const uint64_t* k = raw.data() + size_t(t) * TC_COUNT;
        e.syn_ops += k[TC_SYN_OPS];
        e.row_reads += k[TC_ROW_READS];
        e.neuron_updates_active += k[TC_NU_ACTIVE];
        e.neuron_updates_idle += k[TC_NU_IDLE];
        e.spikes += k[TC_SPIKES];
        e.packets += k[TC_PACKETS];
        e.hops_ew += k[TC_HOPS_EW];
        e.hops_ns += k[TC_HOPS_NS];
        e.learn_updates += k[TC_LEARN_UPDATES];
        rr.state_wraps += k[TC_STATE_WRAPS];
        cs.busy_cycles[t] = k[TC_BUSY];
        cs.stall_cycles[t] = k[TC_STALLS];
        cs.max_fifo[t] = k[TC_MAX_FIFO];
        cs.link_flits[t] = {k[TC_SENT_L], k[TC_SENT_N], k[TC_SENT_E], k[TC_SENT_S], k[TC_SENT_W]};
    }
    const uint64_t* cc = raw.data() + size_t(T) * TC_COUNT;
    // Host injections are packets and one east-west hop each (the host link inbound); the
    // outbound host link is counted by tile (0, 0)'s W output already.
    e.packets += cc[CC_PACKETS];
    e.hops_ew += cc[CC_PACKETS];
    e.cycles = cc[CC_CYCLES];
    cs.steps = cc[CC_STEPS];
    cs.host_in_flits = cc[CC_PACKETS];
    cs.host_out_flits = cc[CC_HOST_FLITS];
    if (e.cycles != step_cycles_)
        throw Error(fmt::format("the chip counted {} step cycles, the host saw {}", e.cycles,
                                step_cycles_),
                    ho_.backend + " chip", "this is a bug of the chip's controller");
}

void Run::read_final_state(RunResult& rr) {
    bool any_learning = false;
    for (const CoreImage& c : img_.cores) {
        rr.final_u.push_back(read_state(c, STATE_U));
        rr.final_v.push_back(read_state(c, STATE_V));
        rr.final_refractory.push_back(read_state(c, STATE_REFR));
        any_learning = any_learning || (c.learning.enabled && !c.plastic.empty());
    }
    if (!((opt_.record & RecordWeights) || any_learning)) return;
    const uint32_t bw = uint32_t(img_.chip.weight_bits);
    const uint32_t xchunks = (S_ * bw + 63) / 64;
    for (const CoreImage& c : img_.cores) {
        const uint32_t n = uint32_t(c.num_neurons), R = (n + S_ - 1) / S_, tile = tile_of(c);
        std::vector<int16_t> w(size_t(n) * size_t(c.num_axons), 0);
        std::vector<uint64_t> chunks(xchunks);
        for (int ax = 0; ax < c.num_axons; ++ax)
            for (uint32_t wd = 0; wd < R; ++wd) {
                for (uint32_t ch = 0; ch < xchunks; ++ch)
                    chunks[ch] = host_.read(tile, MEM_XBAR, uint32_t(ax) * words_ + wd, ch);
                for (uint32_t j = 0; j < S_; ++j) {
                    const uint32_t i = wd * S_ + j;
                    if (i >= n) break;
                    uint64_t v = 0;
                    for (uint32_t b = 0; b < bw; ++b) {
                        const uint64_t bit = uint64_t(j) * bw + b;
                        v |= ((chunks[bit / 64] >> (bit % 64)) & 1) << b;
                    }
                    const uint64_t m = uint64_t(1) << (bw - 1);
                    w[size_t(ax) * n + i] = int16_t(int64_t((v ^ m) - m));
                }
            }
        rr.final_weights.push_back(std::move(w));
    }
}

RunResult Run::run(const SpikeInput& input) {
    const auto t0 = std::chrono::steady_clock::now();
    steps_ = opt_.steps > 0 ? opt_.steps : img_.timesteps;
    if (steps_ <= 0)
        throw InputError("no number of timesteps: the run options and the image both say 0",
                         "run options", "pass a positive number of steps (--steps N)");
    if (input.num_inputs != 0 && input.num_inputs != img_.num_inputs)
        throw InputError("the spike input has " + std::to_string(input.num_inputs) +
                             " inputs but the image has " + std::to_string(img_.num_inputs),
                         "spike input", "use input made for this network's input population");
    if (ho_.check_image) check_image_for_chip(img_);

    RunResult rr;
    rr.backend = ho_.backend;
    rr.steps = steps_;
    rr.num_outputs = img_.num_outputs;
    rr.samples.reserve(input.samples.size());

    bool any_output = false, all_li = true;
    for (const PopulationInfo& p : img_.populations)
        if (p.output) {
            any_output = true;
            all_li = all_li && p.kind == NeuronKind::LI;
        }
    membrane_ = img_.num_outputs > 0 && any_output && all_li &&
                img_.output_core.size() == size_t(img_.num_outputs) &&
                img_.output_neuron.size() == size_t(img_.num_outputs);

    host_.reset();
    load();

    const int64_t total = int64_t(input.samples.size());
    const int chunks = split_count(total);
    if (chunks > 1) {
        run_split(input, chunks, rr);
    } else {
        run_samples(input, 0, total, rr.samples, 1);
        fill_counters(read_counters(), rr);
        read_final_state(rr);
    }
    rr.threads = std::max(1, chunks);
    host_.quiet();
    rr.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rr;
}

void Run::run_samples(const SpikeInput& input, int64_t begin, int64_t end,
                      std::vector<SampleResult>& results, int progress_scale) {
    const int64_t total = int64_t(input.samples.size());
    std::vector<int32_t> out;
    for (int64_t si = begin; si < end; ++si) {
        const SampleInput& in = input.samples[size_t(si)];
        if (si == begin || opt_.reset_between_samples) clear();
        SampleResult sr;
        sr.label = in.label;
        sr.output_counts.assign(size_t(std::max(0, img_.num_outputs)), 0);
        sr.output_spikes.reserve(size_t(steps_));
        sr.cycles_per_step.reserve(size_t(steps_));
        if (membrane_) sr.output_v_sum.assign(size_t(img_.num_outputs), 0);
        for (int t = 0; t < steps_; ++t) {
            const bool last = t == steps_ - 1 && (opt_.reset_between_samples || si == total - 1);
            out.clear();
            const uint64_t c = step(int(si), t, t < int(in.steps.size()) ? &in.steps[size_t(t)] : nullptr,
                                    last, out);
            step_cycles_ += c;
            sr.cycles_per_step.push_back(c);
            std::sort(out.begin(), out.end());
            for (int32_t k : out) {
                if (k < 0 || k >= img_.num_outputs)
                    throw Error(fmt::format("the chip sent host output {} (the image has {})", k,
                                            img_.num_outputs),
                                ho_.backend + " chip", "check the image's routing tables");
                ++sr.output_counts[size_t(k)];
            }
            sr.output_spikes.push_back(out);
            // Recorded data, read through the debug port while the chip is paused.
            if (opt_.record & RecordSpikes) {
                sr.raster.emplace_back();
                for (size_t ci = 0; ci < img_.cores.size(); ++ci) {
                    const std::vector<int32_t> f = read_state(img_.cores[ci], STATE_FIRED);
                    for (size_t i = 0; i < f.size(); ++i)
                        if (f[i]) sr.raster.back().push_back(ChipSpike{int32_t(ci), int32_t(i)});
                }
            }
            if (opt_.record & RecordU) {
                sr.u_trace.emplace_back();
                for (const CoreImage& c : img_.cores)
                    sr.u_trace.back().push_back(read_state(c, STATE_U));
            }
            if (opt_.record & RecordV) {
                sr.v_trace.emplace_back();
                for (const CoreImage& c : img_.cores)
                    sr.v_trace.back().push_back(read_state(c, STATE_V));
            }
            if (membrane_)
                for (int k = 0; k < img_.num_outputs; ++k) {
                    const CoreImage& c = img_.cores[size_t(img_.output_core[size_t(k)])];
                    sr.output_v_sum[size_t(k)] += host_.read_signed(
                        tile_of(c), MEM_STATE,
                        uint32_t(img_.output_neuron[size_t(k)]) * kStateFields + STATE_V);
                }
        }
        sr.predicted = predicted_class(sr, membrane_);
        results.push_back(std::move(sr));
        // A split run reports the first chunk's progress for all of them (the chunks are
        // equal to within a sample); the last report waits for the workers.
        if (ho_.progress && progress_scale > 0)
            ho_.progress(std::min(total - (progress_scale > 1 ? 1 : 0),
                                  (si - begin + 1) * progress_scale),
                         total);
    }
}

// Samples are independent when every sample starts with a CLEAR and no core learns: CLEAR
// returns the whole chip to the state it had after loading (microarchitecture.md section
// 7, including the routers' round-robin pointers), so a sample's spikes, states and cycle
// counts do not depend on the samples before it.
int Run::split_count(int64_t samples) const {
    if (ho_.processes <= 1 || !opt_.reset_between_samples || samples < 2) return 1;
    for (const CoreImage& c : img_.cores)
        if (c.learning.enabled && !c.plastic.empty()) return 1;
    return parallel_chunk_count(samples, ho_.processes);
}

// The samples are cut into `chunks` contiguous chunks (sf::chunk_begin); this process runs
// the first and a forked worker process each of the others, on its copy of the loaded chip
// (SystemC simulates one design per process, so threads cannot share it). Results are merged
// in chunk order: the samples as they are, the counters as sums of what each chunk added
// (maxima for the FIFO occupancy), the final state from the last chunk.
void Run::run_split(const SpikeInput& input, int chunks, RunResult& rr) {
    const int64_t total = int64_t(input.samples.size());
    const RawCounters base = read_counters();
    struct Worker {
        pid_t pid = -1;
        int fd = -1;
    };
    std::vector<Worker> workers;
    auto stop_workers = [&] {
        for (Worker& w : workers) {
            if (w.fd >= 0) ::close(w.fd);
            if (w.pid > 0) {
                ::kill(w.pid, SIGKILL);
                int st = 0;
                while (::waitpid(w.pid, &st, 0) < 0 && errno == EINTR) {}
            }
        }
        workers.clear();
    };
    std::fflush(nullptr);  // a worker must not inherit, and later repeat, buffered output
    const pid_t parent = ::getpid();
    for (int c = 1; c < chunks; ++c) {
        int fds[2];
        if (::pipe(fds) != 0) {
            stop_workers();
            throw Error(std::string("cannot create a pipe for a worker process: ") + std::strerror(errno),
                        "cycle-level run", "run with --threads 1");
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
#ifdef __linux__
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);       // a worker ends with its parent
#endif
            if (::getppid() != parent) ::_exit(1);     // (the parent died before that call)
            ::close(fds[0]);
            for (const Worker& w : workers) ::close(w.fd);
            worker_main(input, chunk_begin(total, chunks, c), chunk_begin(total, chunks, c + 1),
                        c == chunks - 1, fds[1]);
        }
        ::close(fds[1]);
        if (pid < 0) {
            ::close(fds[0]);
            stop_workers();
            throw Error(std::string("cannot start a worker process: ") + std::strerror(errno),
                        "cycle-level run", "run with --threads 1, or free some memory");
        }
        workers.push_back({pid, fds[0]});
    }

    RawCounters sum;
    try {
        run_samples(input, 0, chunk_begin(total, chunks, 1), rr.samples, chunks);
        sum = read_counters();
    } catch (...) {
        stop_workers();
        throw;
    }
    RunResult last_state;
    for (size_t wi = 0; wi < workers.size(); ++wi) {
        Worker& w = workers[wi];
        Bytes in;
        in.data() = read_all(w.fd);
        ::close(w.fd);
        w.fd = -1;
        int st = 0;
        while (::waitpid(w.pid, &st, 0) < 0 && errno == EINTR) {}
        w.pid = -1;
        const int64_t b = chunk_begin(total, chunks, int(wi) + 1),
                      e = chunk_begin(total, chunks, int(wi) + 2);
        try {
            if (in.data().empty())
                throw Error(fmt::format("the worker process for samples {} to {} {} without a result",
                                        b, e - 1,
                                        WIFSIGNALED(st) ? fmt::format("was killed by signal {}", WTERMSIG(st))
                                                        : fmt::format("exited with status {}", WEXITSTATUS(st))),
                            "cycle-level run", "run with --threads 1 to see the error in this process");
            uint8_t kind = 0;
            in.get(kind);
            if (ErrKind(kind) != ErrKind::None) {
                std::string what, where, fix;
                in.get(what);
                in.get(where);
                in.get(fix);
                switch (ErrKind(kind)) {
                    case ErrKind::Input: throw InputError(what, where, fix);
                    case ErrKind::Watchdog: throw WatchdogError(what, where, fix);
                    case ErrKind::Error: throw Error(what, where, fix);
                    default: throw std::runtime_error(what);
                }
            }
            std::vector<SampleResult> part;
            RawCounters k;
            uint64_t step_cycles = 0, clear_cycles = 0;
            in.get(part);
            in.get(k);
            in.get(step_cycles);
            in.get(clear_cycles);
            if (wi + 1 == workers.size()) {
                in.get(last_state.final_u);
                in.get(last_state.final_v);
                in.get(last_state.final_refractory);
                in.get(last_state.final_weights);
            }
            if (!in.at_end() || k.size() != base.size() || int64_t(part.size()) != e - b)
                throw Error("a worker process sent a malformed result", "cycle-level run",
                            "this is a bug of spikeforge; run with --threads 1 meanwhile");
            for (SampleResult& r : part) rr.samples.push_back(std::move(r));
            for (size_t i = 0; i < k.size(); ++i) {
                const bool is_max = i < size_t(chip_tile()) * TC_COUNT && i % TC_COUNT == TC_MAX_FIFO;
                sum[i] = is_max ? std::max(sum[i], k[i]) : sum[i] + (k[i] - base[i]);
            }
            step_cycles_ += step_cycles;
            clear_cycles_ += clear_cycles;
        } catch (...) {
            stop_workers();
            throw;
        }
    }
    fill_counters(sum, rr);
    rr.final_u = std::move(last_state.final_u);
    rr.final_v = std::move(last_state.final_v);
    rr.final_refractory = std::move(last_state.final_refractory);
    rr.final_weights = std::move(last_state.final_weights);
    if (ho_.progress) ho_.progress(total, total);
}

// A worker process: runs its samples on its copy of the chip, writes what it found (or the
// error it met) to `fd` and ends without running the parent's exit handlers.
void Run::worker_main(const SpikeInput& input, int64_t begin, int64_t end, bool last_chunk,
                      int fd) {
    Bytes out;
    try {
        std::vector<SampleResult> part;
        run_samples(input, begin, end, part, 0);
        const RawCounters k = read_counters();
        RunResult fin;
        if (last_chunk) read_final_state(fin);
        out.put(uint8_t(ErrKind::None));
        out.put(part);
        out.put(k);
        out.put(step_cycles_);
        out.put(clear_cycles_);
        if (last_chunk) {
            out.put(fin.final_u);
            out.put(fin.final_v);
            out.put(fin.final_refractory);
            out.put(fin.final_weights);
        }
    } catch (...) {
        // An error record instead: its kind, then what, where and how to fix it.
        auto record = [&out](ErrKind kind, const std::string& what, const std::string& where,
                             const std::string& fix) {
            out = Bytes();
            out.put(uint8_t(kind));
            out.put(what);
            out.put(where);
            out.put(fix);
        };
        try {
            throw;
        } catch (const WatchdogError& e) {
            record(ErrKind::Watchdog, e.problem(), e.where(), e.fix());
        } catch (const InputError& e) {
            record(ErrKind::Input, e.problem(), e.where(), e.fix());
        } catch (const Error& e) {
            record(ErrKind::Error, e.problem(), e.where(), e.fix());
        } catch (const std::exception& e) {
            record(ErrKind::Other, e.what(), "", "");
        } catch (...) {
            record(ErrKind::Other, "unknown error in a worker process", "", "");
        }
    }
    const bool ok = write_all(fd, out.data());
    ::close(fd);
    ::_exit(ok ? 0 : 1);
}

}  // namespace

void check_image_for_chip(const ChipImage& img) {
    validate_chip_image(img, "chip image");
    const ChipConfig& c = img.chip;
    auto refuse = [](const std::string& what, const std::string& fix) {
        throw InputError(what + " (the cycle-level chips' limit)", "chip image", fix);
    };
    if (c.mesh_w > 256 || c.mesh_h > 256 || c.mesh_w * c.mesh_h > 65535)
        refuse(fmt::format("the {}x{} mesh is larger than 256 x 256 tiles", c.mesh_w, c.mesh_h),
               "use a smaller mesh");
    if (img.num_outputs > 65536)
        refuse(fmt::format("the image has {} host outputs, more than 65,536", img.num_outputs),
               "use a network with fewer outputs");
    if (c.axons_per_core > 65536)
        refuse(fmt::format("{} axons per core do not fit the 16-bit axon field of a flit",
                           c.axons_per_core),
               "use at most 65,536 axons per core");
    if (c.fanout > 255 || c.profiles_per_core > 256)
        refuse("fanout above 255 or more than 256 profiles per core",
               "use a smaller fanout or fewer profiles");
    if (c.weight_bits > 16) refuse("weights wider than 16 bits", "use weight_bits <= 16");
    if (int64_t(c.neurons_per_core) * c.fanout > (int64_t(1) << 32) ||
        int64_t(c.axons_per_core) * ((c.neurons_per_core + c.word_synapses - 1) / c.word_synapses) >
            (int64_t(1) << 32))
        refuse("a core memory larger than the 32-bit configuration address", "use smaller cores");
    for (const CoreImage& core : img.cores)
        for (const NeuronProfile& p : core.profiles)
            if (p.vth >= (1 << 24) || p.bias_exp > 31 || p.refractory > 0xFFFF || p.du > 0xFFFF ||
                p.dv > 0xFFFF)
                refuse(fmt::format("core ({}, {}) has a profile field wider than the "
                                   "configuration port's (vth 24 bits, bias_exp 5, refractory 16)",
                                   core.x, core.y),
                       "use a chip with narrower neuron fields");
}

RunResult run_cycle_level(ChipSignals& sig, const ChipImage& img, const SpikeInput& input,
                          const RunOptions& opt, const HarnessOptions& ho) {
    Run r(sig, img, opt, ho);
    return r.run(input);
}

}  // namespace sf::harness

// Debian's libsystemc carries a main() that calls sc_main; programs that drive SystemC
// from their own main (spikeforge, the tests) never call it, but the linker wants the
// symbol. Weak, so a program with its own sc_main keeps it.
__attribute__((weak)) int sc_main(int, char**) {
    return 0;
}
