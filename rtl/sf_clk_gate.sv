// sf_clk_gate: a clock gate (docs/microarchitecture.md section 13), what a latch-based
// clock-gate cell does, written with a flip-flop: the enable is sampled on the falling edge,
// so it is stable while the clock is high, and clk_o = clk_i && enable. The gated registers
// take the rising edge that ends a cycle only when en_i was 1 in that cycle.
module sf_clk_gate (
  input  logic clk_i,
  input  logic en_i,
  output logic clk_o
);

  logic en_n;

  always_ff @(negedge clk_i) begin
    en_n <= en_i;
  end

  assign clk_o = clk_i && en_n;

endmodule
