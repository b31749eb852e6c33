#include "sf/analysis/metrics.hpp"

#include <cmath>
#include <cstdlib>

namespace sf {

void Correlation::add(double x, double y) {
    ++n_;
    sx_ += x;
    sy_ += y;
    sxx_ += (long double)x * x;
    syy_ += (long double)y * y;
    sxy_ += (long double)x * y;
}

std::optional<double> Correlation::value() const {
    if (n_ < 2) return std::nullopt;
    const long double n = n_;
    const long double vx = n * sxx_ - sx_ * sx_, vy = n * syy_ - sy_ * sy_;
    // Exactly constant integer data give exactly 0 here; allow for rounding of large sums.
    const long double eps = 1e-12L * (n * sxx_ + n * syy_ + 1);
    if (vx <= eps || vy <= eps) return std::nullopt;
    const long double c = (n * sxy_ - sx_ * sy_) / std::sqrt(vx * vy);
    return double(std::max(-1.0L, std::min(1.0L, c)));
}

double fraction_identical(const std::vector<int>& a, const std::vector<int>& b) {
    const size_t n = std::min(a.size(), b.size());
    if (n == 0) return 0.0;
    size_t same = 0;
    for (size_t i = 0; i < n; ++i) same += a[i] == b[i];
    return double(same) / double(n);
}

std::vector<bool> pareto_front(const std::vector<double>& better, const std::vector<double>& cost) {
    const size_t n = std::min(better.size(), cost.size());
    std::vector<bool> on(n, true);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n && on[i]; ++j) {
            if (j == i) continue;
            const bool no_worse = better[j] >= better[i] && cost[j] <= cost[i];
            const bool strictly = better[j] > better[i] || cost[j] < cost[i];
            if (no_worse && strictly) on[i] = false;
        }
    return on;
}

void LayerAgreement::add(int64_t f, int64_t c) {
    corr.add(double(f), double(c));
    ++pairs;
    identical += f == c;
    float_spikes += uint64_t(f);
    chip_spikes += uint64_t(c);
    abs_diff += std::llabs(c - f);
}

double LayerAgreement::float_rate(int steps) const {
    return pairs && steps > 0 ? double(float_spikes) / double(pairs) / steps : 0.0;
}
double LayerAgreement::chip_rate(int steps) const {
    return pairs && steps > 0 ? double(chip_spikes) / double(pairs) / steps : 0.0;
}
double LayerAgreement::rate_error(int steps) const {
    return pairs && steps > 0 ? double(abs_diff / pairs) / steps : 0.0;
}

int64_t projection_connections(const Graph& g, const Projection& p) {
    const Population* pre = g.find_population(p.pre);
    const Population* post = g.find_population(p.post);
    if (!pre || !post) return 0;
    switch (p.kind) {
        case ProjectionKind::Dense:
            return pre->size() * post->size();
        case ProjectionKind::OneToOne:
            return post->size();
        case ProjectionKind::Sparse:
            return p.indices.shape.empty() ? 0 : p.indices.shape[0];
        case ProjectionKind::Conv2d:
        case ProjectionKind::SumPool:
        case ProjectionKind::AvgPool: {
            if (pre->shape.size() != 3 || post->shape.size() != 3) return 0;
            const bool conv = p.kind == ProjectionKind::Conv2d;
            const int64_t C = pre->shape[0], H = pre->shape[1], W = pre->shape[2];
            const int64_t OC = post->shape[0], OH = post->shape[1], OW = post->shape[2];
            int64_t kh = p.kernel.at(0), kw = p.kernel.at(1);
            if (conv && p.weights.shape.size() == 4) {
                kh = p.weights.shape[2];
                kw = p.weights.shape[3];
            }
            // Taps inside the input, per output position (padding taps carry nothing).
            int64_t taps = 0;
            for (int64_t oy = 0; oy < OH; ++oy)
                for (int64_t ox = 0; ox < OW; ++ox)
                    for (int64_t ky = 0; ky < kh; ++ky) {
                        const int64_t iy = oy * p.stride.at(0) - p.padding.at(0) + ky;
                        if (iy < 0 || iy >= H) continue;
                        for (int64_t kx = 0; kx < kw; ++kx) {
                            const int64_t ix = ox * p.stride.at(1) - p.padding.at(1) + kx;
                            taps += ix >= 0 && ix < W;
                        }
                    }
            return OC * taps * (conv ? C : 1);
        }
    }
    return 0;
}

SnnStaticMetrics snn_static_metrics(const Graph& g) {
    SnnStaticMetrics m;
    for (const auto& pop : g.populations) {
        if (pop.kind == NeuronKind::Input) continue;
        m.neurons += pop.size();
        m.state_bytes += 2 * 4 * pop.size();  // u and v
        if (pop.bias) m.parameter_bytes += 4 * pop.bias->size();
    }
    for (const auto& p : g.projections) {
        m.connections += projection_connections(g, p);
        if (p.weights.size() > 0 && !p.weights.bytes.empty()) {
            const std::vector<float> w = p.weights.to<float>();
            // A scalar one-to-one `scale` is one parameter shared by all its synapses.
            m.weights += int64_t(w.size());
            for (float x : w) m.zero_weights += x == 0.0f;
            m.parameter_bytes += 4 * int64_t(w.size());
        } else if (p.kind == ProjectionKind::OneToOne) {
            m.weights += 1;
            m.zero_weights += p.scale == 0.0f;
            m.parameter_bytes += 4;
        }
    }
    return m;
}

}  // namespace sf
