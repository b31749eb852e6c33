// The core of one tile: see core.hpp and docs/microarchitecture.md §4.
#include "sf/systemc/core.hpp"

#include <algorithm>
#include <cassert>

#include "sf/core/fixed_point.hpp"
#include "sf/harness/chip_ports.hpp"

namespace sf::sc {

using namespace sf::harness;

namespace {

int64_t sign_extend(uint64_t v, unsigned bits) {
    if (bits >= 64) return int64_t(v);
    const uint64_t m = uint64_t(1) << (bits - 1);
    v &= (uint64_t(1) << bits) - 1;
    return int64_t((v ^ m) - m);
}

// Bits [64 c + 63 : 64 c] of a word made of `lanes` fields of `bits` bits each.
template <class T>
uint64_t lanes_chunk(const T* lanes, uint32_t count, uint32_t bits, uint32_t chunk) {
    uint64_t out = 0;
    const uint64_t lo = uint64_t(chunk) * 64, hi = lo + 64;
    const uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
    for (uint32_t j = 0; j < count; ++j) {
        const uint64_t b0 = uint64_t(j) * bits, b1 = b0 + bits;
        if (b1 <= lo || b0 >= hi) continue;
        const uint64_t val = uint64_t(int64_t(lanes[j])) & mask;
        if (b0 >= lo)
            out |= val << (b0 - lo);
        else
            out |= val >> (lo - b0);
    }
    return out;
}

// Replace the bits of chunk c in a word of lanes; lanes are stored sign-extended when
// `is_signed`.
template <class T>
void lanes_set_chunk(T* lanes, uint32_t count, uint32_t bits, uint32_t chunk, uint64_t data,
                     bool is_signed) {
    const uint64_t lo = uint64_t(chunk) * 64, hi = lo + 64;
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    for (uint32_t j = 0; j < count; ++j) {
        const uint64_t b0 = uint64_t(j) * bits, b1 = b0 + bits;
        if (b1 <= lo || b0 >= hi) continue;
        uint64_t val = uint64_t(int64_t(lanes[j])) & mask;
        for (uint64_t b = std::max(b0, lo); b < std::min(b1, hi); ++b) {
            const uint64_t bit = (data >> (b - lo)) & 1;
            val = (val & ~(uint64_t(1) << (b - b0))) | (bit << (b - b0));
        }
        lanes[j] = is_signed ? T(sign_extend(val, bits)) : T(val);
    }
}

}  // namespace

Core::Core(sc_core::sc_module_name name) : Clocked(name), eq("event_queue") {
    SC_METHOD(run);
}

void Core::configure(const ChipConfig& cfg, bool active, const Reg<PhaseWord>* phase,
                     const sc_core::sc_event* start, MaxReg* done, IdleTree* idle,
                     Fifo* l_input) {
    cfg_ = cfg;
    active_ = active;
    phase_ = phase;
    start_ = start;
    done_ = done;
    l_input_ = l_input;
    eq.attach(&arrival_, idle, IdleTree::Integ);
    stage2_flag_.attach(idle, IdleTree::Integ);
    encoder_flag_.attach(idle, IdleTree::Net);
    if (active) {
        reset(cfg);
    } else {  // a spare tile: no memories
        ChipConfig none = cfg;
        none.neurons_per_core = none.axons_per_core = 1;
        reset(none);
    }
}

void Core::reset(const ChipConfig& cfg) {
    clear_wait();
    stage2_flag_.reset();
    encoder_flag_.reset();
    started_ = inflight_ = popped_ = false;
    pop_at_ = 0;
    N_ = uint32_t(std::max(1, cfg.neurons_per_core));
    A_ = uint32_t(std::max(1, cfg.axons_per_core));
    S_ = uint32_t(std::max(1, cfg.word_synapses));
    F_ = uint32_t(std::max(1, cfg.fanout));
    P_ = uint32_t(std::max(1, cfg.profiles_per_core));
    Bw_ = uint32_t(cfg.weight_bits);
    Bs_ = uint32_t(cfg.state_bits);
    Bt_ = uint32_t(cfg.trace_bits);
    words_ = (N_ + S_ - 1) / S_;
    rowlen_ = words_ * S_;
    n_ = a_ = R_ = 0;
    learning_ = false;
    lp_ = LearningProfile{};
    xbar_.clear();
    xbar_.shrink_to_fit();
    plastic_.clear();
    plastic_.shrink_to_fit();
    bias_.assign(N_, 0);
    profile_of_.assign(N_, 0);
    route_count_.assign(N_, 0);
    routes_.assign(size_t(N_) * F_, 0);
    NeuronProfile zero;
    zero.du = zero.dv = zero.vth = zero.bias_exp = zero.refractory = 0;
    zero.reset = ResetMode::Zero;
    zero.spiking = false;
    profiles_.assign(P_, zero);
    u_.assign(N_, 0);
    v_.assign(N_, 0);
    refr_.assign(N_, 0);
    ytr_.assign(N_, 0);
    xtr_.assign(A_, 0);
    fired_.assign(N_, 0);
    pre_.assign(A_, 0);
    post_.assign(N_, 0);
    acc_.assign(N_, 0);
    eq.reset(cfg.router_fifo_depth);
    w_ = 0;
    stage2_ = false;
    spike_q_.clear();
    spike_q_.reserve(N_);
    sq_pos_ = 0;
    entry_ = 0;
    syn_ops = row_reads = nu_active = nu_idle = spikes = packets = learn_updates = busy = 0;
    state_wraps = 0;
}

const int16_t* Core::row(uint32_t axon) const {
    const size_t off = size_t(axon) * rowlen_;
    return off + rowlen_ <= xbar_.size() ? xbar_.data() + off : nullptr;
}
const uint8_t* Core::plastic_row(uint32_t axon) const {
    const size_t off = size_t(axon) * rowlen_;
    return off + rowlen_ <= plastic_.size() ? plastic_.data() + off : nullptr;
}
int16_t* Core::row_mut(uint32_t axon) {
    const size_t end = (size_t(axon) + 1) * rowlen_;
    if (xbar_.size() < end)
        xbar_.resize(std::max(end, std::min(size_t(A_) * rowlen_, xbar_.size() * 2)), 0);
    return xbar_.data() + size_t(axon) * rowlen_;
}
uint8_t* Core::plastic_row_mut(uint32_t axon) {
    const size_t end = (size_t(axon) + 1) * rowlen_;
    if (plastic_.size() < end)
        plastic_.resize(std::max(end, std::min(size_t(A_) * rowlen_, plastic_.size() * 2)), 0);
    return plastic_.data() + size_t(axon) * rowlen_;
}

void Core::cfg_write(uint32_t mem, uint32_t addr, uint32_t chunk, uint64_t d) {
    switch (mem) {
        case MEM_XBAR:
        case MEM_PLASTIC: {
            const uint32_t ax = addr / words_, w = addr % words_;
            if (ax >= A_) return;
            if (mem == MEM_XBAR)
                lanes_set_chunk(row_mut(ax) + size_t(w) * S_, S_, Bw_, chunk, d, true);
            else
                lanes_set_chunk(plastic_row_mut(ax) + size_t(w) * S_, S_, 1, chunk, d, false);
            return;
        }
        case MEM_NEURON:
            if (addr >= N_ || chunk != 0) return;
            bias_[addr] = int32_t(uint32_t(d & 0xFFFFFFFFu));
            profile_of_[addr] = uint8_t((d >> 32) & 0xFF);
            route_count_[addr] = uint8_t((d >> 40) & 0xFF);
            return;
        case MEM_ROUTE:
            if (addr >= N_ * F_ || chunk != 0) return;
            routes_[addr] = d & FLIT_MASK;
            return;
        case MEM_PROFILE: {
            if (addr >= P_) return;
            NeuronProfile& p = profiles_[addr];
            if (chunk == 0) {
                p.du = int(d & 0xFFFF);
                p.dv = int((d >> 16) & 0xFFFF);
                p.vth = int((d >> 32) & 0xFFFFFF);
            } else if (chunk == 1) {
                p.bias_exp = int(d & 0x1F);
                p.reset = ((d >> 5) & 1) ? ResetMode::Subtract : ResetMode::Zero;
                p.spiking = ((d >> 6) & 1) != 0;
                p.refractory = int((d >> 16) & 0xFFFF);
            }
            return;
        }
        case MEM_CORE: {
            const int32_t s = int32_t(uint32_t(d & 0xFFFFFFFFu));
            switch (addr) {
                case CORE_N:
                    n_ = std::min<uint32_t>(uint32_t(d), N_);
                    R_ = (n_ + S_ - 1) / S_;
                    break;
                case CORE_A: a_ = std::min<uint32_t>(uint32_t(d), A_); break;
                case CORE_LEARNING: learning_ = (d & 1) != 0; break;
                case CORE_A_PLUS: lp_.a_plus = s; break;
                case CORE_A_MINUS: lp_.a_minus = s; break;
                case CORE_SHIFT: lp_.shift = s; break;
                case CORE_X_DECAY: lp_.x_decay = s; break;
                case CORE_Y_DECAY: lp_.y_decay = s; break;
                case CORE_X_INC: lp_.x_inc = s; break;
                case CORE_Y_INC: lp_.y_inc = s; break;
                case CORE_W_MIN: lp_.w_min = s; break;
                case CORE_W_MAX: lp_.w_max = s; break;
                default: break;
            }
            return;
        }
        default: return;  // read-only memories
    }
}

uint64_t Core::cfg_read(uint32_t mem, uint32_t addr, uint32_t chunk) const {
    switch (mem) {
        case MEM_XBAR:
        case MEM_PLASTIC: {
            const uint32_t ax = addr / words_, w = addr % words_;
            if (mem == MEM_XBAR) {
                const int16_t* r = row(ax);
                return r ? lanes_chunk(r + size_t(w) * S_, S_, Bw_, chunk) : 0;
            }
            const uint8_t* r = plastic_row(ax);
            return r ? lanes_chunk(r + size_t(w) * S_, S_, 1, chunk) : 0;
        }
        case MEM_NEURON:
            if (addr >= N_) return 0;
            return uint64_t(uint32_t(bias_[addr])) | (uint64_t(profile_of_[addr]) << 32) |
                   (uint64_t(route_count_[addr]) << 40);
        case MEM_ROUTE: return addr < N_ * F_ ? routes_[addr] : 0;
        case MEM_PROFILE: {
            if (addr >= P_) return 0;
            const NeuronProfile& p = profiles_[addr];
            if (chunk == 0)
                return uint64_t(p.du & 0xFFFF) | (uint64_t(p.dv & 0xFFFF) << 16) |
                       (uint64_t(p.vth & 0xFFFFFF) << 32);
            return uint64_t(p.bias_exp & 0x1F) | (uint64_t(p.reset == ResetMode::Subtract) << 5) |
                   (uint64_t(p.spiking) << 6) | (uint64_t(p.refractory & 0xFFFF) << 16);
        }
        case MEM_CORE:
            switch (addr) {
                case CORE_N: return n_;
                case CORE_A: return a_;
                case CORE_LEARNING: return learning_ ? 1 : 0;
                case CORE_A_PLUS: return uint64_t(int64_t(lp_.a_plus));
                case CORE_A_MINUS: return uint64_t(int64_t(lp_.a_minus));
                case CORE_SHIFT: return uint64_t(int64_t(lp_.shift));
                case CORE_X_DECAY: return uint64_t(int64_t(lp_.x_decay));
                case CORE_Y_DECAY: return uint64_t(int64_t(lp_.y_decay));
                case CORE_X_INC: return uint64_t(int64_t(lp_.x_inc));
                case CORE_Y_INC: return uint64_t(int64_t(lp_.y_inc));
                case CORE_W_MIN: return uint64_t(int64_t(lp_.w_min));
                case CORE_W_MAX: return uint64_t(int64_t(lp_.w_max));
                default: return 0;
            }
        case MEM_STATE: {
            const uint32_t i = addr / 8, f = addr % 8;
            if (i >= N_) return 0;
            switch (f) {
                case STATE_U: return uint64_t(int64_t(u_[i]));
                case STATE_V: return uint64_t(int64_t(v_[i]));
                case STATE_REFR: return uint64_t(refr_[i]);
                case STATE_YTRACE: return uint64_t(ytr_[i]);
                case STATE_FIRED: return fired_[i];
                default: return 0;
            }
        }
        case MEM_XTRACE: return addr < A_ ? uint64_t(xtr_[addr]) : 0;
        default: return 0;
    }
}

// One crossbar word of an event: the read of stage 1 and the accumulate of stage 2 (done
// together: nothing can observe the accumulators before the phase ends).
void Core::read_word(uint32_t axon, uint32_t w) {
    const int16_t* r = axon < A_ ? row(axon) : nullptr;
    const uint32_t lo = w * S_, hi = std::min(lo + S_, n_);
    if (r) {
        const uint8_t* pl = plastic_row(axon);
        uint32_t present = 0;
        for (uint32_t i = lo; i < hi; ++i) {
            acc_[i] += uint32_t(int32_t(r[i]));
            present += (r[i] != 0 || (pl && pl[i])) ? 1u : 0u;
        }
        syn_ops += present;
    } else if (const uint8_t* pl = axon < A_ ? plastic_row(axon) : nullptr) {
        for (uint32_t i = lo; i < hi; ++i) syn_ops += pl[i] ? 1u : 0u;
    }
    ++row_reads;
    if (learning_ && axon < A_) pre_[axon] = 1;
}

bool Core::integrate_cycle(bool discard) {
    bool worked = stage2_;  // stage 2: the word read last cycle is accumulated now
    stage2_ = false;
    popped_ = false;
    if (eq.empty()) return worked;
    if (discard || R_ == 0) {
        eq.pop();  // discard mode (§4.1): popped unread, counting nothing
        popped_ = true;
        return worked;
    }
    read_word(flit_axon(eq.front()), w_);
    stage2_ = true;
    if (++w_ == R_) {
        w_ = 0;
        eq.pop();
        popped_ = true;
    }
    return true;
}

// Nothing to do until an event arrives or the controller starts COMPUTE, CLEAR or ROUTE;
// a spare tile (not in the mesh) until the next reset.
void Core::sleep_idle() {
    if (active_)
        sleep_on(arrival_ | *start_);
    else
        next_trigger(rst_ni.negedge_event());
}

void Core::run() {
    if (!rst_ni.read()) {
        if (active_) reset(cfg_);
        sleep_idle();
        return;
    }
    if (start_ && start_->triggered()) started_ = true;  // acts at the next rising edge
    if (waiting()) return;
    if (!active_) {
        sleep_idle();
        return;
    }
    const uint64_t c = cycle();
    const PhaseWord pw = phase_->read();
    const bool first = started_;  // the first cycle of COMPUTE, CLEAR or ROUTE
    started_ = false;
    switch (pw.phase) {
        case Phase::Compute:
            if (first) {
                const uint64_t b = compute();
                busy += b;
                done_->write_max(b);
                encoder_flag_.write(!encoder_idle());
                tr_next_ = 0;
            }
            if (traced_ && replay_update()) {
                next_cycle();
                return;
            }
            sleep_idle();
            return;
        case Phase::Clear:
            if (first) done_->write_max(clear_state());
            sleep_idle();
            return;
        case Phase::Pause:
            sleep_idle();
            return;
        case Phase::Integ:
        case Phase::Route:
            break;
    }
    const bool route = pw.phase == Phase::Route;
    const bool discard = route && pw.last;
    if (inflight_ || (fast_ && !discard && R_ > 0 && !(route && !encoder_idle())))
        batch(c);
    else
        step_one_cycle(route, discard);
}

// One cycle of the waveform replay of the update unit; false when every neuron was shown.
bool Core::replay_update() {
    if (tr_next_ >= tr_updates_.size()) {
        tr_neuron_ = n_;
        tr_spike_ = false;
        return false;
    }
    const Update& u = tr_updates_[tr_next_];
    tr_neuron_ = tr_next_++;
    tr_u_ = u.u;
    tr_v_ = u.v;
    tr_spike_ = u.spike;
    return true;
}

// Cycle by cycle: the encoder (ROUTE) and the integrate engine; the core is busy in a cycle
// in which either did work.
void Core::step_one_cycle(bool route, bool discard) {
    bool worked = false;
    if (route && !encoder_idle()) {
        uint64_t flit = 0;
        bool sent = false;
        worked = encoder_cycle(l_input_->ready(), &flit, &sent);
        if (sent) l_input_->push(flit);
        encoder_flag_.write(!encoder_idle());
    }
    popped_ = false;
    if (!integrate_idle()) worked = integrate_cycle(discard) || worked;
    busy += worked;
    stage2_flag_.write(stage2_);
    if (stage2_ || eq.count() > (popped_ ? 1u : 0u) || (route && !encoder_idle()))
        next_cycle();
    else
        sleep_idle();
}

// The integrate engine with exact skipping: an event's remaining words are read (and
// counted) when it is at the head in cycle c, in cycles c .. c + rem - 1; the engine wakes in
// the last of them, pops the event, and goes on with the next one (at the head from the next
// cycle) or, if none is queued yet, looks again in the next cycle (stage 2 only, or a new
// event that arrived meanwhile).
void Core::batch(uint64_t c) {
    if (!inflight_) {
        const bool stage2 = stage2_;
        stage2_ = false;
        if (eq.empty()) {
            busy += stage2;
            stage2_flag_.write(false);
            sleep_idle();
            return;
        }
        const uint32_t rem = R_ - w_;
        const uint32_t axon = flit_axon(eq.front());
        for (uint32_t w = w_; w < R_; ++w) read_word(axon, w);
        busy += rem;
        stage2_flag_.write(true);
        inflight_ = true;
        pop_at_ = c + rem - 1;
        if (pop_at_ > c) {
            at_cycle(pop_at_);
            return;
        }
    }
    assert(c == pop_at_);
    eq.pop();
    w_ = 0;
    stage2_ = true;
    inflight_ = false;
    if (eq.count() >= 2) {
        const uint32_t axon = flit_axon(eq.at(1));
        for (uint32_t w = 0; w < R_; ++w) read_word(axon, w);
        busy += R_;
        inflight_ = true;
        pop_at_ = c + R_;
        at_cycle(pop_at_);
        return;
    }
    next_cycle();
}

uint64_t Core::compute() {
    spike_q_.clear();
    sq_pos_ = 0;
    entry_ = 0;
    const uint32_t n = n_, a = a_;
    if (traced_) tr_updates_.clear();
    for (uint32_t i = 0; i < n; ++i) {
        const int32_t a_in = int32_t(acc_[i]);
        const bool active = a_in != 0 || u_[i] != 0 || v_[i] != 0 || refr_[i] != 0;
        nu_active += active;
        nu_idle += !active;
        fx::NeuronState s{u_[i], v_[i], refr_[i]};
        bool wrapped = false;
        const bool spk = fx::neuron_step(s, profiles_[profile_of_[i] % P_], bias_[i], a_in,
                                         int(Bs_), &wrapped);
        state_wraps += wrapped;
        u_[i] = s.u;
        v_[i] = s.v;
        refr_[i] = s.refractory;
        acc_[i] = 0;
        fired_[i] = spk;
        if (traced_) tr_updates_.push_back(Update{s.u, s.v, spk});
        if (spk) {
            ++spikes;
            post_[i] = 1;
            spike_q_.push_back(int32_t(i));
        }
    }
    uint64_t B = n > 0 ? n + 1 : 0;
    if (!learning_) {
        for (int32_t i : spike_q_) post_[size_t(i)] = 0;
        return B;
    }
    // L1: pre traces; L2: post traces (chip-spec §6 steps 1-2).
    for (uint32_t ax = 0; ax < a; ++ax) {
        xtr_[ax] = fx::trace_decay(xtr_[ax], lp_.x_decay);
        if (pre_[ax]) xtr_[ax] = fx::trace_add(xtr_[ax], lp_.x_inc, int(Bt_));
    }
    for (uint32_t i = 0; i < n; ++i) ytr_[i] = fx::trace_decay(ytr_[i], lp_.y_decay);
    // L3: read-modify-write the rows with a pre spike, or every row when a neuron fired.
    const bool any_post = !spike_q_.empty();
    uint64_t l3 = 1;
    for (uint32_t ax = 0; ax < a; ++ax) {
        const bool pre = pre_[ax] != 0;
        if (!pre && !any_post) {
            l3 += 1;
            continue;
        }
        l3 += R_;
        const uint8_t* pl = plastic_row(ax);
        if (pl && n > 0) {
            int16_t* r = row_mut(ax);
            for (uint32_t i = 0; i < n; ++i) {
                if (!pl[i] || !(pre || post_[i])) continue;
                r[i] = int16_t(fx::stdp_weight(r[i], pre, post_[i] != 0, xtr_[ax], ytr_[i], lp_));
                ++learn_updates;
            }
        }
        pre_[ax] = 0;
    }
    // L4: post spikes into the post traces.
    for (uint32_t i = 0; i < n; ++i)
        if (post_[i]) {
            ytr_[i] = fx::trace_add(ytr_[i], lp_.y_inc, int(Bt_));
            post_[i] = 0;
        }
    return B + a + n + l3 + n;
}

uint64_t Core::clear_state() {
    std::fill(u_.begin(), u_.end(), 0);
    std::fill(v_.begin(), v_.end(), 0);
    std::fill(refr_.begin(), refr_.end(), 0);
    std::fill(fired_.begin(), fired_.end(), 0);
    std::fill(ytr_.begin(), ytr_.end(), 0);
    std::fill(xtr_.begin(), xtr_.end(), 0);
    std::fill(pre_.begin(), pre_.end(), 0);
    std::fill(post_.begin(), post_.end(), 0);
    std::fill(acc_.begin(), acc_.end(), 0);
    return std::max(n_, a_);
}

bool Core::encoder_cycle(bool l_ready, uint64_t* flit, bool* sent) {
    *sent = false;
    if (sq_pos_ >= spike_q_.size()) return false;
    const uint32_t i = uint32_t(spike_q_[sq_pos_]);
    const uint32_t cnt = std::min<uint32_t>(route_count_[i], F_);
    if (cnt == 0) {  // no routing entries: dropped in one cycle
        ++sq_pos_;
        return true;
    }
    if (!l_ready) return false;  // stall: retry next cycle
    *flit = routes_[size_t(i) * F_ + entry_];
    *sent = true;
    ++packets;
    if (++entry_ == cnt) {
        entry_ = 0;
        ++sq_pos_;
    }
    return true;
}

}  // namespace sf::sc
