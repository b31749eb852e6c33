// How the compiler scales: synthetic layered networks from about 10 k neurons / 1 M
// synapses to 1 M neurons / 100 M synapses, compiled onto a chip configured big enough
// (built in code). Prints compile time, time per pass and peak RSS per size. Each size
// runs in its own child process so its peak RSS is its own.
//
//   bench_compile_scaling                 # 10k, 100k
//   bench_compile_scaling --max 1m        # 10k, 100k, 1m
//   bench_compile_scaling --only 1m --kind sparse
//   bench_compile_scaling --only 1m --threads 1,2   # the same size on 1 and on 2 threads
//
// compile_s is the wall time of sf::compile, cpu_s its process CPU time (user + sys, all
// threads), main_s the CPU time of the calling thread alone (the serial passes and the
// first piece of every split one): on a loaded machine cpu_s is the honest figure, and
// cpu_s - main_s is the work the other threads took over. Each thread count compiles in
// its own child, and the images are compared (every core's crossbar, tables, provenance):
// "same" when each is identical to the first count's.
//
// conv (default): L layers of {5, H, W} joined by 5x5 conv2d (padding 2), fan-in 125.
// sparse: L layers of n neurons joined by sparse projections, each neuron drawing 100
// random sources from a window of the previous layer (graph indices cost 20 bytes a
// synapse, so this kind is for sizes up to ~10 M synapses).
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sf/compiler/compile.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

using namespace sf;

