#include "sf/compiler/passes/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <cstdio>
#include <sstream>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf::passes {

namespace {

std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

// The float weights of a projection, in the layout the lower pass reads: the weight
// tensor, or one value for pooling and for a one-to-one without a tensor.
std::vector<float> float_weights(const Projection& pr) {
    switch (pr.kind) {
        case ProjectionKind::SumPool:
            return {pr.scale};
        case ProjectionKind::AvgPool:
            return {pr.scale / float(pr.kernel.at(0) * pr.kernel.at(1))};
        case ProjectionKind::OneToOne:
            if (pr.weights.size() == 0 || pr.weights.shape.empty()) return {pr.scale};
            return pr.weights.to<float>();
        default:
            return pr.weights.to<float>();
    }
}

int32_t clamp_round(double x, int32_t lo, int32_t hi, int64_t* clamped) {
    const double r = std::round(x);
    if (r < lo) {
        if (clamped) ++*clamped;
        return lo;
    }
    if (r > hi) {
        if (clamped) ++*clamped;
        return hi;
    }
    return int32_t(r);
}

int decay12(double frac) {  // fraction per step -> 12-bit decay constant in [0, 4095]
    const double r = std::round(4096.0 * frac);
    return int(std::clamp(r, 0.0, 4095.0));
}

LearningProfile quantize_stdp(const StdpParams& p, double s, const ChipConfig& chip,
                              const std::string& where) {
    LearningProfile l;
    l.enabled = true;
    l.x_inc = l.y_inc = 1 << (chip.trace_bits - 1);  // represents a trace of 1.0
    l.x_decay = decay12(1.0 - std::exp(-1.0 / double(p.tau_pre)));
    l.y_decay = decay12(1.0 - std::exp(-1.0 / double(p.tau_post)));
    // (a * x_inc) >> shift ~= a_float * s: the largest shift whose constants still fit the
    // weight width keeps the most precision.
    const double wmax = chip.weight_max();
    const double ap = double(p.a_plus) * s / l.x_inc, am = double(p.a_minus) * s / l.y_inc;
    // Even unshifted, a constant must fit the weight width: a larger one would be cast out
    // of int's range (undefined) and learn with a wrapped rate.
    const double worst = std::max(std::fabs(ap), std::fabs(am));
    if (!(std::round(worst) <= wmax)) {
        const double limit = (wmax + 0.5) * l.x_inc / s;
        throw InputError(fmt::format("stdp a_plus = {} / a_minus = {} is {} weight steps per "
                                     "spike on the chip, more than the {}-bit weights hold ({})",
                                     p.a_plus, p.a_minus, std::round(worst), chip.weight_bits,
                                     wmax),
                         where,
                         fmt::format("use |a_plus|, |a_minus| < {:.6g} for this projection (its "
                                     "weights set the scale), or more core.weight_bits",
                                     limit));
    }
    int shift = 0;
    for (int k = 0; k <= 31; ++k) {  // shift is a 5-bit field (docs/chip-spec.md)
        const double sc = std::ldexp(1.0, k);
        if (std::fabs(std::round(ap * sc)) <= wmax && std::fabs(std::round(am * sc)) <= wmax)
            shift = k;
        else
            break;
    }
    l.shift = shift;
    l.a_plus = int(std::round(ap * std::ldexp(1.0, shift)));
    l.a_minus = int(std::round(am * std::ldexp(1.0, shift)));
    l.w_min = clamp_round(double(p.w_min) * s, chip.weight_min(), chip.weight_max(), nullptr);
    l.w_max = clamp_round(double(p.w_max) * s, chip.weight_min(), chip.weight_max(), nullptr);
    return l;
}

// Fewer distinct magnitudes than this for a projection's largest weight, and the
// projection is mostly rounding noise on the chip.
constexpr double kMinWeightLevels = 8;

// The smallest signed weight width that gives a projection whose largest weight is `ratio`
// times smaller than the largest weight into its target at least kMinWeightLevels levels.
int weight_bits_for(double ratio) {
    return 1 + int(std::ceil(std::log2(kMinWeightLevels * ratio + 1.0)));
}

// One warning for a projection whose weights keep too few levels at the target's scale,
// because another projection into the same population has much larger weights.
std::string weak_projection_warning(const Graph& g, size_t j, double pmax, double levels,
                                    int64_t zeroed, int64_t nonzero, const ir::PopQuant& target,
                                    const std::string& strongest, const ChipConfig& chip) {
    const Projection& pj = g.projections[j];
    const double smax = target.max_abs_weight;
    const double ratio = smax / pmax;
    const int need = weight_bits_for(ratio);
    std::string fix = need <= 16 ? "set core.weight_bits >= " + std::to_string(need) +
                                       " in the chip YAML, or narrow the range of the weights into '" +
                                       pj.post + "'"
                                 : "narrow the range of the weights into '" + pj.post +
                                       "' (no weight width up to 16 bits is enough)";
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "projection '%s' keeps only %.1f weight levels on the chip: its largest weight "
                  "(%.4g) is %.4g times smaller than the largest into '%s' (%.4g, projection "
                  "'%s'), which sets the %d-bit weight scale; %lld of its %lld nonzero weights "
                  "round to 0, so the chip will not behave like the float network",
                  pj.name.c_str(), levels, pmax, ratio, pj.post.c_str(), smax, strongest.c_str(),
                  chip.weight_bits, (long long)zeroed, (long long)nonzero);
    if (target.scale_lowered)
        fix += "; the threshold of '" + pj.post + "' also lowered the scale to fit " +
               "neuron.threshold_bits, so raise that too";
    return std::string(buf) + "; fix: " + fix;
}

