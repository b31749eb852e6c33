// sf_tb_blocks: the test-bench top of the block benches (tests/rtl/rtl_blocks_test.cpp),
// Verilated once for all of them. It holds, side by side:
//  - two neuron units, one with sf1's 24-bit state and one with 8-bit state (so that
//    wrapping and saturation happen often), and one with 31-bit state (the widest);
//  - an STDP unit and a trace unit with sf1's widths;
//  - a MeshW x MeshH mesh of routers whose L ports and host port are driven by the bench.
module sf_tb_blocks #(
  parameter int MeshW = 3,
  parameter int MeshH = 3,
  parameter int Depth = 2,
  localparam int FW = sf_pkg::FLIT_W,
  localparam int NT = MeshW * MeshH
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // Neuron units: a = 24-bit state, b = 8-bit state, c = 31-bit state.
  input  logic [31:0]         nu_u_i,
  input  logic [31:0]         nu_v_i,
  input  logic [3:0]          nu_refr_i,
  input  logic                nu_en_i,
  input  logic [31:0]         nu_a_in_i,
  input  logic [11:0]         nu_du_i,
  input  logic [11:0]         nu_dv_i,
  input  logic [16:0]         nu_vth_i,
  input  logic [12:0]         nu_bias_i,
  input  logic [2:0]          nu_bias_exp_i,
  input  logic                nu_reset_sub_i,
  input  logic                nu_spiking_i,
  input  logic [3:0]          nu_refr_set_i,
  output logic [31:0]         nu_a_u_o,
  output logic [31:0]         nu_a_v_o,
  output logic [3:0]          nu_a_refr_o,
  output logic                nu_a_spike_o,
  output logic                nu_a_active_o,
  output logic                nu_a_wrap_o,
  output logic                nu_b_wrap_o,
  output logic                nu_c_wrap_o,
  output logic [31:0]         nu_b_u_o,
  output logic [31:0]         nu_b_v_o,
  output logic [3:0]          nu_b_refr_o,
  output logic                nu_b_spike_o,
  output logic [31:0]         nu_c_u_o,
  output logic [31:0]         nu_c_v_o,
  output logic [3:0]          nu_c_refr_o,
  output logic                nu_c_spike_o,
  // STDP unit, 16 lanes of 8-bit weights, 8-bit traces.
  input  logic [127:0]        st_w_i,
  input  logic [15:0]         st_lane_en_i,
  input  logic                st_pre_i,
  input  logic [15:0]         st_post_i,
  input  logic [7:0]          st_x_i,
  input  logic [127:0]        st_y_i,
  input  logic [15:0]         st_a_plus_i,
  input  logic [15:0]         st_a_minus_i,
  input  logic [4:0]          st_shift_i,
  input  logic [7:0]          st_w_min_i,
  input  logic [7:0]          st_w_max_i,
  output logic [127:0]        st_w_o,
  output logic [15:0]         st_upd_o,
  // Trace unit, 8-bit traces.
  input  logic [7:0]          tr_x_i,
  input  logic                tr_decay_en_i,
  input  logic [11:0]         tr_decay_i,
  input  logic                tr_add_en_i,
  input  logic [7:0]          tr_inc_i,
  output logic [7:0]          tr_x_o,
  // Router mesh: per tile, the L input (pushed while not full) and the L output (pushed
  // into the bench when l_ready); the host link at tile (0, 0) W.
  input  logic [NT-1:0]       l_in_valid_i,
  input  logic [NT*FW-1:0]    l_in_flit_i,
  output logic [NT-1:0]       l_in_full_o,
  output logic [NT-1:0]       l_out_valid_o,
  output logic [NT*FW-1:0]    l_out_flit_o,
  input  logic [NT-1:0]       l_out_ready_i,
  input  logic                h_in_valid_i,
  input  logic [FW-1:0]       h_in_flit_i,
  output logic                h_in_full_o,
  output logic                h_out_valid_o,
  output logic [FW-1:0]       h_out_flit_o,
  output logic                idle_o
);

  // ---------------------------------------------------------------------------------------
  // Neuron units.
  // ---------------------------------------------------------------------------------------
  logic [24:0] a_u;
  logic [23:0] a_v;
  logic [8:0]  b_u;
  logic [7:0]  b_v;
  logic [31:0] c_u;
  logic [30:0] c_v;
  logic        c_active, b_active;

  sf_neuron_unit #(
    .StateBits     (24),
    .ThresholdBits (17),
    .BiasMantBits  (13),
    .BiasExpMax    (7),
    .RefrBits      (4)
  ) u_nu_a (
    .en_i        (nu_en_i),
    .u_i         (nu_u_i[24:0]),
    .v_i         (nu_v_i[23:0]),
    .refr_i      (nu_refr_i),
    .a_in_i      (nu_a_in_i),
    .du_i        (nu_du_i),
    .dv_i        (nu_dv_i),
    .vth_i       (nu_vth_i),
    .bias_mant_i (nu_bias_i),
    .bias_exp_i  (nu_bias_exp_i),
    .reset_sub_i (nu_reset_sub_i),
    .spiking_i   (nu_spiking_i),
    .refr_set_i  (nu_refr_set_i),
    .u_o         (a_u),
    .v_o         (a_v),
    .refr_o      (nu_a_refr_o),
    .spike_o     (nu_a_spike_o),
    .active_o    (nu_a_active_o),
    .wrapped_o   (nu_a_wrap_o)
  );

  sf_neuron_unit #(
    .StateBits     (8),
    .ThresholdBits (1),
    .BiasMantBits  (13),
    .BiasExpMax    (7),
    .RefrBits      (4)
  ) u_nu_b (
    .en_i        (nu_en_i),
    .u_i         (nu_u_i[8:0]),
    .v_i         (nu_v_i[7:0]),
    .refr_i      (nu_refr_i),
    .a_in_i      (nu_a_in_i),
    .du_i        (nu_du_i),
    .dv_i        (nu_dv_i),
    .vth_i       (nu_vth_i[0]),
    .bias_mant_i (nu_bias_i),
    .bias_exp_i  (nu_bias_exp_i),
    .reset_sub_i (nu_reset_sub_i),
    .spiking_i   (nu_spiking_i),
    .refr_set_i  (nu_refr_set_i),
    .u_o         (b_u),
    .v_o         (b_v),
    .refr_o      (nu_b_refr_o),
    .spike_o     (nu_b_spike_o),
    .active_o    (b_active),
    .wrapped_o   (nu_b_wrap_o)
  );

  sf_neuron_unit #(
    .StateBits     (31),
    .ThresholdBits (17),
    .BiasMantBits  (13),
    .BiasExpMax    (7),
    .RefrBits      (4)
  ) u_nu_c (
    .en_i        (nu_en_i),
    .u_i         (nu_u_i),
    .v_i         (nu_v_i[30:0]),
    .refr_i      (nu_refr_i),
    .a_in_i      (nu_a_in_i),
    .du_i        (nu_du_i),
    .dv_i        (nu_dv_i),
    .vth_i       (nu_vth_i),
    .bias_mant_i (nu_bias_i),
    .bias_exp_i  (nu_bias_exp_i),
    .reset_sub_i (nu_reset_sub_i),
    .spiking_i   (nu_spiking_i),
    .refr_set_i  (nu_refr_set_i),
    .u_o         (c_u),
    .v_o         (c_v),
    .refr_o      (nu_c_refr_o),
    .spike_o     (nu_c_spike_o),
    .active_o    (c_active),
    .wrapped_o   (nu_c_wrap_o)
  );

  // Outputs sign-extended to 32 bits.
  assign nu_a_u_o = 32'($signed(a_u));
  assign nu_a_v_o = 32'($signed(a_v));
  assign nu_b_u_o = 32'($signed(b_u));
  assign nu_b_v_o = 32'($signed(b_v));
  assign nu_c_u_o = c_u;
  assign nu_c_v_o = 32'($signed(c_v));

  // ---------------------------------------------------------------------------------------
  // STDP and trace units.
  // ---------------------------------------------------------------------------------------
  sf_stdp_unit #(
    .WordSyn    (16),
    .WeightBits (8),
    .TraceBits  (8)
  ) u_stdp (
    .w_i       (st_w_i),
    .lane_en_i (st_lane_en_i),
    .pre_i     (st_pre_i),
    .post_i    (st_post_i),
    .x_i       (st_x_i),
    .y_i       (st_y_i),
    .a_plus_i  (st_a_plus_i),
    .a_minus_i (st_a_minus_i),
    .shift_i   (st_shift_i),
    .w_min_i   (st_w_min_i),
    .w_max_i   (st_w_max_i),
    .w_o       (st_w_o),
    .upd_o     (st_upd_o)
  );

  sf_trace_unit #(
    .TraceBits (8)
  ) u_trace (
    .x_i        (tr_x_i),
    .decay_en_i (tr_decay_en_i),
    .decay_i    (tr_decay_i),
    .add_en_i   (tr_add_en_i),
    .inc_i      (tr_inc_i),
    .x_o        (tr_x_o)
  );

  // ---------------------------------------------------------------------------------------
  // Router mesh, wired as in sf_chip. Per tile, ports 0 L, 1 N, 2 E, 3 S, 4 W.
  // ---------------------------------------------------------------------------------------
  localparam int NP = sf_pkg::NUM_PORTS;
  logic [NT*NP-1:0]    in_valid, in_full, out_valid, out_ready;
  logic [NT*NP*FW-1:0] in_flit, out_flit;
  logic [NT-1:0]       r_idle;

  for (genvar y = 0; y < MeshH; y++) begin : g_row
    for (genvar x = 0; x < MeshW; x++) begin : g_col
      localparam int T = y * MeshW + x;
      localparam int TN = (y > 0) ? T - MeshW : T;
      localparam int TE = (x < MeshW - 1) ? T + 1 : T;
      localparam int TS = (y < MeshH - 1) ? T + MeshW : T;
      localparam int TW = (x > 0) ? T - 1 : T;
      logic [9*64-1:0]  unused_cnt;
      logic [NP*16-1:0] unused_dbg_count;
      logic [NP*FW-1:0] unused_dbg_head;

      assign in_valid[T*NP + 0]            = l_in_valid_i[T];
      assign in_flit[(T*NP + 0)*FW +: FW]  = l_in_flit_i[T*FW +: FW];
      assign l_in_full_o[T]                = in_full[T*NP + 0];
      assign l_out_valid_o[T]              = out_valid[T*NP + 0];
      assign l_out_flit_o[T*FW +: FW]      = out_flit[(T*NP + 0)*FW +: FW];
      assign out_ready[T*NP + 0]           = l_out_ready_i[T];

      assign in_valid[T*NP + 1]            = (y > 0) && out_valid[TN*NP + 3];
      assign in_flit[(T*NP + 1)*FW +: FW]  = out_flit[(TN*NP + 3)*FW +: FW];
      assign out_ready[T*NP + 1]           = (y > 0) && !in_full[TN*NP + 3];
      assign in_valid[T*NP + 2]            = (x < MeshW - 1) && out_valid[TE*NP + 4];
      assign in_flit[(T*NP + 2)*FW +: FW]  = out_flit[(TE*NP + 4)*FW +: FW];
      assign out_ready[T*NP + 2]           = (x < MeshW - 1) && !in_full[TE*NP + 4];
      assign in_valid[T*NP + 3]            = (y < MeshH - 1) && out_valid[TS*NP + 1];
      assign in_flit[(T*NP + 3)*FW +: FW]  = out_flit[(TS*NP + 1)*FW +: FW];
      assign out_ready[T*NP + 3]           = (y < MeshH - 1) && !in_full[TS*NP + 1];
      if (T == 0) begin : g_host
        assign in_valid[T*NP + 4]           = h_in_valid_i;
        assign in_flit[(T*NP + 4)*FW +: FW] = h_in_flit_i;
        assign out_ready[T*NP + 4]          = 1'b1;
      end else begin : g_w
        assign in_valid[T*NP + 4]           = (x > 0) && out_valid[TW*NP + 2];
        assign in_flit[(T*NP + 4)*FW +: FW] = out_flit[(TW*NP + 2)*FW +: FW];
        assign out_ready[T*NP + 4]          = (x > 0) && !in_full[TW*NP + 2];
      end

      sf_router #(
        .FifoDepth (Depth)
      ) u_router (
        .clk_i       (clk_i),
        .rst_ni      (rst_ni),
        .clear_i     (1'b0),
        .tile_x_i    (8'(x)),
        .tile_y_i    (8'(y)),
        .in_valid_i  (in_valid[T*NP +: NP]),
        .in_flit_i   (in_flit[T*NP*FW +: NP*FW]),
        .in_full_o   (in_full[T*NP +: NP]),
        .out_valid_o (out_valid[T*NP +: NP]),
        .out_flit_o  (out_flit[T*NP*FW +: NP*FW]),
        .out_ready_i (out_ready[T*NP +: NP]),
        .dbg_count_o (unused_dbg_count),
        .dbg_head_o  (unused_dbg_head),
        .cnt_o       (unused_cnt),
        .idle_o      (r_idle[T])
      );
    end
  end

  assign h_in_full_o   = in_full[4];
  assign h_out_valid_o = out_valid[4];
  assign h_out_flit_o  = out_flit[4*FW +: FW];
  assign idle_o        = &r_idle;

  logic unused_tb;
  assign unused_tb = ^{b_active, c_active, nu_v_i[31]};

endmodule
