// sf_chip: the spikeforge chip, a MeshW x MeshH mesh of tiles with the host port and the
// timestep controller (docs/microarchitecture.md). Its ports are the shared port-level
// interface of both cycle-level chips (emulator/harness/): clock and reset, start/clear and
// busy, the input-flit and output-spike streams, and the configuration/debug port.
// Every size comes from the chip YAML through the parameters below (Verilator -G).
module sf_chip #(
  parameter int MeshW         = 4,
  parameter int MeshH         = 4,
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
  parameter int RouterDepth   = 4,
  parameter int HostDepth     = 16,
  localparam int FW = sf_pkg::FLIT_W,
  localparam int NumTiles = MeshW * MeshH
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // Timestep control.
  input  logic        start_i,
  input  logic [31:0] start_count_i,
  input  logic        start_last_i,
  input  logic        clear_i,
  output logic        busy_o,
  // Input flits (bits 32:0 used).
  input  logic        in_valid_i,
  input  logic [63:0] in_flit_i,
  output logic        in_ready_o,
  // Output spikes.
  output logic        out_valid_o,
  output logic [15:0] out_index_o,
  // Configuration and debug port.
  input  logic        cfg_we_i,
  input  logic        cfg_re_i,
  input  logic [15:0] cfg_tile_i,
  input  logic [3:0]  cfg_mem_i,
  input  logic [31:0] cfg_addr_i,
  input  logic [7:0]  cfg_chunk_i,
  input  logic [63:0] cfg_wdata_i,
  output logic [63:0] cfg_rdata_o
);

  // ---------------------------------------------------------------------------------------
  // Controller and host port.
  // ---------------------------------------------------------------------------------------
  logic [2:0]      phase;
  logic [1:0]      age;
  logic            last, start_accept, all_idle, host_idle;
  logic [2*64-1:0] ctrl_cnt;
  logic [3*64-1:0] host_cnt;
  logic [NumTiles-1:0] tile_idle;

  assign all_idle = (&tile_idle) && host_idle;

  sf_ctrl u_ctrl (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .start_i      (start_i),
    .start_last_i (start_last_i),
    .clear_i      (clear_i),
    .all_idle_i   (all_idle),
    .phase_o      (phase),
    .age_o        (age),
    .last_o       (last),
    .start_o      (start_accept),
    .busy_o       (busy_o),
    .cnt_o        (ctrl_cnt)
  );

  logic          inj_valid, host_out_push;
  logic [FW-1:0] inj_flit, host_out_flit;
  logic          inj_full;

  sf_host_port #(
    .HostDepth (HostDepth)
  ) u_host (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .phase_i       (phase),
    .start_i       (start_accept),
    .start_count_i (start_count_i),
    .in_valid_i    (in_valid_i),
    .in_flit_i     (in_flit_i[FW-1:0]),
    .in_ready_o    (in_ready_o),
    .inj_valid_o   (inj_valid),
    .inj_flit_o    (inj_flit),
    .inj_full_i    (inj_full),
    .out_push_i    (host_out_push),
    .out_flit_i    (host_out_flit),
    .out_valid_o   (out_valid_o),
    .out_index_o   (out_index_o),
    .cnt_o         (host_cnt),
    .idle_o        (host_idle)
  );

  // ---------------------------------------------------------------------------------------
  // Mesh. Per tile, ports d = 0 N, 1 E, 2 S, 3 W (router ports 1..4).
  // ---------------------------------------------------------------------------------------
  // split_var: Verilator keeps each link a variable of its own, so a tile's clock updates
  // only the links it drives instead of the whole mesh's wires (section 13).
  logic [NumTiles*4-1:0]    m_in_valid /*verilator split_var*/;
  logic [NumTiles*4-1:0]    m_in_full /*verilator split_var*/;
  logic [NumTiles*4-1:0]    m_out_valid /*verilator split_var*/;
  logic [NumTiles*4-1:0]    m_out_ready /*verilator split_var*/;
  logic [NumTiles*4*FW-1:0] m_in_flit /*verilator split_var*/;
  logic [NumTiles*4*FW-1:0] m_out_flit /*verilator split_var*/;
  logic [NumTiles*64-1:0]   tile_rdata;

  for (genvar y = 0; y < MeshH; y++) begin : g_row
    for (genvar x = 0; x < MeshW; x++) begin : g_col
      localparam int T = y * MeshW + x;

      // N input <- S output of (x, y-1); the N output -> S input of (x, y-1).
      if (y > 0) begin : g_n
        localparam int U = (y - 1) * MeshW + x;
        assign m_in_valid[T*4 + 0]          = m_out_valid[U*4 + 2];
        assign m_in_flit[(T*4 + 0)*FW +: FW] = m_out_flit[(U*4 + 2)*FW +: FW];
        assign m_out_ready[T*4 + 0]         = !m_in_full[U*4 + 2];
      end else begin : g_n_edge
        assign m_in_valid[T*4 + 0]          = 1'b0;
        assign m_in_flit[(T*4 + 0)*FW +: FW] = '0;
        assign m_out_ready[T*4 + 0]         = 1'b0;
      end
      // E input <- W output of (x+1, y).
      if (x < MeshW - 1) begin : g_e
        localparam int U = y * MeshW + x + 1;
        assign m_in_valid[T*4 + 1]          = m_out_valid[U*4 + 3];
        assign m_in_flit[(T*4 + 1)*FW +: FW] = m_out_flit[(U*4 + 3)*FW +: FW];
        assign m_out_ready[T*4 + 1]         = !m_in_full[U*4 + 3];
      end else begin : g_e_edge
        assign m_in_valid[T*4 + 1]          = 1'b0;
        assign m_in_flit[(T*4 + 1)*FW +: FW] = '0;
        assign m_out_ready[T*4 + 1]         = 1'b0;
      end
      // S input <- N output of (x, y+1).
      if (y < MeshH - 1) begin : g_s
        localparam int U = (y + 1) * MeshW + x;
        assign m_in_valid[T*4 + 2]          = m_out_valid[U*4 + 0];
        assign m_in_flit[(T*4 + 2)*FW +: FW] = m_out_flit[(U*4 + 0)*FW +: FW];
        assign m_out_ready[T*4 + 2]         = !m_in_full[U*4 + 0];
      end else begin : g_s_edge
        assign m_in_valid[T*4 + 2]          = 1'b0;
        assign m_in_flit[(T*4 + 2)*FW +: FW] = '0;
        assign m_out_ready[T*4 + 2]         = 1'b0;
      end
      // W input <- E output of (x-1, y); at tile (0, 0) the host port, which is always ready.
      if (x > 0) begin : g_w
        localparam int U = y * MeshW + x - 1;
        assign m_in_valid[T*4 + 3]          = m_out_valid[U*4 + 1];
        assign m_in_flit[(T*4 + 3)*FW +: FW] = m_out_flit[(U*4 + 1)*FW +: FW];
        assign m_out_ready[T*4 + 3]         = !m_in_full[U*4 + 1];
      end else if (y == 0) begin : g_w_host
        assign m_in_valid[T*4 + 3]          = inj_valid;
        assign m_in_flit[(T*4 + 3)*FW +: FW] = inj_flit;
        assign m_out_ready[T*4 + 3]         = 1'b1;
        assign inj_full                     = m_in_full[T*4 + 3];
        assign host_out_push                = m_out_valid[T*4 + 3];
        assign host_out_flit                = m_out_flit[(T*4 + 3)*FW +: FW];
      end else begin : g_w_edge
        assign m_in_valid[T*4 + 3]          = 1'b0;
        assign m_in_flit[(T*4 + 3)*FW +: FW] = '0;
        assign m_out_ready[T*4 + 3]         = 1'b0;
      end

      sf_tile #(
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
        .FifoDepth     (RouterDepth)
      ) u_tile (
        .clk_i       (clk_i),
        .rst_ni      (rst_ni),
        .tile_x_i    (8'(x)),
        .tile_y_i    (8'(y)),
        .phase_i     (phase),
        .age_i       (age),
        .last_i      (last),
        .in_valid_i  (m_in_valid[T*4 +: 4]),
        .in_flit_i   (m_in_flit[T*4*FW +: 4*FW]),
        .in_full_o   (m_in_full[T*4 +: 4]),
        .out_valid_o (m_out_valid[T*4 +: 4]),
        .out_flit_o  (m_out_flit[T*4*FW +: 4*FW]),
        .out_ready_i (m_out_ready[T*4 +: 4]),
        .cfg_we_i    (cfg_we_i && (32'(cfg_tile_i) == T)),
        .cfg_re_i    (cfg_re_i && (32'(cfg_tile_i) == T)),
        .cfg_mem_i   (cfg_mem_i),
        .cfg_addr_i  (cfg_addr_i),
        .cfg_chunk_i (cfg_chunk_i),
        .cfg_wdata_i (cfg_wdata_i),
        .cfg_rdata_o (tile_rdata[T*64 +: 64]),
        .idle_o      (tile_idle[T])
      );
    end
  end

  // ---------------------------------------------------------------------------------------
  // Debug reads: a tile's answer, or the chip counters for tile W * H.
  // ---------------------------------------------------------------------------------------
  logic [sf_pkg::NUM_CHIP_CNT*64-1:0] chip_cnt;
  logic [15:0] rd_tile_q, rd_tile_d;
  logic [63:0] rd_val_q, rd_val_d;

  assign chip_cnt = {host_cnt[2*64 +: 64],   // 4 flits to the host
                     ctrl_cnt[1*64 +: 64],   // 3 steps
                     host_cnt[1*64 +: 64],   // 2 hops_ew on the host link
                     host_cnt[0*64 +: 64],   // 1 packets injected
                     ctrl_cnt[0*64 +: 64]};  // 0 cycles

  always_comb begin
    rd_tile_d = rd_tile_q;
    rd_val_d  = rd_val_q;
    if (cfg_re_i) begin
      rd_tile_d = cfg_tile_i;
      rd_val_d  = '0;
      if ((cfg_mem_i == sf_pkg::MEM_COUNTERS) && (cfg_addr_i < 32'(sf_pkg::NUM_CHIP_CNT))) begin
        rd_val_d = chip_cnt[cfg_addr_i*64 +: 64];
      end
    end
  end

  assign cfg_rdata_o = (32'(rd_tile_q) < NumTiles) ? tile_rdata[32'(rd_tile_q)*64 +: 64] : rd_val_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      rd_tile_q <= '0;
      rd_val_q  <= '0;
    end else begin
      rd_tile_q <= rd_tile_d;
      rd_val_q  <= rd_val_d;
    end
  end

  // Assertions
`ifndef SYNTHESIS
  initial begin
    assert (MeshW >= 1 && MeshW <= 256 && MeshH >= 1 && MeshH <= 256)
      else $fatal(1, "sf_chip: the mesh is 1..256 tiles each way");
    assert (RouterDepth >= 1 && HostDepth >= 1) else $fatal(1, "sf_chip: FIFO depths >= 1");
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_outputs_known : assert (!$isunknown({busy_o, in_ready_o, out_valid_o, out_index_o, cfg_rdata_o}));
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_in_flit_host_bit : assert (!(in_valid_i && in_ready_o) || !in_flit_i[sf_pkg::FLIT_HOST])
        else $error("sf_chip: the host sent a host-bound flit");
    end
  end
`endif

endmodule
