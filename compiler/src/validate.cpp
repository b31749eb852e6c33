#include "sf/compiler/passes/validate.hpp"

#include <sstream>

#include "sf/core/error.hpp"

namespace sf::passes {

namespace {

std::string where_of(const Graph& g, const SourceLoc& loc, const std::string& node) {
    return at_file(loc.file.empty() ? g.file : loc.file, loc.line, node);
}

std::string shape_str(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

}  // namespace

ir::Ir validate(ir::Ir ir, PassStats& st) {
    const Graph& g = *ir.graph;
    const ChipConfig& chip = ir.chip;
    validate_graph(g);

    const int refr_max = (1 << chip.refractory_bits) - 1;
    int64_t chip_neurons = 0, inputs = 0;
    for (const auto& p : g.populations) {
        const std::string where = where_of(g, p.loc, "population '" + p.name + "'");
        if (p.size() <= 0)
            throw InputError("population has no neurons", where, "give it a non-empty shape");
        if (p.kind == NeuronKind::Input) {
            inputs += p.size();
            continue;
        }
        chip_neurons += p.size();
        const auto& np = p.params;
        // An LI readout never compares against its threshold, so any value is fine there.
        if (p.kind != NeuronKind::LI && !(np.threshold >= 0.0f))
            throw InputError("threshold " + std::to_string(np.threshold) +
                                 " is negative; the chip compares v > vth with vth unsigned",
                             where, "use a threshold >= 0");
        if (!(np.decay_u >= 0.0f && np.decay_u <= 1.0f) ||
            !(np.decay_v >= 0.0f && np.decay_v <= 1.0f))
            throw InputError("decay_u and decay_v must lie in [0, 1]", where,
                             "give decays as fractions per step, or time constants");
        if (np.refractory_steps < 0 || np.refractory_steps > refr_max) {
            // The bits that would hold it (the network loader bounds it to 65535, 16 bits,
            // the widest counter a chip may have; counted in 64 bits all the same).
            int bits = 1;
            while (bits < 62 && (int64_t(1) << bits) - 1 < int64_t(np.refractory_steps)) ++bits;
            throw InputError("refractory period " + std::to_string(np.refractory_steps) +
                                 " steps does not fit refractory_bits = " +
                                 std::to_string(chip.refractory_bits) + " (max " +
                                 std::to_string(refr_max) + ")",
                             where,
                             bits <= 16 ? "set neuron.refractory_bits >= " + std::to_string(bits) +
                                              " in the chip YAML (range 1..16), or shorten the "
                                              "refractory period"
                                        : "shorten the refractory period to at most 65535 steps "
                                          "(neuron.refractory_bits is at most 16)");
        }
    }
    if (chip_neurons == 0)
        throw InputError("the network has no chip neurons (only input populations)",
                         at_file(g.file), "add a LIF, IF or LI population");

    bool any_stdp = false;
    for (const auto& pr : g.projections) {
        const std::string where = where_of(g, pr.loc, "projection '" + pr.name + "'");
        const Population* post = g.find_population(pr.post);
        const Population* pre = g.find_population(pr.pre);
        if (!post || !pre)
            throw InputError("projection names an unknown population", where,
                             "check its pre and post");
        if (post->kind == NeuronKind::Input)
            throw InputError("projection into input population '" + post->name +
                                 "': input neurons are driven by the host only",
                             where, "target a LIF, IF or LI population");
        if (pr.delay != 1)
            throw InputError("delay " + std::to_string(pr.delay) +
                                 " is not supported: the chip delivers every spike after "
                                 "exactly one step",
                             where, "use delay: 1, or model the delay with relay neurons");
        if (pr.stdp) {
            any_stdp = true;
            const auto& s = *pr.stdp;
            if (!(s.tau_pre > 0.0f) || !(s.tau_post > 0.0f))
                throw InputError("STDP time constants must be > 0", where,
                                 "set tau_pre and tau_post in steps");
            if (!(s.w_min <= s.w_max)) throw InputError("STDP w_min > w_max", where, "swap them");
            if (pr.kind == ProjectionKind::SumPool || pr.kind == ProjectionKind::AvgPool)
                throw InputError("STDP on a pooling projection is not supported", where,
                                 "make the pooling fixed, or use a dense projection");
        }
        if ((pr.kind == ProjectionKind::Conv2d || pr.kind == ProjectionKind::SumPool ||
             pr.kind == ProjectionKind::AvgPool) &&
            (pre->shape.size() != 3 || post->shape.size() != 3))
            throw InputError(std::string(to_string(pr.kind)) +
                                 " needs {C, H, W} shapes on both sides, got " +
                                 shape_str(pre->shape) + " -> " + shape_str(post->shape),
                             where, "give the populations 3-d shapes");
    }
    if (any_stdp && !chip.learning)
        throw InputError("the network has STDP projections but the chip has no learning cores",
                         at_file(g.file), "set core.learning: true in the chip YAML");

    st.stats["populations"] = double(g.populations.size());
    st.stats["projections"] = double(g.projections.size());
    st.stats["neurons"] = double(ir.total_neurons());
    st.stats["chip_neurons"] = double(chip_neurons);
    st.stats["inputs"] = double(inputs);
    return ir;
}

std::string dump_validate(const ir::Ir& ir) {
    const Graph& g = *ir.graph;
    std::ostringstream o;
    o << "network " << g.name << " timesteps " << g.timesteps << " chip " << ir.chip.name << "\n";
    for (size_t i = 0; i < g.populations.size(); ++i) {
        const auto& p = g.populations[i];
        o << "pop " << i << " " << p.name << " " << to_string(p.kind) << " shape "
          << shape_str(p.shape) << " size " << p.size() << " ids " << ir.pop_offset[i] << ".."
          << ir.pop_offset[i + 1] - 1 << (p.output ? " output" : "") << "\n";
    }
    for (const auto& pr : g.projections) {
        o << "proj " << pr.name << " " << to_string(pr.kind) << " " << pr.pre << " -> " << pr.post
          << (pr.pre == pr.post ? " recurrent" : "") << " weights " << shape_str(pr.weights.shape)
          << (pr.stdp ? " stdp" : "") << "\n";
    }
    return o.str();
}

}  // namespace sf::passes
