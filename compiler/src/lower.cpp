#include "sf/compiler/passes/lower.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <sstream>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf::passes {

namespace {

std::string where_of(const Graph& g, const Projection& pr) {
    return at_file(pr.loc.file.empty() ? g.file : pr.loc.file, pr.loc.line,
                   "projection '" + pr.name + "'");
}

int64_t out_size(int64_t in, int k, int s, int p) {
    return (in + 2 * p - k) / s + 1;
}

// Calls f(post, pre_gid, weight) for every synapse of one projection whose weight is
// nonzero or which is plastic (a zero fixed synapse carries nothing and would only cost an
// axon), in a fixed order; with [lo, hi) only for the post neurons in that range, in the
// same order. Shapes are checked here because the loops below index by them.
template <class F>
void for_each_synapse(const ir::Ir& ir, int j, F&& f, int64_t lo = 0,
                      int64_t hi = std::numeric_limits<int64_t>::max()) {
    const Graph& g = *ir.graph;
    const Projection& pr = g.projections[j];
    const ir::ProjQuant& q = ir.projs[j];
    const int pi = g.population_index(pr.pre), qi = g.population_index(pr.post);
    const Population& pre = g.populations[pi];
    const Population& post = g.populations[qi];
    const int64_t off = ir.pop_offset[pi];
    const int64_t npre = pre.size(), npost = post.size();
    const bool keep0 = q.plastic;
    const int64_t i0 = std::max<int64_t>(lo, 0), i1 = std::min(hi, npost);
    auto bad = [&](const std::string& what) {
        throw InputError(what, where_of(g, pr), "fix the weight tensor or the population shapes");
    };
    switch (pr.kind) {
        case ProjectionKind::Dense: {
            if (int64_t(q.w.size()) != npre * npost)
                bad("dense weights have " + std::to_string(q.w.size()) + " elements, expected " +
                    std::to_string(npost) + " x " + std::to_string(npre));
            for (int64_t i = i0; i < i1; ++i) {
                const int32_t* row = q.w.data() + i * npre;
                for (int64_t k = 0; k < npre; ++k)
                    if (row[k] != 0 || keep0) f(i, off + k, row[k]);
            }
            break;
        }
        case ProjectionKind::Conv2d:
        case ProjectionKind::SumPool:
        case ProjectionKind::AvgPool: {
            const bool conv = pr.kind == ProjectionKind::Conv2d;
            const int64_t C = pre.shape[0], H = pre.shape[1], W = pre.shape[2];
            const int64_t OC = post.shape[0], OH = post.shape[1], OW = post.shape[2];
            int kh = pr.kernel.at(0), kw = pr.kernel.at(1);
            if (conv) {
                if (pr.weights.shape.size() != 4 || pr.weights.shape[0] != OC ||
                    pr.weights.shape[1] != C)
                    bad("conv2d weights " + pr.weights.shape_str() + " do not match " +
                        std::to_string(C) + " input and " + std::to_string(OC) +
                        " output channels");
                kh = int(pr.weights.shape[2]);
                kw = int(pr.weights.shape[3]);
            } else if (OC != C) {
                bad("pooling keeps the channel count, but " + std::to_string(C) + " -> " +
                    std::to_string(OC));
            }
            const int sy = pr.stride.at(0), sx = pr.stride.at(1), py = pr.padding.at(0),
                      px = pr.padding.at(1);
            if (sy < 1 || sx < 1 || kh < 1 || kw < 1) bad("kernel and stride must be >= 1");
            if (out_size(H, kh, sy, py) != OH || out_size(W, kw, sx, px) != OW)
                bad("output map " + std::to_string(OH) + "x" + std::to_string(OW) +
                    " does not match input " + std::to_string(H) + "x" + std::to_string(W) +
                    " with kernel " + std::to_string(kh) + "x" + std::to_string(kw) + ", stride " +
                    std::to_string(sy) + "x" + std::to_string(sx) + ", padding " +
                    std::to_string(py) + "x" + std::to_string(px) + " (expected " +
                    std::to_string(out_size(H, kh, sy, py)) + "x" +
                    std::to_string(out_size(W, kw, sx, px)) + ")");
            // post_i = (o * OH + oy) * OW + ox, ascending.
            for (int64_t post_i = i0; post_i < i1; ++post_i) {
                const int64_t o = post_i / (OH * OW), oy = post_i / OW % OH, ox = post_i % OW;
                const int64_t c0 = conv ? 0 : o, c1 = conv ? C : o + 1;
                for (int64_t c = c0; c < c1; ++c)
                    for (int ky = 0; ky < kh; ++ky) {
                        const int64_t iy = oy * sy - py + ky;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < kw; ++kx) {
                            const int64_t ix = ox * sx - px + kx;
                            if (ix < 0 || ix >= W) continue;
                            const int32_t w =
                                conv ? q.w[((o * C + c) * kh + ky) * kw + kx] : q.w[0];
                            if (w != 0 || keep0) f(post_i, off + (c * H + iy) * W + ix, w);
                        }
                    }
            }
            break;
        }
        case ProjectionKind::OneToOne: {
            if (npre != npost)
                bad("one-to-one between sizes " + std::to_string(npre) + " and " +
                    std::to_string(npost));
            if (q.w.size() != 1 && int64_t(q.w.size()) != npost)
                bad("one-to-one weights have " + std::to_string(q.w.size()) +
                    " elements, expected 1 or " + std::to_string(npost));
            for (int64_t i = i0; i < i1; ++i) {
                const int32_t w = q.w.size() == 1 ? q.w[0] : q.w[i];
                if (w != 0 || keep0) f(i, off + i, w);
            }
            break;
        }
        case ProjectionKind::Sparse: {
            const std::vector<int64_t> idx = pr.indices.to<int64_t>();
            if (idx.size() != 2 * q.w.size())
                bad("sparse indices " + pr.indices.shape_str() + " do not match " +
                    std::to_string(q.w.size()) + " weights");
            for (size_t k = 0; k < q.w.size(); ++k) {
                const int64_t a = idx[2 * k], b = idx[2 * k + 1];
                if (a < 0 || a >= npre || b < 0 || b >= npost)
                    bad("sparse entry " + std::to_string(k) + " (" + std::to_string(a) + ", " +
                        std::to_string(b) + ") is outside " + std::to_string(npre) + " x " +
                        std::to_string(npost));
                if ((q.w[k] != 0 || keep0) && b >= i0 && b < i1) f(b, off + a, q.w[k]);
            }
            break;
        }
    }
}