namespace {

struct Size {
    const char* name;
    int layers;
    int64_t hw;  // map side; a layer has 5 * hw * hw neurons
};

const Size kSizes[] = {{"10k", 11, 13}, {"100k", 11, 43}, {"1m", 11, 135}};

Population layer(const std::string& name, NeuronKind kind, std::vector<int64_t> shape) {
    Population p;
    p.name = name;
    p.kind = kind;
    p.shape = std::move(shape);
    p.params.decay_u = 0.5f;
    p.params.decay_v = 0.1f;
    p.params.threshold = 1.0f;
    return p;
}

Graph conv_net(const Size& s, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int64_t C = 5, K = 5;
    Graph g;
    g.name = std::string("conv_") + s.name;
    for (int l = 0; l < s.layers; ++l) {
        g.populations.push_back(layer("l" + std::to_string(l),
                                      l == 0 ? NeuronKind::Input : NeuronKind::LIF,
                                      {C, s.hw, s.hw}));
        if (l == 0) continue;
        Projection p;
        p.name = "conv" + std::to_string(l);
        p.kind = ProjectionKind::Conv2d;
        p.pre = "l" + std::to_string(l - 1);
        p.post = "l" + std::to_string(l);
        std::vector<float> w(size_t(C * C * K * K));
        for (auto& x : w) x = u(rng);
        p.weights = Tensor::from(w, {C, C, K, K});
        p.kernel = {int(K), int(K)};
        p.padding = {2, 2};
        g.projections.push_back(std::move(p));
    }
    g.populations.back().output = true;
    return g;
}

Graph sparse_net(const Size& s, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int64_t n = 5 * s.hw * s.hw, fan = 100, window = 400;  // as many neurons as conv
    Graph g;
    g.name = std::string("sparse_") + s.name;
    for (int l = 0; l < s.layers; ++l) {
        g.populations.push_back(
            layer("l" + std::to_string(l), l == 0 ? NeuronKind::Input : NeuronKind::LIF, {n}));
        if (l == 0) continue;
        Projection p;
        p.name = "sp" + std::to_string(l);
        p.kind = ProjectionKind::Sparse;
        p.pre = "l" + std::to_string(l - 1);
        p.post = "l" + std::to_string(l);
        std::vector<int64_t> idx;
        std::vector<float> w;
        idx.reserve(size_t(n * fan * 2));
        w.reserve(size_t(n * fan));
        for (int64_t j = 0; j < n; ++j) {
            const int64_t base =
                std::clamp<int64_t>(j - window / 2, 0, std::max<int64_t>(0, n - window));
            for (int64_t k = 0; k < fan; ++k) {
                idx.push_back(base + int64_t(rng() % uint64_t(std::min(window, n))));
                idx.push_back(j);
                w.push_back(u(rng));
            }
        }
        p.indices = Tensor::from(idx, {n * fan, 2});
        p.weights = Tensor::from(w, {n * fan});
        g.projections.push_back(std::move(p));
    }
    g.populations.back().output = true;
    return g;
}

ChipConfig big_chip() {
    ChipConfig c;
    c.name = "bench-64x64";
    c.mesh_w = c.mesh_h = 64;  // the largest mesh the chip YAML allows
    c.neurons_per_core = 256;
    c.axons_per_core = 1024;
    c.fanout = 8;
    c.learning = false;
    return c;
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// FNV-1a over everything the image files hold (report.json aside, it has wall times), so
// children compiling with different thread counts can compare their images.
struct Hash {
    uint64_t h = 1469598103934665603ULL;
    void bytes(const void* p, size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
    }
    template <class T>
    void vec(const std::vector<T>& v) {
        const uint64_t n = v.size();
        bytes(&n, sizeof n);
        if (!v.empty()) bytes(v.data(), v.size() * sizeof(T));
    }
    template <class T>
    void val(const T& x) {
        bytes(&x, sizeof x);
    }
};

uint64_t image_hash(const ChipImage& img) {
    Hash h;
    for (const CoreImage& c : img.cores) {
        h.val(c.x), h.val(c.y), h.val(c.num_neurons), h.val(c.num_axons);
        for (const auto& p : c.profiles)
            h.val(p.du), h.val(p.dv), h.val(p.vth), h.val(p.bias_exp), h.val(p.refractory),
                h.val(int(p.reset)), h.val(p.spiking);
        h.vec(c.profile_of), h.vec(c.bias_mant), h.vec(c.weights), h.vec(c.plastic);
        h.vec(c.route_ptr);
        for (const auto& d : c.route_dst) h.val(d.x), h.val(d.y), h.val(d.axon);
        h.vec(c.neuron_pop), h.vec(c.neuron_index), h.vec(c.axon_pop), h.vec(c.axon_index);
    }
    for (const auto& p : img.populations) h.vec(p.core_of), h.vec(p.neuron_of);
    for (const auto& d : img.input_dst) h.val(d.x), h.val(d.y), h.val(d.axon);
    h.vec(img.input_ptr), h.vec(img.output_core), h.vec(img.output_neuron);
    return h.h;
}

// Writes the image hash to `hash_fd` for the parent to compare.
void run_one(const Size& s, const std::string& kind, uint64_t seed, int threads, int hash_fd) {
    const double t0 = now_s();
    const Graph g = kind == "sparse" ? sparse_net(s, seed) : conv_net(s, seed);
    const double t1 = now_s();
    CompileOptions opt;
    opt.seed = seed;
    opt.threads = threads;
    const double c1 = cpu_s(), m1 = thread_cpu_s();
    const CompileResult r = compile(g, big_chip(), opt);
    const double t2 = now_s();
    const double c2 = cpu_s(), m2 = thread_cpu_s();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    int64_t neurons = 0;
    for (const auto& p : g.populations) neurons += p.size();
    const double syn = r.passes.back().stats.at("synapses");
    const uint64_t hash = image_hash(r.image);
    if (write(hash_fd, &hash, sizeof hash) != ssize_t(sizeof hash)) std::perror("write");
    std::printf("%-6s %-6s %9lld %11.0f %6zu %8.2f %3d %9.2f %8.2f %8.2f %9.0f |", s.name,
                kind.c_str(), (long long)neurons, syn, r.image.cores.size(), t1 - t0, r.threads,
                t2 - t1, c2 - c1, m2 - m1, double(ru.ru_maxrss) / 1024.0);
    for (const auto& p : r.passes) std::printf(" %s %.2f", p.pass.c_str(), p.wall_s);
    std::printf("\n");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    std::string max = "100k", only, kind = "conv";
    std::vector<int> thread_counts{1};
    uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--max")
            max = next();
        else if (a == "--only")
            only = next();
        else if (a == "--kind")
            kind = next();
        else if (a == "--seed")
            seed = std::stoull(next());
        else if (a == "--threads") {
            thread_counts.clear();
            const std::string v = next();
            for (size_t p = 0; p <= v.size();) {
                const size_t q = std::min(v.find(',', p), v.size());
                const int t = std::atoi(v.substr(p, q - p).c_str());
                if (t < 1 || t > kMaxThreads) {
                    std::fprintf(stderr, "--threads takes counts 1..%d, comma-separated\n",
                                 kMaxThreads);
                    return 2;
                }
                thread_counts.push_back(t);
                p = q + 1;
            }
        } else {
            std::fprintf(
                stderr,
                "usage: %s [--max 10k|100k|1m] [--only SIZE] [--kind conv|sparse] [--seed N] "
                "[--threads N[,N...]]\n",
                argv[0]);
            return a == "-h" || a == "--help" ? 0 : 2;
        }
    }
    std::printf("%-6s %-6s %9s %11s %6s %8s %3s %9s %8s %8s %9s | per pass [s]\n", "size", "kind",
                "neurons", "synapses", "cores", "build_s", "thr", "compile_s", "cpu_s", "main_s",
                "rss_MiB");
    for (const Size& s : kSizes) {
        if (!only.empty() && only != s.name) continue;
        uint64_t first_hash = 0;
        for (size_t ti = 0; ti < thread_counts.size(); ++ti) {
            int fds[2];
            if (pipe(fds) != 0) {
                std::perror("pipe");
                return 1;
            }
            std::fflush(stdout);  // or the child prints the parent's buffer again
            const pid_t pid = fork();
            if (pid == 0) {
                close(fds[0]);
                try {
                    run_one(s, kind, seed, thread_counts[ti], fds[1]);
                } catch (const std::exception& e) {
                    std::printf("%-6s %-6s failed: %s\n", s.name, kind.c_str(), e.what());
                    std::fflush(stdout);
                    _exit(1);
                }
                std::fflush(stdout);
                _exit(0);
            }
            close(fds[1]);
            uint64_t hash = 0;
            const bool got = read(fds[0], &hash, sizeof hash) == ssize_t(sizeof hash);
            close(fds[0]);
            int status = 0;
            waitpid(pid, &status, 0);
            if (!WIFEXITED(status)) {
                std::printf("%-6s %-6s killed (signal %d)\n", s.name, kind.c_str(),
                            WTERMSIG(status));
                continue;
            }
            if (!got) continue;
            if (ti == 0) first_hash = hash;
            std::printf("%-6s %-6s threads %d: image %016llx %s\n", s.name, kind.c_str(),
                        thread_counts[ti], (unsigned long long)hash,
                        ti == 0              ? "(first)"
                        : hash == first_hash ? "same"
                                             : "DIFFERENT");
            std::fflush(stdout);
        }
        if (only.empty() && max == s.name) break;
    }
    return 0;
}
