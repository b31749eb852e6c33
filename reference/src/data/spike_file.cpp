// Spike files (docs/formats.md, "Spike files"): an .npz that numpy can write, holding
// `events` int32 [n, 3] rows (sample, step, input index), `shape` int64 [2] (samples,
// steps), `num_inputs` int64 scalar, and optionally `labels` int32 [samples].
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"
#include "sf/reference/encoders.hpp"

namespace sf {

namespace {

bool is_integer(DType t) {
    switch (t) {
        case DType::I8:
        case DType::U8:
        case DType::I16:
        case DType::U16:
        case DType::I32:
        case DType::U32:
        case DType::I64:
        case DType::U64:
            return true;
        default:
            return false;
    }
}

const char* kFix = "write the file as described in docs/formats.md, section \"Spike files\"";

// samples x steps held in memory at once; 2^26 lists are about 1.6 GB before any spike.
constexpr int64_t kMaxSpikeSlots = int64_t(1) << 26;

}  // namespace

SpikeInput read_spike_file(const std::string& path) {
    const std::map<std::string, Tensor> arrays = read_npz(path);
    auto bad = [&](const std::string& why) {
        return InputError("bad spike file " + path + ": " + why, path, kFix);
    };
    // Integer dtypes of any width are accepted: numpy users often end up with int64.
    auto get = [&](const char* key, bool required) -> const Tensor* {
        auto it = arrays.find(key);
        if (it == arrays.end()) {
            if (required) throw bad(std::string("array '") + key + "' is missing");
            return nullptr;
        }
        if (!is_integer(it->second.dtype))
            throw bad(std::string("array '") + key + "' must hold integers, it holds " +
                      npy_descr(it->second.dtype));
        return &it->second;
    };
    for (const auto& kv : arrays)
        if (kv.first != "events" && kv.first != "shape" && kv.first != "num_inputs" &&
            kv.first != "labels")
            throw bad("unknown array '" + kv.first +
                      "' (expected events, shape, num_inputs, labels)");

    const Tensor* shape_t = get("shape", true);
    if (shape_t->shape != std::vector<int64_t>{2})
        throw bad("'shape' must have shape [2] (samples, steps), it has " + shape_t->shape_str());
    const std::vector<int64_t> shape = shape_t->to<int64_t>(path + " (array 'shape')");
    const int64_t samples = shape[0], steps = shape[1];
    if (samples < 0 || steps < 1 || steps > kMaxTimesteps || samples > (int64_t(1) << 31))
        throw bad("'shape' = [" + std::to_string(samples) + ", " + std::to_string(steps) +
                  "] is out of range (samples >= 0, 1 <= steps <= 2^24)");
    // Every (sample, step) gets its own list below: a header claiming billions of them
    // must fail here, not by exhausting memory.
    if (samples * steps > kMaxSpikeSlots)
        throw bad("'shape' = [" + std::to_string(samples) + ", " + std::to_string(steps) +
                  "] holds more than 2^26 sample steps");

    const Tensor* ni_t = get("num_inputs", true);
    if (!ni_t->shape.empty() && ni_t->shape != std::vector<int64_t>{1})
        throw bad("'num_inputs' must be a scalar, it has shape " + ni_t->shape_str());
    const int64_t num_inputs = ni_t->to<int64_t>(path + " (array 'num_inputs')").at(0);
    if (num_inputs < 1 || num_inputs > INT32_MAX)
        throw bad("'num_inputs' = " + std::to_string(num_inputs) + " is out of range (>= 1)");

    const Tensor* ev_t = get("events", true);
    const bool empty_ok = ev_t->size() == 0 && (ev_t->shape.size() == 1 || ev_t->shape.size() == 2);
    if (!empty_ok && (ev_t->shape.size() != 2 || ev_t->shape[1] != 3))
        throw bad("'events' must have shape [n, 3] (sample, step, input index), it has " +
                  ev_t->shape_str());
    const std::vector<int64_t> ev = ev_t->to<int64_t>(path + " (array 'events')");

    SpikeInput in;
    in.num_inputs = int(num_inputs);
    in.samples.resize(size_t(samples));
    for (auto& s : in.samples) s.steps.assign(size_t(steps), {});
    const int64_t n = int64_t(ev.size()) / 3;
    for (int64_t e = 0; e < n; ++e) {
        const int64_t s = ev[size_t(3 * e)], t = ev[size_t(3 * e + 1)], j = ev[size_t(3 * e + 2)];
        auto where = [&] {
            return "event " + std::to_string(e) + " = (" + std::to_string(s) + ", " +
                   std::to_string(t) + ", " + std::to_string(j) + ")";
        };
        if (s < 0 || s >= samples)
            throw bad(where() + ": sample outside [0, " + std::to_string(samples) + ")");
        if (t < 0 || t >= steps)
            throw bad(where() + ": step outside [0, " + std::to_string(steps) + ")");
        if (j < 0 || j >= num_inputs)
            throw bad(where() + ": input index outside [0, " + std::to_string(num_inputs) + ")");
        in.samples[size_t(s)].steps[size_t(t)].push_back(int32_t(j));
    }
    // Canonical order (ascending input index) so equal files give equal SpikeInputs; an
    // input can spike at most once per step, so a duplicate is an error.
    for (size_t s = 0; s < in.samples.size(); ++s)
        for (size_t t = 0; t < size_t(steps); ++t) {
            auto& v = in.samples[s].steps[t];
            std::sort(v.begin(), v.end());
            auto dup = std::adjacent_find(v.begin(), v.end());
            if (dup != v.end())
                throw bad("input " + std::to_string(*dup) + " spikes twice in sample " +
                          std::to_string(s) + ", step " + std::to_string(t));
        }

    if (const Tensor* lab_t = get("labels", false)) {
        if (lab_t->shape != std::vector<int64_t>{samples})
            throw bad("'labels' must have shape [" + std::to_string(samples) + "], it has " +
                      lab_t->shape_str());
        const std::vector<int64_t> labels = lab_t->to<int64_t>(path + " (array 'labels')");
        for (size_t s = 0; s < labels.size(); ++s) {
            if (labels[s] < -1 || labels[s] > INT32_MAX)
                throw bad("label " + std::to_string(labels[s]) + " of sample " + std::to_string(s) +
                          " is out of range (-1 means unknown)");
            in.samples[s].label = int(labels[s]);
        }
    }
    return in;
}

void check_spike_input_fits(const SpikeInput& in, int num_inputs, int num_outputs,
                            const std::string& path) {
    if (in.num_inputs != num_inputs)
        throw InputError("bad spike file " + path + ": it is for " +
                             std::to_string(in.num_inputs) + " inputs, the network has " +
                             std::to_string(num_inputs),
                         path, "write the spike file for this network's input population");
    for (size_t s = 0; s < in.samples.size(); ++s) {
        const int label = in.samples[s].label;
        if (label < -1 || label >= num_outputs)
            throw InputError("bad spike file " + path + ": label " + std::to_string(label) +
                                 " of sample " + std::to_string(s) + " is outside the network's " +
                                 std::to_string(num_outputs) + " outputs (range -1 .. " +
                                 std::to_string(num_outputs - 1) + ", -1 means unknown)",
                             path, "give labels as output indices, or -1 where unknown");
    }
}

void write_spike_file(const std::string& path, const SpikeInput& in) {
    if (in.num_inputs < 1)
        throw InputError(
            "cannot write a spike file with num_inputs = " + std::to_string(in.num_inputs), path,
            "set SpikeInput::num_inputs to the size of the input population");
    size_t steps = 1;
    for (const auto& s : in.samples) steps = std::max(steps, s.steps.size());
    std::vector<int32_t> events;
    std::vector<int32_t> labels;
    bool any_label = false;
    for (size_t s = 0; s < in.samples.size(); ++s) {
        const SampleInput& sample = in.samples[s];
        labels.push_back(sample.label);
        any_label = any_label || sample.label >= 0;
        for (size_t t = 0; t < sample.steps.size(); ++t) {
            std::vector<int32_t> idx = sample.steps[t];
            std::sort(idx.begin(), idx.end());
            for (size_t k = 0; k < idx.size(); ++k) {
                const int32_t j = idx[k];
                if (j < 0 || j >= in.num_inputs || (k > 0 && idx[k - 1] == j))
                    throw InputError(
                        "sample " + std::to_string(s) + ", step " + std::to_string(t) +
                            " has input index " + std::to_string(j) +
                            (j < 0 || j >= in.num_inputs
                                 ? " outside [0, " + std::to_string(in.num_inputs) + ")"
                                 : " twice"),
                        path, "every input may spike at most once per step");
                events.push_back(int32_t(s));
                events.push_back(int32_t(t));
                events.push_back(j);
            }
        }
    }
    std::map<std::string, Tensor> arrays;
    arrays["events"] = Tensor::from<int32_t>(events, {int64_t(events.size() / 3), 3});
    arrays["shape"] = Tensor::from<int64_t>({int64_t(in.samples.size()), int64_t(steps)}, {2});
    arrays["num_inputs"] = Tensor::from<int64_t>({int64_t(in.num_inputs)}, {});
    if (any_label) arrays["labels"] = Tensor::from<int32_t>(labels, {int64_t(labels.size())});
    write_npz(path, arrays);
}

}  // namespace sf
