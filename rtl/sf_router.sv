// sf_router: the 5-port mesh router of docs/microarchitecture.md section 3. Ports in the
// fixed order 0 L, 1 N, 2 E, 3 S, 4 W; an input FIFO of depth FifoDepth per port. Every
// cycle each non-empty input requests the output its head flit routes to (XY routing,
// host-bound flits go to tile (0, 0) and then west), and each output whose consumer is
// ready grants the first requesting input in round-robin order after its last grant. The
// granted flit is popped and pushed into the consumer in the same cycle. There are no link
// registers: a flit is always in exactly one FIFO. clear_i (the first cycle of CLEAR) puts
// the round-robin pointers back to their reset value, so that no sample's arbitration
// depends on the samples before it.
module sf_router #(
  parameter int FifoDepth = 4,
  localparam int NP     = sf_pkg::NUM_PORTS,
  localparam int FW     = sf_pkg::FLIT_W,
  localparam int CountW = $clog2(FifoDepth + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // The first cycle of a CLEAR phase (no flit moves in CLEAR).
  input  logic               clear_i,
  // This tile's coordinates (constants tied at the instance: every tile shares one router).
  input  logic [7:0]         tile_x_i,
  input  logic [7:0]         tile_y_i,
  // Input FIFOs: a producer pushes only while the FIFO is not full.
  input  logic [NP-1:0]      in_valid_i,
  input  logic [NP*FW-1:0]   in_flit_i,
  output logic [NP-1:0]      in_full_o,
  // Outputs: out_valid_o is a push into the consumer, made only when out_ready_i is 1.
  output logic [NP-1:0]      out_valid_o,
  output logic [NP*FW-1:0]   out_flit_o,
  input  logic [NP-1:0]      out_ready_i,
  // Debug (ROUTER memory): input FIFO counts and head flits.
  output logic [NP*16-1:0]   dbg_count_o,
  output logic [NP*FW-1:0]   dbg_head_o,
  // Counters: hops_ew, hops_ns, stall cycles, max occupancy, sent N, E, S, W, to L.
  output logic [9*64-1:0]    cnt_o,
  output logic               idle_o
);

  logic [NP-1:0]        fifo_pop, fifo_full, fifo_empty;
  logic [NP*FW-1:0]     fifo_head;
  logic [NP*CountW-1:0] fifo_count;

  for (genvar p = 0; p < NP; p++) begin : g_port
    sf_fifo #(
      .Width (FW),
      .Depth (FifoDepth)
    ) u_fifo (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .push_i  (in_valid_i[p]),
      .wdata_i (in_flit_i[p*FW +: FW]),
      .pop_i   (fifo_pop[p]),
      .head_o  (fifo_head[p*FW +: FW]),
      .count_o (fifo_count[p*CountW +: CountW]),
      .full_o  (fifo_full[p]),
      .empty_o (fifo_empty[p])
    );
    assign dbg_count_o[p*16 +: 16] = 16'(fifo_count[p*CountW +: CountW]);
  end

  assign in_full_o  = fifo_full;
  assign dbg_head_o = fifo_head;

  // Route computation: the output port each input's head flit requests (one-hot).
  logic [NP*NP-1:0] req;  // req[i*NP + o]: input i requests output o

  always_comb begin
    req = '0;
    for (int i = 0; i < NP; i++) begin
      logic [FW-1:0] f;
      logic [7:0]    tx, ty;
      int            o;
      f  = fifo_head[i*FW +: FW];
      tx = f[sf_pkg::FLIT_HOST] ? 8'd0 : f[sf_pkg::FLIT_X_LSB +: 8];
      ty = f[sf_pkg::FLIT_HOST] ? 8'd0 : f[sf_pkg::FLIT_Y_LSB +: 8];
      if (tx > tile_x_i) begin
        o = sf_pkg::PORT_E;
      end else if (tx < tile_x_i) begin
        o = sf_pkg::PORT_W;
      end else if (ty > tile_y_i) begin
        o = sf_pkg::PORT_S;
      end else if (ty < tile_y_i) begin
        o = sf_pkg::PORT_N;
      end else if (f[sf_pkg::FLIT_HOST]) begin
        o = sf_pkg::PORT_W;
      end else begin
        o = sf_pkg::PORT_L;
      end
      if (!fifo_empty[i]) begin
        req[i*NP + o] = 1'b1;
      end
    end
  end

  // Round-robin arbitration per output.
  logic [NP*3-1:0]  last_q, last_d;
  logic [NP*NP-1:0] gnt;  // gnt[o*NP + i]: output o grants input i

  // An output without a requesting input (most of them in most cycles) skips the search,
  // which changes nothing but lets a simulator skip it too.
  always_comb begin
    gnt    = '0;
    last_d = last_q;
    for (int o = 0; o < NP; o++) begin
      logic [NP-1:0] r;
      logic          found;
      int            c;  // a candidate input
      for (int i = 0; i < NP; i++) begin
        r[i] = req[i*NP + o];
      end
      found = 1'b0;
      c     = 0;
      if (out_ready_i[o] && (r != '0)) begin
        for (int k = 1; k <= NP; k++) begin
          c = (32'(last_q[o*3 +: 3]) + k) % NP;
          if (!found && r[c]) begin
            found = 1'b1;
            gnt[o*NP + c] = 1'b1;
            last_d[o*3 +: 3] = 3'(c);
          end
        end
      end
    end
  end

  always_comb begin
    fifo_pop    = '0;
    out_valid_o = '0;
    out_flit_o  = '0;
    if (gnt != '0) begin
      for (int o = 0; o < NP; o++) begin
        for (int i = 0; i < NP; i++) begin
          if (gnt[o*NP + i]) begin
            fifo_pop[i]    = 1'b1;
            out_valid_o[o] = 1'b1;
            out_flit_o[o*FW +: FW] = fifo_head[i*FW +: FW];
          end
        end
      end
    end
  end

  // Counters.
  logic [63:0] c_ew_q, c_ew_d, c_ns_q, c_ns_d, c_stall_q, c_stall_d, c_max_q, c_max_d;
  logic [4*64-1:0] c_sent_q, c_sent_d;
  logic [63:0] c_l_q, c_l_d;

  always_comb begin
    logic [CountW-1:0] occ;
    occ = '0;
    for (int p = 0; p < NP; p++) begin
      if (fifo_count[p*CountW +: CountW] > occ) begin
        occ = fifo_count[p*CountW +: CountW];
      end
    end
    c_ew_d    = c_ew_q + 64'(out_valid_o[sf_pkg::PORT_E]) + 64'(out_valid_o[sf_pkg::PORT_W]);
    c_ns_d    = c_ns_q + 64'(out_valid_o[sf_pkg::PORT_N]) + 64'(out_valid_o[sf_pkg::PORT_S]);
    c_stall_d = c_stall_q + 64'((~fifo_empty & ~fifo_pop) != '0);
    c_max_d   = (64'(occ) > c_max_q) ? 64'(occ) : c_max_q;
    c_l_d     = c_l_q + 64'(out_valid_o[sf_pkg::PORT_L]);
    for (int d = 0; d < 4; d++) begin
      c_sent_d[d*64 +: 64] = c_sent_q[d*64 +: 64] + 64'(out_valid_o[sf_pkg::PORT_N + d]);
    end
  end

  assign cnt_o  = {c_l_q, c_sent_q, c_max_q, c_stall_q, c_ns_q, c_ew_q};
  assign idle_o = &fifo_empty;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      last_q    <= {NP{3'(NP - 1)}};
      c_ew_q    <= '0;
      c_ns_q    <= '0;
      c_stall_q <= '0;
      c_max_q   <= '0;
      c_sent_q  <= '0;
      c_l_q     <= '0;
    end else begin
      last_q    <= clear_i ? {NP{3'(NP - 1)}} : last_d;
      c_ew_q    <= c_ew_d;
      c_ns_q    <= c_ns_d;
      c_stall_q <= c_stall_d;
      c_max_q   <= c_max_d;
      c_sent_q  <= c_sent_d;
      c_l_q     <= c_l_d;
    end
  end

  // Assertions
`ifndef SYNTHESIS
  for (genvar o = 0; o < NP; o++) begin : g_assert_out
    always @(posedge clk_i) begin
      if (rst_ni) begin
        a_gnt_onehot : assert ($onehot0(gnt[o*NP +: NP]))
          else $error("sf_router (%0d, %0d): output %0d grants two inputs", tile_x_i, tile_y_i, o);
      end
    end
    always @(posedge clk_i) begin
      if (rst_ni) begin
        a_gnt_ready : assert (!out_valid_o[o] || out_ready_i[o])
          else $error("sf_router (%0d, %0d): output %0d sends to a full consumer", tile_x_i, tile_y_i, o);
      end
    end
  end
  for (genvar i = 0; i < NP; i++) begin : g_assert_in
    always @(posedge clk_i) begin
      if (rst_ni) begin
        a_req_onehot : assert ($onehot0(req[i*NP +: NP]));
      end
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_outputs_known : assert (!$isunknown(out_valid_o) && !$isunknown(idle_o));
    end
  end
`endif

endmodule
