// The pipeline driver (DESIGN.md §4): one pass after another, each timed, its statistics
// kept and its result dumped when asked.
#include "sf/compiler/compile.hpp"

#include <algorithm>
#include <chrono>

#include "sf/compiler/ir.hpp"
#include "sf/compiler/passes/emit.hpp"
#include "sf/compiler/passes/lower.hpp"
#include "sf/compiler/passes/partition.hpp"
#include "sf/compiler/passes/place.hpp"
#include "sf/compiler/passes/quantize.hpp"
#include "sf/compiler/passes/route.hpp"
#include "sf/compiler/passes/validate.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf {

const std::vector<std::string>& pass_names() {
    static const std::vector<std::string> names{"validate", "quantize", "lower", "partition",
                                                "place",    "route",    "emit"};
    return names;
}

namespace {

// Times one pass and records its statistics under its name.
class PassTimer {
  public:
    PassTimer(std::vector<PassStats>& all, const char* name) : all_(all) {
        all_.push_back({name, 0.0, {}, {}});
        start_ = std::chrono::steady_clock::now();
    }
    PassStats& stats() { return all_.back(); }
    void stop() {
        all_.back().wall_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

  private:
    std::vector<PassStats>& all_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace

CompileResult compile(const Graph& g, const ChipConfig& chip, const CompileOptions& opt) {
    const std::string& want = opt.dump_after;
    if (!want.empty() && want != "all" &&
        std::find(pass_names().begin(), pass_names().end(), want) == pass_names().end())
        throw InputError(
            "unknown pass '" + want + "' for --dump-after", "",
            "use one of validate, quantize, lower, partition, place, route, emit, all");
    if (!want.empty() && !opt.dump)
        throw InputError("dump_after is set but no dump stream was given");
    validate_chip(chip);

    // Passes that split into pieces do so in a fixed partition and merge in piece order
    // (sf/core/parallel.hpp), so nothing below depends on the thread count; place (greedy
    // then annealing, one random chain), route and partition's packing stay serial.
    const int threads = std::clamp(opt.threads, 1, kMaxThreads);
    CompileResult res;
    auto dump_if_asked = [&](const char* pass, auto&& text) {
        if (want == pass || want == "all") {
            *opt.dump << "# after " << pass << "\n" << text();
        }
    };

    ir::Ir ir = ir::make_ir(g, chip);
    {
        PassTimer t(res.passes, "validate");
        ir = passes::validate(std::move(ir), t.stats());
        t.stop();
    }
    dump_if_asked("validate", [&] { return passes::dump_validate(ir); });
    {
        // Quantize before lowering: the lowered lists hold integer weights only, and
        // duplicate synapses are summed in integers that share their target's scale.
        PassTimer t(res.passes, "quantize");
        ir = passes::quantize(std::move(ir), t.stats(), threads);
        t.stop();
    }
    dump_if_asked("quantize", [&] { return passes::dump_quantize(ir); });
    {
        PassTimer t(res.passes, "lower");
        ir = passes::lower(std::move(ir), t.stats(), threads);
        t.stop();
    }
    dump_if_asked("lower", [&] { return passes::dump_lower(ir); });
    {
        // Partition needs the lowered lists: axon counts are distinct sources after
        // zero weights are dropped and duplicates merged.
        PassTimer t(res.passes, "partition");
        ir = passes::partition(std::move(ir), t.stats(), threads);
        t.stop();
    }
    dump_if_asked("partition", [&] { return passes::dump_partition(ir); });
    {
        PassTimer t(res.passes, "place");
        ir = passes::place(std::move(ir), opt.seed, t.stats());
        t.stop();
    }
    dump_if_asked("place", [&] { return passes::dump_place(ir); });
    {
        // Route after place: hop counts and destination coordinates need positions.
        PassTimer t(res.passes, "route");
        ir = passes::route(std::move(ir), t.stats());
        t.stop();
    }
    dump_if_asked("route", [&] { return passes::dump_route(ir); });
    {
        PassTimer t(res.passes, "emit");
        res.image = passes::emit(ir, opt.seed, t.stats(), threads);
        t.stop();
    }
    dump_if_asked("emit", [&] { return passes::dump_emit(res.image); });
    int report_threads = 1;
    res.image.report_json = passes::make_report(res.image, res.passes, threads, &report_threads);
    res.threads = report_threads;
    for (const PassStats& p : res.passes) res.threads = std::max(res.threads, p.threads);
    return res;
}

}  // namespace sf
