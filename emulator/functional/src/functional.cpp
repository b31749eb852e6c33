// The functional emulator (docs/chip-spec.md is the specification it executes).
//
// One timestep, for every sample:
//   1. deliver: the spikes of the previous step (already routed to (core, axon) lists)
//      plus the host input of this step;
//   2. accumulate: every event adds its axon's crossbar row into the core's per-neuron
//      accumulators (integer sums, so the order of events cannot matter);
//   3. update every neuron with fx::neuron_step;
//   4. learn on learning-enabled cores (fx::stdp_weight and the trace helpers);
//   5. route this step's spikes: host outputs are recorded now, chip destinations become
//      the next step's events.
// State lives in flat per-core arrays (structure of arrays) that are allocated once per
// run, so the hot loops never allocate.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "sf/core/error.hpp"
#include "sf/core/fixed_point.hpp"
#include "sf/core/parallel.hpp"
#include "sf/functional/detail.hpp"
#include "sf/functional/functional.hpp"

namespace sf {
namespace {

// Where a spike goes, with its routing cost folded in once at setup.
struct Route {
    int32_t core;  // index into img.cores, or -1 for the host
    int32_t axon;  // axon on that core, or output index for the host
};

struct CoreState {
    const CoreImage* img = nullptr;
    int x = 0, y = 0;
    int n = 0, a = 0;
    bool learning = false;

    std::vector<int16_t> w;             // [a * n] working crossbar (learning changes it)
    std::vector<uint32_t> row_present;  // [a] synapses present per row (nonzero or plastic)
    std::vector<uint32_t> row_plastic;  // [a] plastic synapses per row

    // Neuron state, structure of arrays.
    std::vector<int32_t> u, v, refr;
    std::vector<int32_t> acc;       // [n] this step's input, int32 part
    std::vector<int64_t> acc_wide;  // [n] spill of acc when a step has very many events
    std::vector<uint8_t> profile_of;
    std::vector<int32_t> bias;
    std::vector<NeuronProfile> profiles;

    // Per-neuron routing, flattened from the image's CSR, and its per-spike costs.
    std::vector<int32_t> route_ptr;
    std::vector<Route> routes;
    std::vector<uint32_t> pkt, ew, ns;  // [n] packets and hops produced by one spike

    // Learning.
    std::vector<int32_t> xtr, ytr;   // pre traces [a], post traces [n]
    std::vector<uint8_t> pre, post;  // this step's pre (per axon) / post (per neuron)

    // This step's events (axon ids) and the next step's.
    std::vector<int32_t> events, next_events;
    std::vector<int32_t> fired;  // neurons that fired this step, ascending
};

// With int16 weights, an int32 accumulator cannot overflow within 65535 rows.
constexpr size_t ACC32_ROWS = 65535;

[[noreturn]] void bad_image(const std::string& what, const std::string& fix) {
    throw InputError(what, "chip image", fix);
}

void accumulate_row(const int16_t* __restrict row, int32_t* __restrict acc, int n) {
    for (int i = 0; i < n; ++i) acc[i] += row[i];
}

class Engine {
  public:
    Engine(const ChipImage& img, const RunOptions& opt, uint64_t shuffle_seed)
        : img_(img), opt_(opt), shuffle_seed_(shuffle_seed), rng_(shuffle_seed) {
        setup();
    }

    RunResult run(const SpikeInput& input, const ProgressFn& progress);

  private:
    void setup();
    void reset_state();
    void run_step(int t, const std::vector<int32_t>* host_in, SampleResult& sr);
    // Samples [begin, end) from reset state, results into out[s]; done(s + 1) after each.
    void run_samples(const SpikeInput& input, int64_t begin, int64_t end, int steps,
                     SampleResult* out, const std::function<void(int64_t)>& done);
    // Counters and the final state (u, v, refractory, weights) into rr.
    void collect(RunResult& rr, bool any_learning) const;

