// Hopfield storage, recall and the capacity experiment.
#include "sf/reference/ann_hopfield.hpp"

#include <yaml-cpp/yaml.h>

#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/core/tensor.hpp"
#include "sf/core/yaml_file.hpp"

namespace fs = std::filesystem;

namespace sf {

namespace {
void seeded_permutation(std::vector<int64_t>& idx, std::mt19937_64& rng) {
    for (int64_t i = int64_t(idx.size()) - 1; i > 0; --i)
        std::swap(idx[size_t(i)], idx[size_t(rng() % uint64_t(i + 1))]);
}
}  // namespace

HopfieldNet hopfield_store(const AnnMatrix& patterns, HopfieldRule rule) {
    HopfieldNet net;
    net.n = patterns.cols();
    if (net.n == 0)
        throw InputError("Hopfield patterns have no units", "", "give patterns of N > 0 values");
    for (int64_t i = 0; i < patterns.size(); ++i) {
        const float v = patterns.data()[i];
        if (v != 1.0f && v != -1.0f)
            throw InputError("Hopfield pattern value " + std::to_string(v) + " is not +1 or -1", "",
                             "binarise the patterns (sign) before storing them");
    }
    net.patterns = patterns;
    net.rule = rule;
    if (rule == HopfieldRule::Hebbian) {
        net.weight = patterns.transpose() * patterns / float(net.n);
    } else {
        // Projection onto the span of the patterns, W = X^T (X X^T)^+ X, in double; the
        // pseudo-inverse of the P x P Gram matrix copes with repeated patterns.
        const Eigen::MatrixXd x = patterns.cast<double>();
        const Eigen::MatrixXd gram = x * x.transpose();
        const Eigen::MatrixXd ginv = gram.completeOrthogonalDecomposition().pseudoInverse();
        net.weight = (x.transpose() * ginv * x).cast<float>();
    }
    net.weight.diagonal().setZero();
    return net;
}

std::vector<float> hopfield_recall(const HopfieldNet& net, std::vector<float> s, bool synchronous,
                                   int max_sweeps, uint64_t seed) {
    const int64_t n = net.n;
    if (int64_t(s.size()) != n)
        throw InputError(
            "cue has " + std::to_string(s.size()) + " units, the network has " + std::to_string(n),
            "", "give a cue of the network's size");
    std::mt19937_64 rng(seed);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    Eigen::Map<Eigen::VectorXf> sv(s.data(), n);
    for (int sweep = 0; sweep < max_sweeps; ++sweep) {
        bool changed = false;
        if (synchronous) {
            // The weight matrix is symmetric, so row i dotted with s is the local field.
            Eigen::VectorXf h = net.weight * sv;
            for (int64_t i = 0; i < n; ++i) {
                const float v = h[i] >= 0 ? 1.0f : -1.0f;
                if (v != s[size_t(i)]) {
                    s[size_t(i)] = v;
                    changed = true;
                }
            }
        } else {
            seeded_permutation(order, rng);
            for (int64_t i : order) {
                const float h = net.weight.row(i).dot(sv.transpose());
                // Ties keep the current state, so a stored pattern is a fixed point.
                const float v = h > 0 ? 1.0f : (h < 0 ? -1.0f : s[size_t(i)]);
                if (v != s[size_t(i)]) {
                    s[size_t(i)] = v;
                    changed = true;
                }
            }
        }
        if (!changed) break;
    }
    return s;
}

double hopfield_overlap(const std::vector<float>& a, const float* b, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; ++i) m += double(a[size_t(i)]) * double(b[i]);
    return m / double(n);
}

std::vector<float> hopfield_corrupt(const float* p, int64_t n, double flip, uint64_t seed) {
    std::vector<float> s(p, p + n);
    std::vector<int64_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    std::mt19937_64 rng(seed);
    seeded_permutation(idx, rng);
    const int64_t k = std::llround(flip * double(n));
    for (int64_t i = 0; i < k; ++i) s[size_t(idx[size_t(i)])] *= -1.0f;
    return s;
}

