// sf_regfile: a small memory with a combinational read port and one write port (a latch-
// or flop-based register file in silicon). Used for per-neuron and per-axon values that a
// pass reads and writes back in the same cycle: accumulators, traces, pre/post bits,
// neuron configuration and the routing table. The cells have no reset; in simulation an
// entry not written since reset reads as zero (see sf_ram). CLEAR zeroes per-sample state.
module sf_regfile #(
  parameter int Width = 8,
  parameter int Depth = 256,
  localparam int AddrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
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

`ifndef SYNTHESIS
  // Simulation only: which entries were written since reset.
  logic [Depth-1:0] written_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      written_q <= '0;
    end else if (we_i) begin
      written_q[waddr_i] <= 1'b1;
    end
  end
  assign rdata_o = written_q[raddr_i] ? mem_q[raddr_i] : '0;
`else
  logic unused_rst;
  assign unused_rst = rst_ni;
  assign rdata_o = mem_q[raddr_i];
`endif

  // Assertions
`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    a_waddr_range : assert (!we_i || (32'(waddr_i) < Depth));
  end
`endif

endmodule
