// sf_integrate: a core's event queue and integrate engine (docs/microarchitecture.md
// section 4.1). The router's L output pushes axon ids into the event queue (depth
// FifoDepth). Stage 1 reads crossbar word w of the head event's row each cycle and pops the
// event after its last word (R = ceil(n / S) words); stage 2, the next cycle, adds the word's
// lanes into the accumulators, counts one row read and the present synapses, and sets the
// axon's pre bit on a learning core. In discard mode (ROUTE phase of a `last` step), or
// with R = 0, events are popped one per cycle without reading.
module sf_integrate #(
  parameter int NumNeurons = 256,
  parameter int NumAxons   = 1024,
  parameter int WordSyn    = 16,
  parameter int WeightBits = 8,
  parameter int FifoDepth  = 4,
  localparam int WordsPerRow = (NumNeurons + WordSyn - 1) / WordSyn,
  localparam int WordW  = (WordsPerRow > 1) ? $clog2(WordsPerRow) : 1,
  localparam int WCntW  = $clog2(WordsPerRow + 1),
  localparam int AxonW  = (NumAxons > 1) ? $clog2(NumAxons) : 1,
  localparam int NCntW  = $clog2(NumNeurons + 1),
  localparam int XAddrW = (NumAxons * WordsPerRow > 1) ? $clog2(NumAxons * WordsPerRow) : 1,
  localparam int XbarW  = WordSyn * WeightBits,
  localparam int AccWordW = WordSyn * sf_pkg::ACC_W,
  localparam int OpsW   = $clog2(WordSyn + 1)
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // Event queue, pushed by the router's L output.
  input  logic                ev_push_i,
  input  logic [AxonW-1:0]    ev_axon_i,
  output logic                ev_full_o,
  // Core registers and mode.
  input  logic [NCntW-1:0]    n_i,
  input  logic [WCntW-1:0]    r_i,           // ceil(n / S)
  input  logic                learn_i,
  input  logic                discard_i,
  // Crossbar and plastic reads (data arrive in stage 2).
  output logic                xbar_re_o,
  output logic [XAddrW-1:0]   xbar_raddr_o,
  input  logic [XbarW-1:0]    xbar_rdata_i,
  input  logic [WordSyn-1:0]  plastic_rdata_i,
  // Accumulator word read-modify-write.
  output logic                acc_active_o,  // stage 2 owns the accumulator port this cycle
  output logic [WordW-1:0]    acc_addr_o,
  input  logic [AccWordW-1:0] acc_rdata_i,
  output logic [AccWordW-1:0] acc_wdata_o,
  // Pre bit of the row's axon.
  output logic                pre_set_o,
  output logic [AxonW-1:0]    pre_axon_o,
  // Counting and idle detection.
  output logic                row_read_o,
  output logic [OpsW-1:0]     syn_ops_o,
  output logic                work_o,
  output logic                idle_o
);

  logic              evq_pop;
  logic [AxonW-1:0]  evq_head;
  logic              evq_full, evq_empty;
  logic [$clog2(FifoDepth + 1)-1:0] evq_count;

  logic [WordW-1:0]  w_q, w_d;
  logic              s2_valid_q, s2_valid_d;
  logic [WordW-1:0]  s2_word_q, s2_word_d;
  logic [AxonW-1:0]  s2_axon_q, s2_axon_d;

  sf_fifo #(
    .Width (AxonW),
    .Depth (FifoDepth)
  ) u_evq (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .push_i  (ev_push_i),
    .wdata_i (ev_axon_i),
    .pop_i   (evq_pop),
    .head_o  (evq_head),
    .count_o (evq_count),
    .full_o  (evq_full),
    .empty_o (evq_empty)
  );

  // Stage 1: read one word of the head event's row.
  always_comb begin
    evq_pop      = 1'b0;
    w_d          = w_q;
    s2_valid_d   = 1'b0;
    s2_word_d    = s2_word_q;
    s2_axon_d    = s2_axon_q;
    xbar_re_o    = 1'b0;
    xbar_raddr_o = XAddrW'(32'(evq_head) * WordsPerRow + 32'(w_q));
    if (!evq_empty) begin
      if (discard_i || (r_i == '0)) begin
        evq_pop = 1'b1;
        w_d     = '0;
      end else begin
        xbar_re_o  = 1'b1;
        s2_valid_d = 1'b1;
        s2_word_d  = w_q;
        s2_axon_d  = evq_head;
        if (32'(w_q) + 1 == 32'(r_i)) begin
          evq_pop = 1'b1;
          w_d     = '0;
        end else begin
          w_d = w_q + 1'b1;
        end
      end
    end
  end

  // Stage 2: accumulate the word into the neurons w * S .. w * S + S - 1. The core uses
  // these outputs only while stage 2 holds a word (acc_active_o, row_read_o); in other
  // cycles they are the read word and 0, and a simulator skips the lanes.
  logic [WeightBits-1:0] wt;

  always_comb begin
    acc_wdata_o = acc_rdata_i;
    syn_ops_o   = '0;
    wt          = '0;
    if (s2_valid_q) begin
      for (int j = 0; j < WordSyn; j++) begin
        wt = xbar_rdata_i[j*WeightBits +: WeightBits];
        if (32'(s2_word_q) * WordSyn + j < 32'(n_i)) begin
          acc_wdata_o[j*sf_pkg::ACC_W +: sf_pkg::ACC_W] =
              acc_rdata_i[j*sf_pkg::ACC_W +: sf_pkg::ACC_W] + sf_pkg::ACC_W'($signed(wt));
          if ((wt != '0) || plastic_rdata_i[j]) begin
            syn_ops_o = syn_ops_o + 1'b1;
          end
        end
      end
    end
  end

  assign acc_active_o = s2_valid_q;
  assign acc_addr_o   = s2_word_q;
  assign pre_set_o    = s2_valid_q && learn_i;
  assign pre_axon_o   = s2_axon_q;
  assign row_read_o   = s2_valid_q;
  assign ev_full_o    = evq_full;
  // Work: a word read (stage 1) or accumulated (stage 2); popping unread events in discard
  // mode is not counted as busy.
  assign work_o       = xbar_re_o || s2_valid_q;
  assign idle_o       = evq_empty && !s2_valid_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      w_q        <= '0;
      s2_valid_q <= 1'b0;
      s2_word_q  <= '0;
      s2_axon_q  <= '0;
    end else begin
      w_q        <= w_d;
      s2_valid_q <= s2_valid_d;
      s2_word_q  <= s2_word_d;
      s2_axon_q  <= s2_axon_d;
    end
  end

  // Assertions
`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_axon_range : assert (!ev_push_i || (32'(ev_axon_i) < NumAxons));
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_evq_count : assert (32'(evq_count) <= FifoDepth);
    end
  end
`endif

endmodule