    const ChipImage& img_;
    RunOptions opt_;
    uint64_t shuffle_seed_;
    std::mt19937_64 rng_;
    std::vector<CoreState> cores_;
    // Outputs are leaky integrators (LI): they never spike, so the class is read from
    // their membranes, summed over the steps of a sample (docs/chip-spec.md, "Readout").
    bool membrane_readout_ = false;
    int word_ = 16;
    int state_bits_ = 24;
    int trace_bits_ = 8;
    // Host input routing (CSR) and per-input-spike costs.
    std::vector<int32_t> in_ptr_;
    std::vector<Route> in_routes_;
    uint64_t in_pkt_total_ = 0;
    std::vector<uint32_t> in_ew_, in_ns_;
    EventCounters c_;
    uint64_t wraps_ = 0;  // neuron updates whose u wrapped round
    std::vector<int32_t> out_step_;  // scratch: this step's output indices
};

void Engine::setup() {
    const ChipConfig& chip = img_.chip;
    word_ = std::max(1, chip.word_synapses);
    state_bits_ = chip.state_bits;
    trace_bits_ = chip.trace_bits;
    if (state_bits_ < 2 || state_bits_ > 31) bad_image("state_bits out of range", "use 2..31");
    if (trace_bits_ < 1 || trace_bits_ > 30) bad_image("trace_bits out of range", "use 1..30");

    // Tile -> core index; only tiles in use have cores.
    const int W = std::max(1, chip.mesh_w), H = std::max(1, chip.mesh_h);
    std::vector<int32_t> at(size_t(W) * H, -1);
    for (size_t i = 0; i < img_.cores.size(); ++i) {
        const CoreImage& ci = img_.cores[i];
        if (ci.x < 0 || ci.y < 0 || ci.x >= W || ci.y >= H)
            bad_image("core (" + std::to_string(ci.x) + ", " + std::to_string(ci.y) +
                          ") lies outside the " + std::to_string(W) + "x" + std::to_string(H) +
                          " mesh",
                      "recompile the network for this chip");
        if (at[size_t(ci.y) * W + ci.x] >= 0)
            bad_image("two cores at (" + std::to_string(ci.x) + ", " + std::to_string(ci.y) + ")",
                      "recompile the network");
        at[size_t(ci.y) * W + ci.x] = int32_t(i);
    }
    auto resolve = [&](const Destination& d, const std::string& who) -> Route {
        if (d.is_host()) {
            if (d.axon < 0 || d.axon >= img_.num_outputs)
                bad_image(who + " sends to host output " + std::to_string(d.axon) +
                              " but the image has " + std::to_string(img_.num_outputs) + " outputs",
                          "recompile the network");
            return Route{-1, d.axon};
        }
        const int32_t ci = (d.x < W && d.y >= 0 && d.y < H) ? at[size_t(d.y) * W + d.x] : -1;
        if (ci < 0)
            bad_image(who + " sends to core (" + std::to_string(d.x) + ", " + std::to_string(d.y) +
                          "), which is not in the image",
                      "recompile the network");
        if (d.axon < 0 || d.axon >= img_.cores[ci].num_axons)
            bad_image(who + " sends to axon " + std::to_string(d.axon) + " of core (" +
                          std::to_string(d.x) + ", " + std::to_string(d.y) + "), which has " +
                          std::to_string(img_.cores[ci].num_axons) + " axons",
                      "recompile the network");
        return Route{ci, d.axon};
    };

    cores_.resize(img_.cores.size());
    for (size_t i = 0; i < img_.cores.size(); ++i) {
        const CoreImage& ci = img_.cores[i];
        CoreState& cs = cores_[i];
        const std::string name =
            "core (" + std::to_string(ci.x) + ", " + std::to_string(ci.y) + ")";
        cs.img = &ci;
        cs.x = ci.x;
        cs.y = ci.y;
        cs.n = ci.num_neurons;
        cs.a = ci.num_axons;
        if (cs.n < 0 || cs.a < 0) bad_image(name + " has a negative size", "recompile the network");
        const size_t syn = size_t(cs.n) * size_t(cs.a);
        if (ci.weights.size() != syn)
            bad_image(name + " has " + std::to_string(ci.weights.size()) + " weights, expected " +
                          std::to_string(syn) + " (axons x neurons)",
                      "recompile the network");
        if (!ci.plastic.empty() && ci.plastic.size() != syn)
            bad_image(name + " plastic mask has the wrong size", "recompile the network");
        if (ci.profile_of.size() != size_t(cs.n) || ci.bias_mant.size() != size_t(cs.n))
            bad_image(name + " neuron tables (profile_of, bias_mant) have the wrong size",
                      "recompile the network");
        if (ci.profiles.empty() && cs.n > 0)
            bad_image(name + " has no neuron profiles", "recompile the network");
        for (uint8_t p : ci.profile_of)
            if (p >= ci.profiles.size())
                bad_image(name + " names a missing neuron profile", "recompile the network");
        for (const NeuronProfile& p : ci.profiles)
            if (p.du < 0 || p.du > 4095 || p.dv < 0 || p.dv > 4095 || p.bias_exp < 0 ||
                p.bias_exp > 30 || p.vth < 0 || p.refractory < 0)
                bad_image(name +
                              " has a neuron profile out of range (du, dv in 0..4095, vth >= 0, "
                              "bias_exp >= 0, refractory >= 0)",
                          "recompile the network");
        if (ci.route_ptr.size() != size_t(cs.n) + 1 || ci.route_ptr[0] != 0 ||
            size_t(ci.route_ptr.back()) != ci.route_dst.size())
            bad_image(name + " routing table is inconsistent", "recompile the network");

        cs.learning = ci.learning.enabled && !ci.plastic.empty();
        if (cs.learning &&
            (ci.learning.shift < 0 || ci.learning.shift > 31 || ci.learning.x_decay < 0 ||
             ci.learning.x_decay > 4095 || ci.learning.y_decay < 0 || ci.learning.y_decay > 4095 ||
             ci.learning.w_min > ci.learning.w_max))
            bad_image(name +
                          " has learning constants out of range (shift 0..31, decays 0..4095, "
                          "w_min <= w_max)",
                      "recompile the network");
        cs.w = ci.weights;
        cs.row_present.assign(size_t(cs.a), 0);
        cs.row_plastic.assign(size_t(cs.a), 0);
        for (int a = 0; a < cs.a; ++a) {
            uint32_t pres = 0, plas = 0;
            for (int n = 0; n < cs.n; ++n) {
                const size_t k = size_t(a) * cs.n + n;
                const bool p = !ci.plastic.empty() && ci.plastic[k] != 0;
                pres += (ci.weights[k] != 0 || p) ? 1u : 0u;
                plas += p ? 1u : 0u;
            }
            cs.row_present[a] = pres;
            cs.row_plastic[a] = plas;
        }
        cs.profile_of = ci.profile_of;
        cs.bias = ci.bias_mant;
        cs.profiles = ci.profiles;
        cs.u.assign(size_t(cs.n), 0);
        cs.v.assign(size_t(cs.n), 0);
        cs.refr.assign(size_t(cs.n), 0);
        cs.acc.assign(size_t(cs.n), 0);
        cs.acc_wide.assign(size_t(cs.n), 0);
        cs.xtr.assign(size_t(cs.a), 0);
        cs.ytr.assign(size_t(cs.n), 0);
        cs.pre.assign(size_t(cs.a), 0);
        cs.post.assign(size_t(cs.n), 0);
        cs.fired.reserve(size_t(cs.n));

        cs.route_ptr = ci.route_ptr;
        cs.routes.resize(ci.route_dst.size());
        cs.pkt.assign(size_t(cs.n), 0);
        cs.ew.assign(size_t(cs.n), 0);
        cs.ns.assign(size_t(cs.n), 0);
        for (int nn = 0; nn < cs.n; ++nn) {
            if (ci.route_ptr[nn + 1] < ci.route_ptr[nn])
                bad_image(name + " routing table is not ascending", "recompile the network");
            for (int32_t k = ci.route_ptr[nn]; k < ci.route_ptr[nn + 1]; ++k) {
                const Destination& d = ci.route_dst[size_t(k)];
                cs.routes[size_t(k)] = resolve(d, name + " neuron " + std::to_string(nn));
                const detail::Hops h = d.is_host() ? detail::hops_host(ci.x, ci.y)
                                                   : detail::hops_between(ci.x, ci.y, d.x, d.y);
                cs.pkt[nn] += 1;
                cs.ew[nn] += uint32_t(h.ew);
                cs.ns[nn] += uint32_t(h.ns);
            }
        }
    }

    // Host input.
    if (img_.num_inputs < 0 || img_.input_ptr.size() != size_t(img_.num_inputs) + 1 ||
        img_.input_ptr[0] != 0 || size_t(img_.input_ptr.back()) != img_.input_dst.size())
        bad_image("host input table is inconsistent", "recompile the network");
    in_ptr_ = img_.input_ptr;
    in_routes_.resize(img_.input_dst.size());
    in_ew_.assign(size_t(img_.num_inputs), 0);
    in_ns_.assign(size_t(img_.num_inputs), 0);
    for (int i = 0; i < img_.num_inputs; ++i) {
        for (int32_t k = in_ptr_[i]; k < in_ptr_[i + 1]; ++k) {
            const Destination& d = img_.input_dst[size_t(k)];
            if (d.is_host())
                bad_image("host input " + std::to_string(i) + " routes back to the host",
                          "recompile the network");
            in_routes_[size_t(k)] = resolve(d, "host input " + std::to_string(i));
            const detail::Hops h = detail::hops_host(d.x, d.y);
            in_ew_[i] += uint32_t(h.ew);
            in_ns_[i] += uint32_t(h.ns);
        }
    }
}

void Engine::reset_state() {
    for (CoreState& cs : cores_) {
        std::fill(cs.u.begin(), cs.u.end(), 0);
        std::fill(cs.v.begin(), cs.v.end(), 0);
        std::fill(cs.refr.begin(), cs.refr.end(), 0);
        std::fill(cs.xtr.begin(), cs.xtr.end(), 0);
        std::fill(cs.ytr.begin(), cs.ytr.end(), 0);
        cs.events.clear();
        cs.next_events.clear();
    }
}

void Engine::run_step(int t, const std::vector<int32_t>* host_in, SampleResult& sr) {
    // 1. Deliver: the previous step's routed spikes are already in `events`; add the host
    //    input of this step.
    if (host_in) {
        for (int32_t i : *host_in) {
            if (i < 0 || i >= img_.num_inputs)
                throw InputError("input spike names input " + std::to_string(i) + " at step " +
                                     std::to_string(t) + ", but the image has " +
                                     std::to_string(img_.num_inputs) + " inputs",
                                 "spike input", "use input indices below the network's input size");
            for (int32_t k = in_ptr_[i]; k < in_ptr_[i + 1]; ++k) {
                const Route& r = in_routes_[size_t(k)];
                cores_[size_t(r.core)].events.push_back(r.axon);
            }
            c_.packets += uint64_t(in_ptr_[i + 1] - in_ptr_[i]);
            c_.hops_ew += in_ew_[i];
            c_.hops_ns += in_ns_[i];
        }
    }

    out_step_.clear();
    const bool rec_spikes = opt_.record & RecordSpikes;
    if (rec_spikes) sr.raster.emplace_back();
    if (opt_.record & RecordU) sr.u_trace.emplace_back(cores_.size());
    if (opt_.record & RecordV) sr.v_trace.emplace_back(cores_.size());

    for (size_t ci = 0; ci < cores_.size(); ++ci) {
        CoreState& cs = cores_[ci];
        const int n = cs.n;
        if (shuffle_seed_ != 0 && cs.events.size() > 1)
            std::shuffle(cs.events.begin(), cs.events.end(), rng_);

        // 2. Accumulate. Sums are exact integers, so any delivery order gives the same a_in.
        const uint64_t row_words = uint64_t((n + word_ - 1) / word_);
        bool spilled = false;
        size_t since_spill = 0;
        for (int32_t a : cs.events) {
            if (since_spill == ACC32_ROWS) {
                for (int i = 0; i < n; ++i) {
                    cs.acc_wide[i] += cs.acc[i];
                    cs.acc[i] = 0;
                }
                spilled = true;
                since_spill = 0;
            }
            accumulate_row(cs.w.data() + size_t(a) * n, cs.acc.data(), n);
            ++since_spill;
            c_.syn_ops += cs.row_present[a];
            if (cs.learning) cs.pre[a] = 1;
        }
        c_.row_reads += row_words * cs.events.size();

        // 3. Neuron update.
        cs.fired.clear();
        uint64_t active = 0;
        for (int i = 0; i < n; ++i) {
            int64_t a_in = cs.acc[i];
            if (spilled) {
                a_in += cs.acc_wide[i];
                cs.acc_wide[i] = 0;
            }
            cs.acc[i] = 0;
            active += (a_in != 0 || cs.u[i] != 0 || cs.v[i] != 0 || cs.refr[i] != 0) ? 1u : 0u;
            fx::NeuronState s{cs.u[i], cs.v[i], cs.refr[i]};
            bool wrapped = false;
            const bool spk = fx::neuron_step(s, cs.profiles[cs.profile_of[i]], cs.bias[i], a_in,
                                             state_bits_, &wrapped);
            wraps_ += wrapped;
            cs.u[i] = s.u;
            cs.v[i] = s.v;
            cs.refr[i] = s.refractory;
            if (spk) cs.fired.push_back(i);
        }
        c_.neuron_updates_active += active;
        c_.neuron_updates_idle += uint64_t(n) - active;

        // 4. Learning (docs/chip-spec.md "Learning"): decay traces, then update every plastic
        //    synapse with a pre or post spike this step from the decayed post trace and the
        //    decayed-and-incremented pre trace, then add the post spikes to the post traces.
        if (cs.learning) {
            const LearningProfile& lp = cs.img->learning;
            const std::vector<uint8_t>& plastic = cs.img->plastic;
            for (int a = 0; a < cs.a; ++a) {
                cs.xtr[a] = fx::trace_decay(cs.xtr[a], lp.x_decay);
                if (cs.pre[a]) cs.xtr[a] = fx::trace_add(cs.xtr[a], lp.x_inc, trace_bits_);
            }
            for (int i = 0; i < n; ++i) cs.ytr[i] = fx::trace_decay(cs.ytr[i], lp.y_decay);
            for (int32_t i : cs.fired) cs.post[i] = 1;
            const bool any_post = !cs.fired.empty();
            for (int a = 0; a < cs.a; ++a) {
                if (cs.row_plastic[a] == 0) continue;
                const bool pre = cs.pre[a] != 0;
                if (!pre && !any_post) continue;
                int16_t* row = cs.w.data() + size_t(a) * n;
                const uint8_t* prow = plastic.data() + size_t(a) * n;
                if (pre) {
                    for (int i = 0; i < n; ++i) {
                        if (!prow[i]) continue;
                        row[i] = int16_t(fx::stdp_weight(row[i], true, cs.post[i] != 0, cs.xtr[a],
                                                         cs.ytr[i], lp));
                        ++c_.learn_updates;
                    }
                } else {
                    for (int32_t i : cs.fired) {
                        if (!prow[i]) continue;
                        row[i] =
                            int16_t(fx::stdp_weight(row[i], false, true, cs.xtr[a], cs.ytr[i], lp));
                        ++c_.learn_updates;
                    }
                }
            }
            for (int32_t i : cs.fired) {
                cs.ytr[i] = fx::trace_add(cs.ytr[i], lp.y_inc, trace_bits_);
                cs.post[i] = 0;
            }
            for (int32_t a : cs.events) cs.pre[a] = 0;
        }
        cs.events.clear();

        // 5. Route this step's spikes.
        c_.spikes += cs.fired.size();
        for (int32_t i : cs.fired) {
            c_.packets += cs.pkt[i];
            c_.hops_ew += cs.ew[i];
            c_.hops_ns += cs.ns[i];
            for (int32_t k = cs.route_ptr[i]; k < cs.route_ptr[i + 1]; ++k) {
                const Route& r = cs.routes[size_t(k)];
                if (r.core < 0) {
                    out_step_.push_back(r.axon);
                } else {
                    cores_[size_t(r.core)].next_events.push_back(r.axon);
                }
            }
            if (rec_spikes) sr.raster.back().push_back(ChipSpike{int32_t(ci), i});
        }
        if (opt_.record & RecordU) sr.u_trace.back()[ci] = cs.u;
        if (opt_.record & RecordV) sr.v_trace.back()[ci] = cs.v;
    }

    // Barrier: the spikes of step t become the events of step t + 1.
    for (CoreState& cs : cores_) cs.events.swap(cs.next_events);

    std::sort(out_step_.begin(), out_step_.end());
    for (int32_t k : out_step_) ++sr.output_counts[size_t(k)];
    sr.output_spikes.push_back(out_step_);
    if (membrane_readout_)
        for (size_t k = 0; k < sr.output_v_sum.size(); ++k)
            sr.output_v_sum[k] +=
                cores_[size_t(img_.output_core[k])].v[size_t(img_.output_neuron[k])];
}

RunResult Engine::run(const SpikeInput& input, const ProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    const int steps = opt_.steps > 0 ? opt_.steps : img_.timesteps;
    if (steps <= 0)
        throw InputError("no number of timesteps: the run options and the image both say 0",
                         "run options", "pass a positive number of steps (--steps N)");
    if (input.num_inputs != 0 && input.num_inputs != img_.num_inputs)
        throw InputError("the spike input has " + std::to_string(input.num_inputs) +
                             " inputs but the image has " + std::to_string(img_.num_inputs),
                         "spike input", "use input made for this network's input population");

    RunResult rr;
    rr.backend = "functional";
    rr.steps = steps;
    rr.num_outputs = img_.num_outputs;
    const int64_t total = int64_t(input.samples.size());
    rr.samples.resize(size_t(total));

    // Samples are independent only when every sample starts from reset state and no core
    // learns: learning carries the crossbar weights (and, without the reset, the neuron
    // state carries too) from one sample into the next, so those runs stay serial.
    bool any_learning = false;
    for (const CoreState& cs : cores_) any_learning = any_learning || cs.learning;
    const bool independent = opt_.reset_between_samples && !any_learning;
    const int chunks = independent ? parallel_chunk_count(total, opt_.threads) : 1;
    rr.threads = std::max(1, chunks);

    if (chunks <= 1) {
        run_samples(input, 0, total, steps, rr.samples.data(), [&](int64_t done) {
            if (progress) progress(done, total);
        });
        collect(rr, any_learning);
    } else {
        // One engine per contiguous chunk of samples (this one runs chunk 0); each sample
        // starts from reset state, so a sample's result cannot depend on its chunk.
        // Counters are integers summed in chunk order; the final state is the last
        // chunk's, i.e. that of the last sample, as in a serial run.
        std::vector<std::unique_ptr<Engine>> engines(static_cast<size_t>(chunks));
        std::mutex progress_mutex;
        int64_t done_total = 0;
        parallel_chunks(total, chunks, [&](int c, int64_t begin, int64_t end) {
            Engine* e = this;
            if (c > 0) {
                engines[size_t(c)] = std::make_unique<Engine>(img_, opt_, shuffle_seed_);
                e = engines[size_t(c)].get();
            }
            e->run_samples(input, begin, end, steps, rr.samples.data(), [&](int64_t) {
                if (!progress) return;
                std::lock_guard<std::mutex> lock(progress_mutex);
                progress(++done_total, total);
            });
        });
        EventCounters sum;
        uint64_t wraps = 0;
        for (int c = 0; c < chunks; ++c) {
            const Engine& e = c == 0 ? *this : *engines[size_t(c)];
            sum += e.c_;
            wraps += e.wraps_;
        }
        engines.back()->collect(rr, any_learning);
        rr.counters = sum;
        rr.state_wraps = wraps;
    }
    rr.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rr;
}

void Engine::run_samples(const SpikeInput& input, int64_t begin, int64_t end, int steps,
                         SampleResult* out, const std::function<void(int64_t)>& done) {
    c_ = EventCounters{};
    wraps_ = 0;
    reset_state();
    // Membrane readout needs an output population made of LI neurons and the map from host
    // outputs to their neurons; hand-built images without populations read spike counts.
    bool any_output = false, all_li = true;
    for (const PopulationInfo& p : img_.populations)
        if (p.output) {
            any_output = true;
            all_li = all_li && p.kind == NeuronKind::LI;
        }
    membrane_readout_ = img_.num_outputs > 0 && any_output && all_li &&
                        img_.output_core.size() == size_t(img_.num_outputs) &&
                        img_.output_neuron.size() == size_t(img_.num_outputs);

    for (int64_t s = begin; s < end; ++s) {
        const SampleInput& in = input.samples[size_t(s)];
        if (s > begin && opt_.reset_between_samples) reset_state();
        SampleResult sr;
        sr.label = in.label;
        sr.output_counts.assign(size_t(std::max(0, img_.num_outputs)), 0);
        sr.output_spikes.reserve(size_t(steps));
        if (membrane_readout_) sr.output_v_sum.assign(size_t(img_.num_outputs), 0);
        for (int t = 0; t < steps; ++t)
            run_step(t, t < int(in.steps.size()) ? &in.steps[size_t(t)] : nullptr, sr);
        sr.predicted = predicted_class(sr, membrane_readout_);
        out[size_t(s)] = std::move(sr);
        done(s + 1);
    }
}

void Engine::collect(RunResult& rr, bool any_learning) const {
    rr.counters = c_;
    rr.state_wraps = wraps_;
    for (const CoreState& cs : cores_) {
        rr.final_u.push_back(cs.u);
        rr.final_v.push_back(cs.v);
        rr.final_refractory.push_back(cs.refr);
    }
    if ((opt_.record & RecordWeights) || any_learning)
        for (const CoreState& cs : cores_) rr.final_weights.push_back(cs.w);
}

}  // namespace

namespace detail {

Hops hops_between(int x0, int y0, int x1, int y1) {
    return Hops{std::abs(x1 - x0), std::abs(y1 - y0)};
}

Hops hops_host(int x, int y) {
    return Hops{x + 1, y};
}

RunResult run_functional_shuffled(const ChipImage& img, const SpikeInput& input,
                                  const RunOptions& opt, uint64_t shuffle_seed,
                                  const ProgressFn& progress) {
    Engine e(img, opt, shuffle_seed);
    return e.run(input, progress);
}

}  // namespace detail

RunResult run_functional(const ChipImage& img, const SpikeInput& input, const RunOptions& opt,
                         const ProgressFn& progress) {
    return detail::run_functional_shuffled(img, input, opt, 0, progress);
}

}  // namespace sf
