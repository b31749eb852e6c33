// sf_tile: one tile of the mesh, a router and a core (docs/microarchitecture.md section 1).
// The router's L output feeds the core's event queue and the core's encoder feeds the
// router's L input. The tile answers the COUNTERS and ROUTER debug memories; the core
// answers the others.
//
// Clock gating (docs/microarchitecture.md section 13): the router and the core each run on
// a gated copy of the clock that ticks only in cycles in which one of their registers can
// change, and a configuration request is captured on the falling edge by the tile's port
// register. Nothing a model can observe depends on it: cycles, results and counters are
// those of an ungated chip. It saves power on a chip and time in a simulator, where an idle
// tile then costs nothing.
module sf_tile #(
  parameter int NumNeurons    = 256,
  parameter int NumAxons      = 1024,
  parameter int WordSyn       = 16,
  parameter int WeightBits    = 8,
  parameter int NumProfiles   = 4,
  parameter int Fanout        = 4,
  parameter int StateBits     = 24,
  parameter int ThresholdBits = 17,
  parameter int BiasMantBits  = 13,
  parameter int BiasExpMax    = 7,
  parameter int RefrBits      = 4,
  parameter int TraceBits     = 8,
  parameter int Learning      = 1,
  parameter int FifoDepth     = 4,
  localparam int FW = sf_pkg::FLIT_W,
  localparam int NP = sf_pkg::NUM_PORTS
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // The tile's coordinates, tied to constants by sf_chip. They are ports, not parameters,
  // so that every tile is the same module (Verilator then compiles one tile, not W * H).
  input  logic [7:0]        tile_x_i,
  input  logic [7:0]        tile_y_i,
  input  logic [2:0]        phase_i,
  input  logic [1:0]        age_i,
  input  logic              last_i,
  // Router ports N, E, S, W (router ports 1..4).
  input  logic [3:0]        in_valid_i,
  input  logic [4*FW-1:0]   in_flit_i,
  output logic [3:0]        in_full_o,
  output logic [3:0]        out_valid_o,
  output logic [4*FW-1:0]   out_flit_o,
  input  logic [3:0]        out_ready_i,
  // Configuration and debug port (decoded for this tile).
  input  logic              cfg_we_i,
  input  logic              cfg_re_i,
  input  logic [3:0]        cfg_mem_i,
  input  logic [31:0]       cfg_addr_i,
  input  logic [7:0]        cfg_chunk_i,
  input  logic [63:0]       cfg_wdata_i,
  output logic [63:0]       cfg_rdata_o,
  output logic              idle_o
);

  logic [NP-1:0]    r_in_valid, r_in_full, r_out_valid, r_out_ready;
  logic [NP*FW-1:0] r_in_flit, r_out_flit, r_dbg_head;
  logic [NP*16-1:0] r_dbg_count;
  logic [9*64-1:0]  r_cnt;
  logic             r_idle;
  logic             core_flit_valid, core_ev_full, core_idle;
  logic [FW-1:0]    core_flit;
  logic [63:0]      core_rdata;
  logic [sf_pkg::NUM_CORE_CNT*64-1:0] core_cnt;

  // ---------------------------------------------------------------------------------------
  // Configuration port register: the request of this cycle (the host drives the port while
  // the clock is high) is captured on the falling edge, and the router and core act on it
  // at the next rising edge, as if they had sampled the port there. Its clock ticks in a
  // cycle with a request and in the one after (to clear it), and in reset.
  // ---------------------------------------------------------------------------------------
  logic        cfg_sel, cfg_sel_q, cap_en, cap_clk;
  logic        t_we_q, t_re_q;
  logic [3:0]  t_mem_q;
  logic [31:0] t_addr_q;
  logic [7:0]  t_chunk_q;
  logic [63:0] t_wdata_q;

  assign cfg_sel = cfg_we_i || cfg_re_i;
  assign cap_en  = !rst_ni || cfg_sel || cfg_sel_q;
  assign cap_clk = !clk_i && cap_en;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cfg_sel_q <= 1'b0;
    end else begin
      cfg_sel_q <= cfg_sel;
    end
  end

  always_ff @(posedge cap_clk) begin
    if (!rst_ni) begin
      t_we_q    <= 1'b0;
      t_re_q    <= 1'b0;
      t_mem_q   <= '0;
      t_addr_q  <= '0;
      t_chunk_q <= '0;
      t_wdata_q <= '0;
    end else begin
      t_we_q    <= cfg_we_i;
      t_re_q    <= cfg_re_i;
      t_mem_q   <= cfg_mem_i;
      t_addr_q  <= cfg_addr_i;
      t_chunk_q <= cfg_chunk_i;
      t_wdata_q <= cfg_wdata_i;
    end
  end

  // ---------------------------------------------------------------------------------------
  // Clock gates (sf_clk_gate: the enable is sampled on the falling edge). The router can
  // change only when a FIFO holds a flit or a flit arrives, and in CLEAR's first cycle (its
  // round-robin pointers go back to their reset value); the core only when it is not idle (section 7's idle,
  // which covers its integrate engine, passes, pipeline stages and, in ROUTE, its encoder),
  // an event arrives, COMPUTE or CLEAR begins, or the host addresses the tile.
  // ---------------------------------------------------------------------------------------
  logic r_en, r_clk;
  logic c_en, c_clk;
  logic c_start, r_clear;

  assign c_start = ((phase_i == sf_pkg::PH_COMPUTE) || (phase_i == sf_pkg::PH_CLEAR)) &&
                   (age_i == 2'd0);
  assign r_clear = (phase_i == sf_pkg::PH_CLEAR) && (age_i == 2'd0);
  assign r_en    = !rst_ni || !r_idle || (|r_in_valid) || r_clear;
  assign c_en    = !rst_ni || !core_idle || r_out_valid[sf_pkg::PORT_L] || c_start || cfg_sel;

  sf_clk_gate u_r_gate (
    .clk_i (clk_i),
    .en_i  (r_en),
    .clk_o (r_clk)
  );

  sf_clk_gate u_c_gate (
    .clk_i (clk_i),
    .en_i  (c_en),
    .clk_o (c_clk)
  );

  assign r_in_valid  = {in_valid_i, core_flit_valid};
  assign r_in_flit   = {in_flit_i, core_flit};
  assign r_out_ready = {out_ready_i, !core_ev_full};
  assign in_full_o   = r_in_full[NP-1:1];
  assign out_valid_o = r_out_valid[NP-1:1];
  assign out_flit_o  = r_out_flit[NP*FW-1:FW];

  sf_router #(
    .FifoDepth (FifoDepth)
  ) u_router (
    .clk_i       (r_clk),
    .rst_ni      (rst_ni),
    .clear_i     (r_clear),
    .tile_x_i    (tile_x_i),
    .tile_y_i    (tile_y_i),
    .in_valid_i  (r_in_valid),
    .in_flit_i   (r_in_flit),
    .in_full_o   (r_in_full),
    .out_valid_o (r_out_valid),
    .out_flit_o  (r_out_flit),
    .out_ready_i (r_out_ready),
    .dbg_count_o (r_dbg_count),
    .dbg_head_o  (r_dbg_head),
    .cnt_o       (r_cnt),
    .idle_o      (r_idle)
  );

  sf_core #(
    .NumNeurons    (NumNeurons),
    .NumAxons      (NumAxons),
    .WordSyn       (WordSyn),
    .WeightBits    (WeightBits),
    .NumProfiles   (NumProfiles),
    .Fanout        (Fanout),
    .StateBits     (StateBits),
    .ThresholdBits (ThresholdBits),
    .BiasMantBits  (BiasMantBits),
    .BiasExpMax    (BiasExpMax),
    .RefrBits      (RefrBits),
    .TraceBits     (TraceBits),
    .Learning      (Learning),
    .FifoDepth     (FifoDepth)
  ) u_core (
    .clk_i        (c_clk),
    .rst_ni       (rst_ni),
    .phase_i      (phase_i),
    .age_i        (age_i),
    .last_i       (last_i),
    .ev_push_i    (r_out_valid[sf_pkg::PORT_L]),
    .ev_flit_i    (r_out_flit[0 +: FW]),
    .ev_full_o    (core_ev_full),
    .flit_valid_o (core_flit_valid),
    .flit_o       (core_flit),
    .l_ready_i    (!r_in_full[sf_pkg::PORT_L]),
    .cfg_we_i     (t_we_q),
    .cfg_re_i     (t_re_q),
    .cfg_mem_i    (t_mem_q),
    .cfg_addr_i   (t_addr_q),
    .cfg_chunk_i  (t_chunk_q),
    .cfg_wdata_i  (t_wdata_q),
    .cfg_rdata_o  (core_rdata),
    .cnt_o        (core_cnt),
    .idle_o       (core_idle)
  );

  // Tile counters in the order of the COUNTERS memory.
  logic [sf_pkg::NUM_TILE_CNT*64-1:0] tile_cnt;
  assign tile_cnt = {core_cnt[8*64 +: 64],  // 17 state wraps
                     r_cnt[8*64 +: 64],   // 16 flits to L
                     r_cnt[4*64 +: 256],  // 12..15 sent N, E, S, W
                     r_cnt[3*64 +: 64],   // 11 max occupancy
                     r_cnt[2*64 +: 64],   // 10 stall cycles
                     core_cnt[7*64 +: 64],  // 9 busy cycles
                     core_cnt[6*64 +: 64],  // 8 learn_updates
                     r_cnt[1*64 +: 64],   // 7 hops_ns
                     r_cnt[0*64 +: 64],   // 6 hops_ew
                     core_cnt[0 +: 6*64]};  // 0..5

  logic        rd_tile_q, rd_tile_d;
  logic [63:0] rd_val_q, rd_val_d;

  always_comb begin
    rd_tile_d = rd_tile_q;
    rd_val_d  = rd_val_q;
    if (t_re_q) begin
      rd_tile_d = (t_mem_q == sf_pkg::MEM_COUNTERS) || (t_mem_q == sf_pkg::MEM_ROUTER);
      rd_val_d  = '0;
      if ((t_mem_q == sf_pkg::MEM_COUNTERS) && (t_addr_q < 32'(sf_pkg::NUM_TILE_CNT))) begin
        rd_val_d = tile_cnt[t_addr_q*64 +: 64];
      end else if ((t_mem_q == sf_pkg::MEM_ROUTER) && (t_addr_q < 32'(NP))) begin
        rd_val_d = {15'd0, r_dbg_head[t_addr_q*FW +: FW], r_dbg_count[t_addr_q*16 +: 16]};
      end
    end
  end

  assign cfg_rdata_o = rd_tile_q ? rd_val_q : core_rdata;
  assign idle_o      = r_idle && core_idle;

  always_ff @(posedge c_clk) begin
    if (!rst_ni) begin
      rd_tile_q <= 1'b0;
      rd_val_q  <= '0;
    end else begin
      rd_tile_q <= rd_tile_d;
      rd_val_q  <= rd_val_d;
    end
  end

endmodule