// Per-element work (largest weight, rounding, error sums) runs over blocks of this many
// weights of one projection. The blocks do not depend on the thread count, and partial
// sums are added in block order, so the statistics are the same on any number of threads.
constexpr size_t kBlock = size_t(1) << 16;

struct Block {
    size_t proj, begin, end;
};

struct BlockErr {
    double max_rel = 0, sq = 0;
    int64_t clamped = 0;
};

bool same_learning(const LearningProfile& a, const LearningProfile& b) {
    return a.a_plus == b.a_plus && a.a_minus == b.a_minus && a.shift == b.shift &&
           a.x_decay == b.x_decay && a.y_decay == b.y_decay && a.x_inc == b.x_inc &&
           a.y_inc == b.y_inc && a.w_min == b.w_min && a.w_max == b.w_max;
}

}  // namespace

ir::Ir quantize(ir::Ir ir, PassStats& st, int threads) {
    const Graph& g = *ir.graph;
    const ChipConfig& chip = ir.chip;
    const int P = int(g.populations.size());
    ir.pops.assign(P, {});
    ir.projs.assign(g.projections.size(), {});

    const size_t J = g.projections.size();
    std::vector<std::vector<float>> fw(J);
    parallel_chunks(int64_t(J), threads, [&](int, int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) fw[size_t(j)] = float_weights(g.projections[size_t(j)]);
    });
    // Every projection's weights cut into blocks of kBlock: the per-element work below runs
    // over these blocks on the threads, and each projection's partial results are merged
    // in block order.
    std::vector<Block> blocks;
    std::vector<size_t> first_block(J + 1, 0);
    for (size_t j = 0; j < J; ++j) {
        first_block[j] = blocks.size();
        for (size_t b = 0; b < fw[j].size(); b += kBlock)
            blocks.push_back({j, b, std::min(fw[j].size(), b + kBlock)});
    }
    first_block[J] = blocks.size();
    const int64_t nb = int64_t(blocks.size());
    st.threads =
        std::max(parallel_chunk_count(int64_t(J), threads), parallel_chunk_count(nb, threads));

    // Largest |w| of each projection (a max: the same in any order).
    std::vector<double> block_max(blocks.size(), 0.0);
    parallel_chunks(nb, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) {
            const Block& bl = blocks[size_t(k)];
            double m = 0;
            for (size_t i = bl.begin; i < bl.end; ++i)
                m = std::max(m, double(std::fabs(fw[bl.proj][i])));
            block_max[size_t(k)] = m;
        }
    });
    std::vector<double> proj_max(J, 0.0);
    for (size_t j = 0; j < J; ++j)
        for (size_t k = first_block[j]; k < first_block[j + 1]; ++k)
            proj_max[j] = std::max(proj_max[j], block_max[k]);
    std::vector<std::string> strongest(static_cast<size_t>(P));  // projection with max_abs_weight
    for (size_t j = 0; j < J; ++j) {
        const int post = g.population_index(g.projections[j].post);
        if (proj_max[j] > ir.pops[post].max_abs_weight) {
            ir.pops[post].max_abs_weight = proj_max[j];
            strongest[size_t(post)] = g.projections[j].name;
        }
    }

    const double wmax = chip.weight_max();
    const double vth_max = double((int64_t(1) << chip.threshold_bits) - 1);
    const int64_t mant_max = (int64_t(1) << (chip.bias_mant_bits - 1)) - 1;
    int scale_lowered = 0, bias_clamped = 0;
    double bias_max_err = 0;
    for (int p = 0; p < P; ++p) {
        const Population& pop = g.populations[p];
        ir::PopQuant& q = ir.pops[p];
        q.on_chip = pop.kind != NeuronKind::Input;
        if (!q.on_chip) continue;
        const NeuronParams& np = pop.params;
        // With no incoming weights the scale only matters for threshold and bias; treat
        // the largest weight as 1.
        q.scale = wmax / (q.max_abs_weight > 0 ? q.max_abs_weight : 1.0);
        const bool spiking = pop.kind != NeuronKind::LI;
        if (spiking && double(np.threshold) * q.scale > vth_max + 0.5) {
            q.scale = vth_max / double(np.threshold);
            q.scale_lowered = true;
            ++scale_lowered;
        }
        NeuronProfile& pr = q.profile;
        pr.vth = spiking ? int(std::round(double(np.threshold) * q.scale)) : 0;
        pr.reset = np.reset;
        pr.refractory = np.refractory_steps;
        pr.spiking = spiking;
        if (pop.kind == NeuronKind::IF) {
            pr.du = 4095;  // current lasts one step
            pr.dv = 0;     // no leak
        } else {
            pr.du = int(std::clamp(std::round(4096.0 * np.decay_u), 1.0, 4096.0)) - 1;
            pr.dv = decay12(np.decay_v);
        }
        // Bias in v units (weights << 6): b * s * 64 = mant << exp, smallest exp that fits.
        std::vector<float> b =
            pop.bias ? pop.bias->to<float>() : std::vector<float>(size_t(pop.size()), np.bias);
        double bmax = 0;
        for (float x : b) bmax = std::max(bmax, std::fabs(double(x) * q.scale * 64.0));
        int e = 0;
        while (e < chip.bias_exp_max && std::round(bmax / std::ldexp(1.0, e)) > double(mant_max))
            ++e;
        pr.bias_exp = e;
        q.bias_mant.resize(b.size());
        bool clamped = false;
        for (size_t i = 0; i < b.size(); ++i) {
            const double m = std::round(double(b[i]) * q.scale * 64.0 / std::ldexp(1.0, e));
            const double mc = std::clamp(m, double(-mant_max), double(mant_max));
            clamped |= mc != m;
            q.bias_mant[i] = int32_t(mc);
            const double back = mc * std::ldexp(1.0, e) / (64.0 * q.scale);
            bias_max_err = std::max(bias_max_err, std::fabs(back - double(b[i])));
        }
        bias_clamped += clamped;
    }

    // Integer weights, block by block; each block's error sums and clamp count in its own
    // slot, added per projection in block order below.
    for (size_t j = 0; j < J; ++j) ir.projs[j].w.resize(fw[j].size());
    std::vector<BlockErr> block_err(blocks.size());
    parallel_chunks(nb, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) {
            const Block& bl = blocks[size_t(k)];
            const std::vector<float>& f = fw[bl.proj];
            std::vector<int32_t>& w = ir.projs[bl.proj].w;
            const double s = ir.pops[g.population_index(g.projections[bl.proj].post)].scale;
            const double pmax = proj_max[bl.proj];
            BlockErr& be = block_err[size_t(k)];
            for (size_t i = bl.begin; i < bl.end; ++i) {
                w[i] = clamp_round(double(f[i]) * s, chip.weight_min(), chip.weight_max(),
                                   &be.clamped);
                const double err = std::fabs(double(w[i]) / s - double(f[i]));
                const double rel = pmax > 0 ? err / pmax : 0.0;
                be.max_rel = std::max(be.max_rel, rel);
                be.sq += rel * rel;
            }
        }
    });

    double worst = 0;
    int64_t total_clamped = 0;
    int weak = 0;
    for (size_t j = 0; j < J; ++j) {
        const Projection& pj = g.projections[j];
        const int post = g.population_index(pj.post);
        ir::PopQuant& tq = ir.pops[post];
        ir::ProjQuant& q = ir.projs[j];
        const double s = tq.scale;
        const double pmax = proj_max[j];
        double sq = 0;
        for (size_t k = first_block[j]; k < first_block[j + 1]; ++k) {
            q.max_rel_err = std::max(q.max_rel_err, block_err[k].max_rel);
            q.clamped += block_err[k].clamped;
            sq += block_err[k].sq;
        }
        q.rms_rel_err = fw[j].empty() ? 0.0 : std::sqrt(sq / double(fw[j].size()));
        const double levels = pmax * s;
        // On chips with very few weight levels (ODIN's 4 bits) every projection is coarse;
        // warn only when this one has well under the chip's own range.
        if (pmax > 0 && levels < std::min(kMinWeightLevels, wmax / 2)) {
            int64_t nonzero = 0, zeroed = 0;
            for (size_t i = 0; i < fw[j].size(); ++i) {
                nonzero += fw[j][i] != 0.0f;
                zeroed += fw[j][i] != 0.0f && q.w[i] == 0;
            }
            st.warnings.push_back(
                weak_projection_warning(g, j, pmax, levels, zeroed, nonzero, tq,
                                        strongest[size_t(post)], chip));
            ++weak;
        }
        worst = std::max(worst, q.max_rel_err);
        total_clamped += q.clamped;
        st.stats["max_rel_err_" + pj.name] = q.max_rel_err;
        st.stats["rms_rel_err_" + pj.name] = q.rms_rel_err;
        if (pj.stdp) {
            q.plastic = true;
            const LearningProfile l = quantize_stdp(
                *pj.stdp, s, chip,
                at_file(pj.loc.file.empty() ? g.file : pj.loc.file, pj.loc.line,
                        "projection '" + pj.name + "'"));
            // Learning-rate error: what one full trace (x_inc) changes a weight by, against
            // the float rate in weight units.
            auto rate_err = [&](int a, int inc, float af) {
                const double want = double(af) * s;
                const double got = double(a) * inc / std::ldexp(1.0, l.shift);
                return want != 0.0 ? std::fabs(got - want) / std::fabs(want) : std::fabs(got);
            };
            st.stats["stdp_rel_err_" + pj.name] =
                std::max(rate_err(l.a_plus, l.x_inc, pj.stdp->a_plus),
                         rate_err(l.a_minus, l.y_inc, pj.stdp->a_minus));
            if (tq.learning && !same_learning(tq.learn, l))
                throw InputError("two STDP projections into population '" + pj.post +
                                     "' have different learning constants; a core holds one "
                                     "learning profile",
                                 at_file(pj.loc.file.empty() ? g.file : pj.loc.file, pj.loc.line,
                                         "projection '" + pj.name + "'"),
                                 "give both projections the same stdp parameters");
            tq.learning = true;
            tq.learn = l;
        }
    }
    st.stats["max_rel_err"] = worst;
    st.stats["weights_clamped"] = double(total_clamped);
    st.stats["scale_lowered"] = double(scale_lowered);
    st.stats["bias_clamped"] = double(bias_clamped);
    st.stats["bias_max_err"] = bias_max_err;
    st.stats["weak_projections"] = double(weak);
    return ir;
}

