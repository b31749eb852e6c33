// sf_ram: behavioural single-clock SRAM, one write port with a bit mask and one read port
// whose data appears in the next cycle (read in cycle k, data in cycle k+1, held until the
// next read). Yosys keeps it as one memory cell. Used for the crossbar, the plastic mask and
// the neuron state. No reset: contents start at zero in simulation (Verilator
// --x-initial 0); the image is loaded through the configuration port.
module sf_ram #(
  parameter int Width = 128,
  parameter int Depth = 1024,
  localparam int AddrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
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

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= (mem_q[waddr_i] & ~wmask_i) | (wdata_i & wmask_i);
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_q <= mem_q[raddr_i];
    end
  end

  assign rdata_o = rdata_q;

  // Assertions
`ifndef SYNTHESIS
  a_waddr_range : assert property (@(posedge clk_i) !we_i || (32'(waddr_i) < Depth));
  a_raddr_range : assert property (@(posedge clk_i) !re_i || (32'(raddr_i) < Depth));
`endif

endmodule