double hopfield_recall_rate(const HopfieldNet& net, double flip, double min_overlap,
                            bool synchronous, uint64_t seed, double* mean_overlap, int threads) {
    const int64_t P = net.patterns.rows();
    if (P == 0) return 0.0;
    // Each pattern's cue and recall have their own seeds, so the patterns split over threads;
    // the overlaps are summed afterwards in pattern order, as one thread would.
    std::vector<double> overlap(size_t(P), 0.0);
    parallel_chunks(P, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
            const float* pat = net.patterns.row(p).data();
            auto cue = hopfield_corrupt(pat, net.n, flip, seed + uint64_t(p) * 2 + 1);
            auto out = hopfield_recall(net, cue, synchronous, 50, seed + uint64_t(p) * 2 + 2);
            overlap[size_t(p)] = hopfield_overlap(out, pat, net.n);
        }
    });
    int64_t ok = 0;
    double sum = 0;
    for (double m : overlap) {
        sum += m;
        ok += m >= min_overlap;
    }
    if (mean_overlap) *mean_overlap = sum / double(P);
    return double(ok) / double(P);
}

AnnMatrix hopfield_random_patterns(int64_t count, int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    AnnMatrix p(count, n);
    for (int64_t i = 0; i < p.size(); ++i) p.data()[i] = (rng() & 1) ? 1.0f : -1.0f;
    return p;
}

AnnMatrix hopfield_dataset_patterns(const Dataset& ds, int64_t count, float level) {
    if (!(level > 0.0f && level < 1.0f))
        throw InputError("binarisation threshold " + std::to_string(level) + " is not in (0, 1)",
                         "patterns.threshold", "use a pixel level such as 0.5");
    // Sample indices of each class in file order, then take them class by class in turn.
    std::vector<std::vector<int64_t>> of_class(size_t(std::max(1, ds.num_classes)));
    for (int64_t i = 0; i < ds.size(); ++i) {
        const int32_t y = ds.labels[size_t(i)];
        if (y >= 0 && size_t(y) < of_class.size()) of_class[size_t(y)].push_back(i);
    }
    std::vector<int64_t> pick;
    for (size_t round = 0; int64_t(pick.size()) < count; ++round) {
        bool any = false;
        for (const auto& idx : of_class)
            if (round < idx.size() && int64_t(pick.size()) < count) {
                pick.push_back(idx[round]);
                any = true;
            }
        if (!any)
            throw InputError("data set '" + ds.name + "' holds " + std::to_string(ds.size()) +
                                 " samples, fewer than the " + std::to_string(count) +
                                 " patterns asked",
                             "patterns.count", "ask for fewer patterns");
    }
    const int64_t n = ds.sample_size();
    AnnMatrix p(count, n);
    for (int64_t k = 0; k < count; ++k) {
        const float* x = ds.sample(pick[size_t(k)]);
        for (int64_t j = 0; j < n; ++j) p(k, j) = x[j] > level ? 1.0f : -1.0f;
    }
    return p;
}

std::vector<HopfieldCapacityPoint> hopfield_capacity(int64_t n, const std::vector<int64_t>& counts,
                                                     double flip, double min_overlap, int trials,
                                                     uint64_t seed, int threads) {
    std::vector<HopfieldCapacityPoint> out;
    for (int64_t P : counts) {
        HopfieldCapacityPoint pt;
        pt.patterns = P;
        pt.load = double(P) / double(n);
        double rate = 0, ov = 0;
        for (int t = 0; t < trials; ++t) {
            const uint64_t s = seed + uint64_t(P) * 1000 + uint64_t(t);
            auto net = hopfield_store(hopfield_random_patterns(P, n, s));
            double m = 0;
            rate += hopfield_recall_rate(net, flip, min_overlap, false, s * 31 + 7, &m, threads);
            ov += m;
        }
        pt.recall_rate = rate / trials;
        pt.mean_overlap = ov / trials;
        out.push_back(pt);
    }
    return out;
}

