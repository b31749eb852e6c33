// Spike-train statistics and information estimates (see spike_stats.hpp).
#include "sf/reference/spike_stats.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "sf/core/error.hpp"

namespace sf {

double firing_rate_hz(const std::vector<double>& t, double duration_ms) {
    return firing_rate_hz(t, 0.0, duration_ms);
}

double firing_rate_hz(const std::vector<double>& t, double skip_ms, double duration_ms) {
    if (!(duration_ms > skip_ms) || !(skip_ms >= 0.0))
        throw InputError("firing rate: the window [" + std::to_string(skip_ms) + ", " +
                             std::to_string(duration_ms) + "] ms is empty",
                         {}, "give a duration longer than the skipped transient");
    int64_t n = 0;
    for (double x : t) n += (x > skip_ms && x <= duration_ms);
    return 1000.0 * double(n) / (duration_ms - skip_ms);
}

std::vector<double> inter_spike_intervals(const std::vector<double>& t) {
    std::vector<double> isi;
    for (size_t i = 1; i < t.size(); ++i) isi.push_back(t[i] - t[i - 1]);
    return isi;
}

double isi_cv(const std::vector<double>& t) {
    if (t.size() < 3)
        throw InputError("ISI CV: needs at least 3 spikes, got " + std::to_string(t.size()), {},
                         "record longer or drive the neuron harder");
    const auto isi = inter_spike_intervals(t);
    double mean = 0.0, var = 0.0;
    for (double x : isi) mean += x;
    mean /= double(isi.size());
    for (double x : isi) var += (x - mean) * (x - mean);
    var /= double(isi.size());
    return std::sqrt(var) / mean;
}

std::vector<double> fi_curve(const std::function<std::vector<double>(double)>& run,
                             const std::vector<double>& currents, double skip_ms,
                             double duration_ms) {
    std::vector<double> rates;
    for (double i : currents) rates.push_back(firing_rate_hz(run(i), skip_ms, duration_ms));
    return rates;
}

TuningCurve tuning_curve(const std::vector<int>& s, const std::vector<double>& r, int k) {
    if (s.size() != r.size())
        throw InputError("tuning curve: " + std::to_string(s.size()) + " stimuli but " +
                         std::to_string(r.size()) + " responses");
    if (k < 1) throw InputError("tuning curve: needs at least one stimulus class");
    TuningCurve tc;
    tc.mean.assign(size_t(k), 0.0);
    tc.sem.assign(size_t(k), 0.0);
    tc.samples.assign(size_t(k), 0);
    std::vector<double> sq(size_t(k), 0.0);
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] < 0 || s[i] >= k)
            throw InputError("tuning curve: stimulus class " + std::to_string(s[i]) +
                             " outside 0.." + std::to_string(k - 1));
        tc.mean[size_t(s[i])] += r[i];
        sq[size_t(s[i])] += r[i] * r[i];
        ++tc.samples[size_t(s[i])];
    }
    for (size_t c = 0; c < size_t(k); ++c) {
        const double n = double(tc.samples[c]);
        if (n == 0) {
            tc.mean[c] = tc.sem[c] = std::numeric_limits<double>::quiet_NaN();
            continue;
        }
        tc.mean[c] /= n;
        const double var = n > 1 ? (sq[c] - n * tc.mean[c] * tc.mean[c]) / (n - 1) : 0.0;
        tc.sem[c] = std::sqrt(std::max(0.0, var) / n);
    }
    return tc;
}

namespace {
double plugin_entropy(const std::map<int, int64_t>& hist, int64_t n) {
    double h = 0.0;
    for (const auto& [v, c] : hist) {
        const double p = double(c) / double(n);
        h -= p * std::log2(p);
    }
    return h;
}
}  // namespace

double entropy_bits(const std::vector<int>& values, bool bias_corrected) {
    if (values.empty()) throw InputError("entropy: no samples");
    std::map<int, int64_t> hist;
    for (int v : values) ++hist[v];
    const double n = double(values.size());
    double h = plugin_entropy(hist, int64_t(values.size()));
    if (bias_corrected) h += double(hist.size() - 1) / (2.0 * n * std::log(2.0));
    return h;
}

double mutual_information_bits(const std::vector<int>& s, const std::vector<int>& r,
                               bool bias_corrected) {
    if (s.size() != r.size())
        throw InputError("mutual information: " + std::to_string(s.size()) + " stimuli but " +
                         std::to_string(r.size()) + " responses");
    if (s.empty()) throw InputError("mutual information: no samples");
    const int64_t n = int64_t(s.size());
    std::map<int, int64_t> hr;
    std::map<int, std::map<int, int64_t>> hrs;
    std::map<int, int64_t> hs;
    for (size_t i = 0; i < s.size(); ++i) {
        ++hr[r[i]];
        ++hrs[s[i]][r[i]];
        ++hs[s[i]];
    }
    double h_cond = 0.0, bins_s = 0.0;
    for (const auto& [stim, hist] : hrs) {
        h_cond += double(hs[stim]) / double(n) * plugin_entropy(hist, hs[stim]);
        bins_s += double(hist.size()) - 1.0;
    }
    double mi = plugin_entropy(hr, n) - h_cond;
    if (bias_corrected) {
        mi -= (bins_s - (double(hr.size()) - 1.0)) / (2.0 * double(n) * std::log(2.0));
        mi = std::max(0.0, mi);
    }
    return mi;
}

}  // namespace sf
