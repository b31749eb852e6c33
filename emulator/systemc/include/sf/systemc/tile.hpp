// One tile of the mesh (docs/microarchitecture.md §1): a router and a core, both clocked
// by the tile's clk_i / rst_ni. Structural only: the core's spike encoder pushes into the
// router's L input and the router's L output pushes into the core's event queue; the
// chip wires the four mesh directions when it is built for a mesh size.
#pragma once

#include "sf/systemc/core.hpp"
#include "sf/systemc/router.hpp"

namespace sf::sc {

class Tile : public sc_core::sc_module {
  public:
    sc_core::sc_in<bool> clk_i;
    sc_core::sc_in<bool> rst_ni;

    explicit Tile(sc_core::sc_module_name name)
        : sc_core::sc_module(name), clk_i("clk_i"), rst_ni("rst_ni"), router("router"), core("core") {
        router.clk_i(clk_i);
        router.rst_ni(rst_ni);
        core.clk_i(clk_i);
        core.rst_ni(rst_ni);
    }

    Router router;
    Core core;
};

}  // namespace sf::sc
