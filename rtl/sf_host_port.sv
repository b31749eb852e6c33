// sf_host_port: the chip's link to the off-chip host (docs/microarchitecture.md section 5).
// Input stream: in_ready_o = INTEG phase and fewer than start_count flits received and the
// inject FIFO (depth HostDepth) not full. Injection: each cycle the inject FIFO's head moves
// into tile (0, 0)'s W input FIFO when it has room (one `packets`, one `hops_ew`). Output:
// a flit that tile (0, 0) sends west is registered and shown for one cycle, the next.
module sf_host_port #(
  parameter int HostDepth = 16,
  localparam int FW = sf_pkg::FLIT_W
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic [2:0]    phase_i,
  input  logic          start_i,          // a start accepted by the controller (PAUSE)
  input  logic [31:0]   start_count_i,
  // Input stream from the host.
  input  logic          in_valid_i,
  input  logic [FW-1:0] in_flit_i,
  output logic          in_ready_o,
  // Into tile (0, 0)'s W input FIFO.
  output logic          inj_valid_o,
  output logic [FW-1:0] inj_flit_o,
  input  logic          inj_full_i,
  // From tile (0, 0)'s W output.
  input  logic          out_push_i,
  input  logic [FW-1:0] out_flit_i,
  output logic          out_valid_o,
  output logic [15:0]   out_index_o,
  // Counters: packets (injections), hops_ew (host link, both ways), flits to the host.
  output logic [3*64-1:0] cnt_o,
  output logic          idle_o
);

  logic [31:0] count_q, count_d, recv_q, recv_d;
  logic        fifo_push, fifo_full, fifo_empty;
  logic [$clog2(HostDepth + 1)-1:0] fifo_count;
  logic        out_valid_q;
  logic [15:0] out_index_q;
  logic [63:0] c_pkt_q, c_pkt_d, c_ew_q, c_ew_d, c_host_q, c_host_d;

  sf_fifo #(
    .Width (FW),
    .Depth (HostDepth)
  ) u_inject (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .push_i  (fifo_push),
    .wdata_i (in_flit_i),
    .pop_i   (inj_valid_o),
    .head_o  (inj_flit_o),
    .count_o (fifo_count),
    .full_o  (fifo_full),
    .empty_o (fifo_empty)
  );

  assign in_ready_o  = (phase_i == sf_pkg::PH_INTEG) && (recv_q < count_q) && !fifo_full;
  assign fifo_push   = in_valid_i && in_ready_o;
  assign inj_valid_o = !fifo_empty && !inj_full_i;

  always_comb begin
    count_d  = count_q;
    recv_d   = recv_q;
    if (start_i) begin
      count_d = start_count_i;
      recv_d  = '0;
    end else if (fifo_push) begin
      recv_d = recv_q + 1'b1;
    end
    c_pkt_d  = c_pkt_q + 64'(inj_valid_o);
    c_ew_d   = c_ew_q + 64'(inj_valid_o) + 64'(out_push_i);
    c_host_d = c_host_q + 64'(out_push_i);
  end

  assign out_valid_o = out_valid_q;
  assign out_index_o = out_index_q;
  assign cnt_o       = {c_host_q, c_ew_q, c_pkt_q};
  assign idle_o      = (recv_q == count_q) && fifo_empty;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      count_q     <= '0;
      recv_q      <= '0;
      out_valid_q <= 1'b0;
      out_index_q <= '0;
      c_pkt_q     <= '0;
      c_ew_q      <= '0;
      c_host_q    <= '0;
    end else begin
      count_q     <= count_d;
      recv_q      <= recv_d;
      out_valid_q <= out_push_i;
      out_index_q <= out_push_i ? out_flit_i[15:0] : out_index_q;
      c_pkt_q     <= c_pkt_d;
      c_ew_q      <= c_ew_d;
      c_host_q    <= c_host_d;
    end
  end

  // Assertions
`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_out_is_host : assert (!out_push_i || out_flit_i[sf_pkg::FLIT_HOST])
        else $error("sf_host_port: a flit for a core left the mesh to the host");
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_recv_le_count : assert (recv_q <= count_q);
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_fifo_count : assert (32'(fifo_count) <= HostDepth);
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_outputs_known : assert (!$isunknown(in_ready_o) && !$isunknown(out_valid_o));
    end
  end
`endif

endmodule