HopfieldNet load_hopfield(const std::string& path) {
    fs::path file(path);
    if (fs::is_directory(file)) file /= "network.yaml";
    if (!fs::exists(file))
        throw InputError("Hopfield network not found: " + file.string(), "",
                         "give a network directory");
    const YAML::Node root = load_yaml_file(file.string(), "network file");
    if (!root["weights"])
        throw InputError("Hopfield network has no 'weights:' file", file.string(),
                         "train it with spikeforge train (type: hopfield)");
    if (!root["weights"].IsScalar())
        throw InputError("'weights' must be a file name",
                         at_file(file.string(), root["weights"].Mark().line + 1, "weights"),
                         "write weights: weights.npz");
    const auto arrays = read_npz((file.parent_path() / root["weights"].Scalar()).string());
    auto w = arrays.find("weight"), p = arrays.find("patterns");
    if (w == arrays.end() || p == arrays.end())
        throw InputError("Hopfield weights need arrays 'weight' and 'patterns'", file.string(),
                         "re-train the network");
    if (w->second.shape.size() != 2 || w->second.shape[0] != w->second.shape[1] ||
        p->second.shape.size() != 2 || p->second.shape[1] != w->second.shape[0])
        throw InputError("Hopfield weight " + w->second.shape_str() + " and patterns " +
                             p->second.shape_str() + " do not match",
                         file.string(), "weight must be [N, N] and patterns [P, N]");
    HopfieldNet net;
    const std::string rule = root["rule"] && root["rule"].IsScalar() ? root["rule"].Scalar()
                             : root["rule"]                          ? std::string("(not a string)")
                                                                     : std::string("hebbian");
    if (rule != "hebbian" && rule != "pseudo_inverse")
        throw InputError("unknown Hopfield storage rule '" + rule + "'", file.string(),
                         "use 'rule: hebbian' or 'rule: pseudo_inverse'");
    net.rule = rule == "hebbian" ? HopfieldRule::Hebbian : HopfieldRule::PseudoInverse;
    net.n = w->second.shape[0];
    auto wv = w->second.to<float>();
    auto pv = p->second.to<float>();
    for (float v : wv)
        if (!std::isfinite(v))
            throw InputError("Hopfield weight contains NaN or Inf", file.string(),
                             "re-train the network");
    net.weight = Eigen::Map<AnnMatrix>(wv.data(), net.n, net.n);
    net.patterns = Eigen::Map<AnnMatrix>(pv.data(), p->second.shape[0], net.n);
    return net;
}

void save_hopfield(const HopfieldNet& net, const std::string& dir, const nlohmann::json& recall,
                   const std::string& name) {
    // Built beside the target and moved in when complete (temp_dir.hpp).
    const fs::path parent = fs::path(dir).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    TempSiblingDir staging(dir, OutputKind::Network);
    std::vector<float> w(net.weight.data(), net.weight.data() + net.weight.size());
    std::vector<float> p(net.patterns.data(), net.patterns.data() + net.patterns.size());
    write_npz((staging.path() / "weights.npz").string(),
              {{"weight", Tensor::from(w, {net.n, net.n})},
               {"patterns", Tensor::from(p, {int64_t(net.patterns.rows()), net.n})}});
    {
        std::ofstream f(staging.path() / "network.yaml");
        f << "# spikeforge Hopfield network (docs/reference-ann.md)\n"
          << "name: " << name << "\ntype: hopfield\nn: " << net.n
          << "\npatterns: " << net.patterns.rows()
          << "\nrule: " << (net.rule == HopfieldRule::Hebbian ? "hebbian" : "pseudo_inverse")
          << "\nweights: weights.npz\n";
        f << "recall:\n  flip: " << recall.value("flip", 0.1)
          << "\n  min_overlap: " << recall.value("min_overlap", 0.95)
          << "\n  mode: " << recall.value("mode", std::string("async")) << "\n";
        if (!f) throw InputError("cannot write network.yaml", dir, "check free disk space");
    }
    staging.commit_files({"weights.npz", "network.yaml"});
}

}  // namespace sf
