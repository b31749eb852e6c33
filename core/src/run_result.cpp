// Event counters, energy accounting and accuracy of a run (see run_result.hpp).
#include "sf/core/run_result.hpp"

namespace sf {

EventCounters& EventCounters::operator+=(const EventCounters& o) {
    syn_ops += o.syn_ops;
    row_reads += o.row_reads;
    neuron_updates_active += o.neuron_updates_active;
    neuron_updates_idle += o.neuron_updates_idle;
    spikes += o.spikes;
    packets += o.packets;
    hops_ew += o.hops_ew;
    hops_ns += o.hops_ns;
    learn_updates += o.learn_updates;
    cycles += o.cycles;
    return *this;
}

bool EventCounters::operator==(const EventCounters& o) const {
    return syn_ops == o.syn_ops && row_reads == o.row_reads &&
           neuron_updates_active == o.neuron_updates_active &&
           neuron_updates_idle == o.neuron_updates_idle && spikes == o.spikes &&
           packets == o.packets && hops_ew == o.hops_ew && hops_ns == o.hops_ns &&
           learn_updates == o.learn_updates && cycles == o.cycles;
}

std::map<std::string, uint64_t> EventCounters::by_name() const {
    return {
        {"syn_ops", syn_ops},
        {"row_reads", row_reads},
        {"neuron_updates_active", neuron_updates_active},
        {"neuron_updates_idle", neuron_updates_idle},
        {"spikes", spikes},
        {"packets", packets},
        {"hops_ew", hops_ew},
        {"hops_ns", hops_ns},
        {"learn_updates", learn_updates},
        {"cycles", cycles},
    };
}

Energy energy_of(const EventCounters& c, const ChipConfig& chip) {
    const EnergyTable& e = chip.energy;
    Energy out;
    // Packets carry no cost of their own: a packet's energy is its spike (leaving the
    // neuron) plus the hops it makes, so counting it again would double-charge it.
    out.by_kind_pj["syn_ops"] = double(c.syn_ops) * e.syn_op_pj;
    out.by_kind_pj["row_reads"] = double(c.row_reads) * e.row_read_pj;
    out.by_kind_pj["neuron_updates_active"] =
        double(c.neuron_updates_active) * e.neuron_update_active_pj;
    out.by_kind_pj["neuron_updates_idle"] =
        double(c.neuron_updates_idle) * e.neuron_update_idle_pj;
    out.by_kind_pj["spikes"] = double(c.spikes) * e.spike_pj;
    out.by_kind_pj["hops_ew"] = double(c.hops_ew) * e.hop_ew_pj;
    out.by_kind_pj["hops_ns"] = double(c.hops_ns) * e.hop_ns_pj;
    out.by_kind_pj["learn_updates"] = double(c.learn_updates) * e.learn_update_pj;
    // Static power over the run's duration: mW x s = mJ = 1e9 pJ; duration = cycles / f.
    // Backends without cycles (functional) have no notion of time, so static is 0 there.
    double static_pj = 0.0;
    if (c.cycles > 0 && chip.clock_mhz > 0) {
        const double seconds = double(c.cycles) / (chip.clock_mhz * 1e6);
        static_pj = e.static_mw * 1e-3 * seconds * 1e12;
    }
    out.by_kind_pj["static"] = static_pj;
    for (const auto& kv : out.by_kind_pj) out.total_pj += kv.second;
    return out;
}

double RunResult::accuracy() const {
    int labelled = 0, correct = 0;
    for (const auto& s : samples) {
        if (s.label < 0) continue;
        ++labelled;
        if (s.predicted == s.label) ++correct;
    }
    return labelled == 0 ? -1.0 : double(correct) / labelled;
}

int predicted_class(const SampleResult& sr, bool membrane_readout) {
    int best = -1;
    if (membrane_readout) {
        if (sr.output_v_sum.empty()) return -1;
        best = 0;
        for (size_t k = 1; k < sr.output_v_sum.size(); ++k)
            if (sr.output_v_sum[k] > sr.output_v_sum[size_t(best)]) best = int(k);
    } else {
        int best_count = 0;
        for (size_t k = 0; k < sr.output_counts.size(); ++k)
            if (sr.output_counts[k] > best_count) {
                best = int(k);
                best_count = sr.output_counts[k];
            }
    }
    return best;
}

}  // namespace sf
