// sf_encoder: a core's spike queue and spike encoder (docs/microarchitecture.md section 4.4).
// The update unit appends the neurons fired in this step in ascending order. In the ROUTE
// phase the encoder handles one routing entry per cycle: entry k of the head neuron i is
// read from the routing table (asynchronously) and pushed into the router's L input FIFO
// if it has room (one `packets`), else the encoder retries next cycle. After the last entry
// the neuron is popped; a neuron with no entries is popped in one cycle.
module sf_encoder #(
  parameter int NumNeurons = 256,
  parameter int Fanout     = 4,
  localparam int NIdxW  = (NumNeurons > 1) ? $clog2(NumNeurons) : 1,
  localparam int FIdxW  = (Fanout > 1) ? $clog2(Fanout) : 1,
  localparam int RCntW  = $clog2(Fanout + 1),
  localparam int RAddrW = (NumNeurons * Fanout > 1) ? $clog2(NumNeurons * Fanout) : 1
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      push_i,        // a neuron fired (update stage 2)
  input  logic [NIdxW-1:0]          push_idx_i,
  input  logic                      active_i,      // ROUTE phase
  // Routing table and entry counts (combinational reads).
  output logic [NIdxW-1:0]          cnt_raddr_o,
  input  logic [RCntW-1:0]          cnt_rdata_i,
  output logic [RAddrW-1:0]         rt_raddr_o,
  input  logic [sf_pkg::FLIT_W-1:0] rt_rdata_i,
  // Router L input.
  output logic                      flit_valid_o,
  output logic [sf_pkg::FLIT_W-1:0] flit_o,
  input  logic                      l_ready_i,
  output logic                      work_o,
  output logic                      empty_o
);

  logic             sq_pop, sq_full, sq_empty;
  logic [NIdxW-1:0] sq_head;
  logic [$clog2(NumNeurons + 1)-1:0] sq_count;
  logic [FIdxW-1:0] k_q, k_d;

  sf_fifo #(
    .Width (NIdxW),
    .Depth (NumNeurons)
  ) u_spike_queue (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .push_i  (push_i),
    .wdata_i (push_idx_i),
    .pop_i   (sq_pop),
    .head_o  (sq_head),
    .count_o (sq_count),
    .full_o  (sq_full),
    .empty_o (sq_empty)
  );

  assign cnt_raddr_o = sq_head;
  assign rt_raddr_o  = RAddrW'(32'(sq_head) * Fanout + 32'(k_q));
  assign flit_o      = rt_rdata_i;

  always_comb begin
    sq_pop       = 1'b0;
    k_d          = k_q;
    flit_valid_o = 1'b0;
    if (active_i && !sq_empty) begin
      if (cnt_rdata_i == '0) begin
        sq_pop = 1'b1;
        k_d    = '0;
      end else if (l_ready_i) begin
        flit_valid_o = 1'b1;
        if (32'(k_q) + 1 >= 32'(cnt_rdata_i)) begin
          sq_pop = 1'b1;
          k_d    = '0;
        end else begin
          k_d = k_q + 1'b1;
        end
      end
    end
  end

  // Work: an entry sent or a neuron without entries dropped; a stalled cycle is not busy.
  assign work_o  = active_i && !sq_empty && ((cnt_rdata_i == '0) || l_ready_i);
  assign empty_o = sq_empty;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      k_q <= '0;
    end else begin
      k_q <= k_d;
    end
  end

  // Assertions
`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_no_overflow : assert (!(push_i && sq_full))
        else $error("sf_encoder: spike queue overflow");
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_count_range : assert (32'(sq_count) <= NumNeurons);
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_entries_range : assert (sq_empty || !active_i || (32'(cnt_rdata_i) <= Fanout));
    end
  end
`endif

endmodule
