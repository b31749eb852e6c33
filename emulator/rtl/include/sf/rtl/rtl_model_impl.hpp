// ChipModel for one Verilated sf_chip class V (Verilator's SystemC output). Included by the
// backend for the prebuilt presets and by the wrapper of every cached model library
// (rtl_cache.cpp writes it), so both paths bind and trace the chip the same way.
#pragma once

#include <memory>

#include "sf/rtl/rtl_model.hpp"
#include "verilated.h"
#include "verilated_fst_sc.h"

namespace sf::rtl {

template <class V>
class VerilatedChip final : public ChipModel {
public:
    VerilatedChip(const char* name, harness::ChipSignals& sig) : model_(new V(name)) {
        harness::bind(*model_, sig);
    }
    // The model is never destroyed (rtl_backend.cpp: Verilator's context goes away first).
    ~VerilatedChip() override { (void)model_.release(); }

    void trace_open(const std::string& path,
                    const std::vector<std::pair<int, std::string>>& scopes) override {
        trace_ = std::make_unique<VerilatedFstSc>();
        model_->trace(trace_.get(), 99);
        for (const auto& s : scopes) trace_->dumpvars(s.first, s.second);
        trace_->open(path.c_str());
    }
    void trace_close() override {
        if (!trace_) return;
        trace_->close();
        trace_.reset();
    }

private:
    std::unique_ptr<V> model_;
    std::unique_ptr<VerilatedFstSc> trace_;
};

}  // namespace sf::rtl
