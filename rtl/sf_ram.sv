// sf_ram: behavioural single-clock SRAM, one write port with a bit mask and one read port
// whose data appears in the next cycle (read in cycle k, data in cycle k+1, held until the
// next read). Yosys keeps it as one memory cell. Used for the crossbar, the plastic mask and
// the neuron state. The cells have no reset; in simulation a word not written since reset
// reads as zero, because the models zero their memories at reset (microarchitecture.md
// section 6; a silicon chip would clear them through the configuration port).
module sf_ram #(
  parameter int Width = 128,
  parameter int Depth = 1024,
  localparam int AddrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic [Width-1:0] wmask_i,
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [Width-1:0] rdata_o
);

  logic [Width-1:0] mem_q [Depth];
  logic [Width-1:0] rdata_q;
  logic [Width-1:0] wold, rcur;

`ifndef SYNTHESIS
  // Simulation only: which words were written since reset.
  logic [Depth-1:0] written_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      written_q <= '0;
    end else if (we_i) begin
      written_q[waddr_i] <= 1'b1;
    end
  end
  assign wold = written_q[waddr_i] ? mem_q[waddr_i] : '0;
  assign rcur = written_q[raddr_i] ? mem_q[raddr_i] : '0;
`else
  logic unused_rst;
  assign unused_rst = rst_ni;
  assign wold = mem_q[waddr_i];
  assign rcur = mem_q[raddr_i];
`endif

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= (wold & ~wmask_i) | (wdata_i & wmask_i);
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_q <= rcur;
    end
  end

  assign rdata_o = rdata_q;

  // Assertions
`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    a_waddr_range : assert (!we_i || (32'(waddr_i) < Depth));
  end
  always @(posedge clk_i) begin
    a_raddr_range : assert (!re_i || (32'(raddr_i) < Depth));
  end
`endif

endmodule
