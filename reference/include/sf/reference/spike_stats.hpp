// Analysis of spike trains for a neuroscience course: firing rates, inter-spike-interval
// statistics (CV), f-I curves, tuning curves, spike-count entropy and the mutual
// information between a stimulus class and a spike count (plug-in estimates with the
// Miller-Madow / Panzeri-Treves bias correction). The inputs are plain spike times or
// counts, so float reference runs and recorded chip runs are analysed alike.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace sf {

// Spikes per second over a window of duration_ms.
double firing_rate_hz(const std::vector<double>& spike_times_ms, double duration_ms);
// Spikes per second of spikes after skip_ms, over [skip_ms, duration_ms].
double firing_rate_hz(const std::vector<double>& spike_times_ms, double skip_ms,
                      double duration_ms);
std::vector<double> inter_spike_intervals(const std::vector<double>& spike_times_ms);
// Coefficient of variation of the ISIs (std / mean, population std). Needs >= 3 spikes.
double isi_cv(const std::vector<double>& spike_times_ms);

// f-I curve: run(current) returns spike times of a run of duration_ms; the rate counts the
// spikes after skip_ms (the transient), per current.
std::vector<double> fi_curve(const std::function<std::vector<double>(double)>& run,
                             const std::vector<double>& currents, double skip_ms,
                             double duration_ms);

// Mean response per stimulus class 0..num_classes-1 (a tuning curve); classes without
// samples get NaN.
struct TuningCurve {
    std::vector<double> mean, sem;
    std::vector<int64_t> samples;
};
TuningCurve tuning_curve(const std::vector<int>& stimulus, const std::vector<double>& response,
                         int num_classes);

// Entropy of a discrete variable (e.g. a spike count) in bits. bias_corrected adds the
// Miller-Madow term (m - 1) / (2 N ln 2), m = number of values seen (Miller 1955).
double entropy_bits(const std::vector<int>& values, bool bias_corrected = false);

// I(S; R) in bits between stimulus classes and responses (spike counts). The plug-in
// estimate H(R) - H(R|S); bias_corrected subtracts its first-order bias
// [sum_s (R_s - 1) - (R - 1)] / (2 N ln 2) (Panzeri & Treves 1996, eq. 2.11), with R the
// responses seen and R_s those seen under stimulus s. Never below 0 when corrected.
double mutual_information_bits(const std::vector<int>& stimulus, const std::vector<int>& response,
                               bool bias_corrected = false);

}  // namespace sf