// Neurons per block of the sort-and-merge step: small enough that a population of a few
// thousand neurons still splits, large enough that a block's bookkeeping is noise.
constexpr int64_t kNeuronBlock = 2048;

}  // namespace

ir::Ir lower(ir::Ir ir, PassStats& st, int threads) {
    const Graph& g = *ir.graph;
    const int P = ir.num_pops();
    ir.syn.assign(P, {});
    const int32_t wlo = ir.chip.weight_min(), whi = ir.chip.weight_max();
    // Three steps, each over pieces that write only their own part of the lists, the
    // pieces split over the threads in contiguous runs:
    //  1. per fixed block of kNeuronBlock post neurons of one population (a whole
    //     population where a sparse projection enters it): count, then (after each
    //     population's prefix sum) fill its neurons' CSR ranges from the generators;
    //  2. per fixed block of kNeuronBlock neurons: sort each neuron's synapses by source
    //     and merge duplicates inside the neuron's own range;
    //  3. per population: move the merged runs down into one compact list.
    // The blocks do not depend on the thread count and counts are added in block order,
    // so the lists and statistics are the same for any count. A bad projection throws
    // from the lowest population first, as the serial loop did.
    std::vector<std::vector<int>> in(static_cast<size_t>(P));  // projections into each
    std::vector<char> any(static_cast<size_t>(P), 0);          // has incoming projections
    std::vector<char> has_sparse(static_cast<size_t>(P), 0);
    for (size_t j = 0; j < g.projections.size(); ++j) {
        const int t = g.population_index(g.projections[j].post);
        in[size_t(t)].push_back(int(j));
        any[size_t(t)] = 1;
        has_sparse[size_t(t)] |= g.projections[j].kind == ProjectionKind::Sparse ? 1 : 0;
    }
    // Pieces of step 1: fixed blocks of kNeuronBlock post neurons; a population with a
    // sparse projection is one piece (its entries come in any order, so a block would
    // read them all).
    struct Piece {
        int pop;
        int64_t begin, end;  // post neurons
    };
    std::vector<Piece> pieces;
    for (int t = 0; t < P; ++t) {
        const int64_t n = g.populations[t].size();
        ir.syn[t].post_ptr.assign(size_t(n + 1), 0);
        if (!any[size_t(t)]) continue;
        if (has_sparse[size_t(t)]) {
            pieces.push_back({t, 0, n});
            continue;
        }
        for (int64_t i = 0; i < n; i += kNeuronBlock)
            pieces.push_back({t, i, std::min(n, i + kNeuronBlock)});
    }
    const int64_t np = int64_t(pieces.size());
    // Two passes over the generators (count, then fill) build the CSR in place without a
    // temporary list of triples: at 100 M synapses that is 1.6 GB saved. A piece counts
    // and fills only its own neurons' ranges, projection by projection, so each neuron's
    // synapses come in the order of the serial loop.
    parallel_chunks(np, threads, [&](int, int64_t kb, int64_t ke) {
        for (int64_t k = kb; k < ke; ++k) {
            const Piece& pc = pieces[size_t(k)];
            ir::SynapseList& sl = ir.syn[pc.pop];
            for (int j : in[size_t(pc.pop)])
                for_each_synapse(
                    ir, j, [&](int64_t post, int64_t, int32_t) { ++sl.post_ptr[post + 1]; },
                    pc.begin, pc.end);
        }
    });
    parallel_chunks(P, threads, [&](int, int64_t pb, int64_t pe) {
        for (int t = int(pb); t < int(pe); ++t) {
            if (!any[size_t(t)]) continue;
            ir::SynapseList& sl = ir.syn[t];
            const int64_t n = g.populations[t].size();
            for (int64_t i = 0; i < n; ++i) sl.post_ptr[i + 1] += sl.post_ptr[i];
            const int64_t m = sl.post_ptr[n];
            sl.pre.resize(m);
            sl.weight.resize(m);
            sl.plastic.resize(m);
        }
    });
    parallel_chunks(np, threads, [&](int, int64_t kb, int64_t ke) {
        std::vector<int64_t> cur;
        for (int64_t k = kb; k < ke; ++k) {
            const Piece& pc = pieces[size_t(k)];
            ir::SynapseList& sl = ir.syn[pc.pop];
            cur.assign(sl.post_ptr.begin() + pc.begin, sl.post_ptr.begin() + pc.end);
            for (int j : in[size_t(pc.pop)]) {
                const uint8_t pl = ir.projs[j].plastic ? 1 : 0;
                for_each_synapse(
                    ir, j,
                    [&](int64_t post, int64_t pre, int32_t w) {
                        const int64_t e = cur[size_t(post - pc.begin)]++;
                        sl.pre[e] = int32_t(pre);
                        sl.weight[e] = int16_t(w);
                        sl.plastic[e] = pl;
                    },
                    pc.begin, pc.end);
            }
        }
    });

    struct Block {
        int pop;
        int64_t begin, end;  // neurons
        int64_t merged = 0, clamped = 0;
    };
    std::vector<Block> blocks;
    std::vector<std::vector<int64_t>> kept(static_cast<size_t>(P));  // synapses per neuron
    for (int t = 0; t < P; ++t) {
        if (!any[size_t(t)]) continue;
        const int64_t n = g.populations[t].size();
        kept[size_t(t)].assign(size_t(n), 0);
        for (int64_t i = 0; i < n; i += kNeuronBlock)
            blocks.push_back({t, i, std::min(n, i + kNeuronBlock)});
    }
    parallel_chunks(int64_t(blocks.size()), threads, [&](int, int64_t kb, int64_t ke) {
        std::vector<int64_t> perm;
        std::vector<int32_t> tp;
        std::vector<int16_t> tw;
        std::vector<uint8_t> tl;
        for (int64_t bi = kb; bi < ke; ++bi) {
            Block& bl = blocks[size_t(bi)];
            ir::SynapseList& sl = ir.syn[bl.pop];
            std::vector<int64_t>& cnt = kept[size_t(bl.pop)];
            for (int64_t i = bl.begin; i < bl.end; ++i) {
                const int64_t b = sl.post_ptr[i], e = sl.post_ptr[i + 1];
                bool sorted = true;
                for (int64_t k = b + 1; k < e && sorted; ++k) sorted = sl.pre[k - 1] < sl.pre[k];
                if (!sorted) {
                    perm.resize(size_t(e - b));
                    std::iota(perm.begin(), perm.end(), b);
                    std::stable_sort(perm.begin(), perm.end(),
                                     [&](int64_t x, int64_t y) { return sl.pre[x] < sl.pre[y]; });
                    tp.clear();
                    tw.clear();
                    tl.clear();
                    for (int64_t k : perm) {
                        tp.push_back(sl.pre[k]);
                        tw.push_back(sl.weight[k]);
                        tl.push_back(sl.plastic[k]);
                    }
                    std::copy(tp.begin(), tp.end(), sl.pre.begin() + b);
                    std::copy(tw.begin(), tw.end(), sl.weight.begin() + b);
                    std::copy(tl.begin(), tl.end(), sl.plastic.begin() + b);
                }
                int64_t wr = b;
                for (int64_t k = b; k < e; ++k) {
                    if (wr > b && sl.pre[wr - 1] == sl.pre[k]) {
                        int32_t s = int32_t(sl.weight[wr - 1]) + sl.weight[k];
                        if (s < wlo || s > whi) ++bl.clamped;
                        sl.weight[wr - 1] = int16_t(std::clamp(s, wlo, whi));
                        sl.plastic[wr - 1] |= sl.plastic[k];
                        ++bl.merged;
                        continue;
                    }
                    sl.pre[wr] = sl.pre[k];
                    sl.weight[wr] = sl.weight[k];
                    sl.plastic[wr] = sl.plastic[k];
                    ++wr;
                }
                cnt[size_t(i)] = wr - b;
            }
        }
    });

    parallel_chunks(P, threads, [&](int, int64_t pb, int64_t pe) {
        for (int t = int(pb); t < int(pe); ++t) {
            if (!any[size_t(t)]) continue;
            ir::SynapseList& sl = ir.syn[t];
            const std::vector<int64_t>& cnt = kept[size_t(t)];
            const int64_t n = g.populations[t].size();
            int64_t wr = 0;
            for (int64_t i = 0; i < n; ++i) {
                const int64_t b = sl.post_ptr[i], c = cnt[size_t(i)];
                if (wr != b) {  // wr < b: copying forward is safe
                    std::copy(sl.pre.begin() + b, sl.pre.begin() + b + c, sl.pre.begin() + wr);
                    std::copy(sl.weight.begin() + b, sl.weight.begin() + b + c,
                              sl.weight.begin() + wr);
                    std::copy(sl.plastic.begin() + b, sl.plastic.begin() + b + c,
                              sl.plastic.begin() + wr);
                }
                sl.post_ptr[i] = wr;
                wr += c;
            }
            sl.post_ptr[n] = wr;
            sl.pre.resize(wr);
            sl.weight.resize(wr);
            sl.plastic.resize(wr);
            sl.pre.shrink_to_fit();
            sl.weight.shrink_to_fit();
            sl.plastic.shrink_to_fit();
        }
    });
    st.threads = std::max({parallel_chunk_count(P, threads), parallel_chunk_count(np, threads),
                           parallel_chunk_count(int64_t(blocks.size()), threads)});

    int64_t merged = 0, merge_clamped = 0, total = 0;
    for (const Block& bl : blocks) {
        merged += bl.merged;
        merge_clamped += bl.clamped;
    }
    for (int t = 0; t < P; ++t) {
        if (!any[size_t(t)]) continue;
        st.stats["synapses_" + g.populations[t].name] = double(ir.syn[t].size());
        total += ir.syn[t].size();
    }
    st.stats["synapses"] = double(total);
    st.stats["duplicates_merged"] = double(merged);
    st.stats["duplicates_clamped"] = double(merge_clamped);
    st.stats["bytes"] = double(total * 7);
    return ir;
}

std::string dump_lower(const ir::Ir& ir) {
    const Graph& g = *ir.graph;
    std::ostringstream o;
    for (int t = 0; t < ir.num_pops(); ++t) {
        const auto& sl = ir.syn[t];
        if (sl.size() == 0) continue;
        const auto& name = g.populations[t].name;
        o << "syn " << name << " " << sl.size() << " synapses\n";
        if (sl.size() > 256) continue;
        for (size_t i = 0; i + 1 < sl.post_ptr.size(); ++i) {
            if (sl.post_ptr[i] == sl.post_ptr[i + 1]) continue;
            o << "  " << name << "[" << i << "] <-";
            for (int64_t k = sl.post_ptr[i]; k < sl.post_ptr[i + 1]; ++k)
                o << " " << ir.neuron_name(sl.pre[k]) << ":" << sl.weight[k]
                  << (sl.plastic[k] ? "p" : "");
            o << "\n";
        }
    }
    return o.str();
}

}  // namespace sf::passes
