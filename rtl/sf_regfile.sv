// sf_regfile: a small memory with a combinational read port and one write port (a latch-
// or flop-based register file in silicon). Used for per-neuron and per-axon values that a
// pass reads and writes back in the same cycle: accumulators, traces, pre/post bits,
// neuron configuration and the routing table. No reset; the CLEAR phase zeroes state.
module sf_regfile #(
  parameter int Width = 8,
  parameter int Depth = 256,
  localparam int AddrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [Width-1:0] rdata_o
);

  logic [Width-1:0] mem_q [Depth];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
  end

  assign rdata_o = mem_q[raddr_i];

  // Assertions
`ifndef SYNTHESIS
  a_waddr_range : assert property (@(posedge clk_i) !we_i || (32'(waddr_i) < Depth));
`endif

endmodule