std::string dump_quantize(const ir::Ir& ir) {
    const Graph& g = *ir.graph;
    std::ostringstream o;
    for (size_t p = 0; p < ir.pops.size(); ++p) {
        const auto& q = ir.pops[p];
        const auto& pop = g.populations[p];
        if (!q.on_chip) {
            o << "pop " << pop.name << " input (host)\n";
            continue;
        }
        const auto& f = q.profile;
        o << "pop " << pop.name << " scale " << num(q.scale)
          << (q.scale_lowered ? " (lowered)" : "") << " max|w| " << num(q.max_abs_weight) << " vth "
          << f.vth << " du " << f.du << " dv " << f.dv << " bias_exp " << f.bias_exp << " reset "
          << to_string(f.reset) << " refractory " << f.refractory
          << (f.spiking ? "" : " non-spiking") << "\n";
        bool any_bias =
            std::any_of(q.bias_mant.begin(), q.bias_mant.end(), [](int32_t m) { return m != 0; });
        if (any_bias) {
            o << "  bias_mant";
            for (size_t i = 0; i < q.bias_mant.size() && i < 32; ++i) o << " " << q.bias_mant[i];
            if (q.bias_mant.size() > 32) o << " ... (" << q.bias_mant.size() << ")";
            o << "\n";
        }
        if (q.learning) {
            const auto& l = q.learn;
            o << "  stdp a_plus " << l.a_plus << " a_minus " << l.a_minus << " shift " << l.shift
              << " x_decay " << l.x_decay << " y_decay " << l.y_decay << " x_inc " << l.x_inc
              << " y_inc " << l.y_inc << " w " << l.w_min << ".." << l.w_max << "\n";
        }
    }
    for (size_t j = 0; j < ir.projs.size(); ++j) {
        const auto& q = ir.projs[j];
        o << "proj " << g.projections[j].name << " max_rel_err " << num(q.max_rel_err)
          << " rms_rel_err " << num(q.rms_rel_err) << " clamped " << q.clamped
          << (q.plastic ? " plastic" : "") << "\n  w";
        for (size_t i = 0; i < q.w.size() && i < 64; ++i) o << " " << q.w[i];
        if (q.w.size() > 64) o << " ... (" << q.w.size() << ")";
        o << "\n";
    }
    return o.str();
}

}  // namespace sf::passes
