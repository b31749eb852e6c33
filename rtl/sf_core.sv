// sf_core: one neuro-synaptic core (docs/microarchitecture.md section 4): the event queue
// and integrate engine (sf_integrate), the crossbar SRAM, the neuron state and
// configuration memories, the neuron update unit (sf_neuron_unit), the STDP passes
// (sf_stdp_unit, sf_trace_unit), the spike encoder with its routing table (sf_encoder),
// the configuration/debug memories of section 6 and the core's event counters.
//
// One sequencer runs the work of the COMPUTE phase (update, then L1..L4 on a learning core)
// and of the CLEAR phase as a list of passes, each a fixed number of cycles:
//   UPD n + 1 (n > 0) | L1 a | L2 n | L3 sum of r(a) + 1 | L4 n | CLR max(n, a).
// A pass of length 0 is skipped, so the work starts in the phase's first cycle s and ends
// in cycle s + B - 1 exactly (B of section 4.3).
module sf_core #(
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
  localparam int WordsPerRow = (NumNeurons + WordSyn - 1) / WordSyn,
  localparam int XbarDepth   = NumAxons * WordsPerRow,
  localparam int XbarW       = WordSyn * WeightBits,
  localparam int XAddrW      = (XbarDepth > 1) ? $clog2(XbarDepth) : 1,
  localparam int WordW       = (WordsPerRow > 1) ? $clog2(WordsPerRow) : 1,
  localparam int WCntW       = $clog2(WordsPerRow + 1),
  localparam int NIdxW       = (NumNeurons > 1) ? $clog2(NumNeurons) : 1,
  localparam int NCntW       = $clog2(NumNeurons + 1),
  localparam int AIdxW       = (NumAxons > 1) ? $clog2(NumAxons) : 1,
  localparam int ACntW       = $clog2(NumAxons + 1),
  localparam int PIdxW       = (NumProfiles > 1) ? $clog2(NumProfiles) : 1,
  localparam int RCntW       = $clog2(Fanout + 1),
  localparam int RouteDepth  = NumNeurons * Fanout,
  localparam int RAddrW      = (RouteDepth > 1) ? $clog2(RouteDepth) : 1,
  localparam int ExpW        = (BiasExpMax > 0) ? $clog2(BiasExpMax + 1) : 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  // Timestep controller.
  input  logic [2:0]                 phase_i,
  input  logic [1:0]                 age_i,
  input  logic                       last_i,
  // Router L output -> event queue.
  input  logic                       ev_push_i,
  input  logic [sf_pkg::FLIT_W-1:0]  ev_flit_i,
  output logic                       ev_full_o,
  // Encoder -> router L input.
  output logic                       flit_valid_o,
  output logic [sf_pkg::FLIT_W-1:0]  flit_o,
  input  logic                       l_ready_i,
  // Configuration and debug port (already decoded for this tile).
  input  logic                       cfg_we_i,
  input  logic                       cfg_re_i,
  input  logic [3:0]                 cfg_mem_i,
  input  logic [31:0]                cfg_addr_i,
  input  logic [7:0]                 cfg_chunk_i,
  input  logic [63:0]                cfg_wdata_i,
  output logic [63:0]                cfg_rdata_o,
  // Counters: syn_ops, row_reads, active, idle, spikes, packets, learn_updates, busy.
  output logic [sf_pkg::NUM_CORE_CNT*64-1:0] cnt_o,
  output logic                       idle_o
);

  localparam int NStW      = (StateBits + 1) + StateBits + RefrBits + 1;  // u, v, refr, fired
  localparam int NCfgW     = BiasMantBits + PIdxW + RCntW;                 // bias, profile, entries
  localparam int AccWordW  = WordSyn * sf_pkg::ACC_W;
  localparam int YWordW    = WordSyn * TraceBits;
  localparam int PadW      = ((XbarW + 63) / 64) * 64;
  localparam int PlPadW    = ((WordSyn + 63) / 64) * 64;
  localparam int IdxW      = ((NCntW > ACntW) ? NCntW : ACntW) + 1;
  localparam int OpsW      = $clog2(WordSyn + 1);
  // Profile register fields, chunk 0 then chunk 1.
  localparam int PF_DU   = 0;
  localparam int PF_DV   = PF_DU + sf_pkg::DECAY_W;
  localparam int PF_VTH  = PF_DV + sf_pkg::DECAY_W;
  localparam int PF_EXP  = PF_VTH + ThresholdBits;
  localparam int PF_RSUB = PF_EXP + ExpW;
  localparam int PF_SPK  = PF_RSUB + 1;
  localparam int PF_REFR = PF_SPK + 1;
  localparam int ProfW   = PF_REFR + RefrBits;

  // ---------------------------------------------------------------------------------------
  // Core registers (CORE memory) and profiles.
  // ---------------------------------------------------------------------------------------
  logic [NCntW-1:0]      n_q, n_d;
  logic [ACntW-1:0]      a_q, a_d;
  logic                  learn_q, learn_d;
  // a_plus and a_minus are held in 16 bits (the image's int16 weight range), wider than
  // chip-spec's [B_w s], because images may carry learning rates beyond the weight range.
  localparam int LearnW = 16;
  logic [LearnW-1:0]     a_plus_q, a_plus_d, a_minus_q, a_minus_d;
  logic [4:0]            shift_q, shift_d;
  logic [sf_pkg::DECAY_W-1:0] x_decay_q, x_decay_d, y_decay_q, y_decay_d;
  logic [TraceBits-1:0]  x_inc_q, x_inc_d, y_inc_q, y_inc_d;
  logic [WeightBits-1:0] w_min_q, w_min_d, w_max_q, w_max_d;
  logic [NumProfiles*ProfW-1:0] prof_q, prof_d;

  logic                  learn;
  logic [WCntW-1:0]      r_words;       // R = ceil(n / S)
  logic [IdxW-1:0]       clr_len;       // max(n, a)

  assign learn   = (Learning != 0) && learn_q;
  assign r_words = WCntW'((32'(n_q) + WordSyn - 1) / WordSyn);
  assign clr_len = (32'(n_q) > 32'(a_q)) ? IdxW'(n_q) : IdxW'(a_q);

  // ---------------------------------------------------------------------------------------
  // Memory ports.
  // ---------------------------------------------------------------------------------------
  logic              xbar_we, xbar_re;
  logic [XAddrW-1:0] xbar_waddr, xbar_raddr;
  logic [XbarW-1:0]  xbar_wdata, xbar_wmask, xbar_rdata;
  logic              pl_we;
  logic [WordSyn-1:0] pl_wdata, pl_wmask, pl_rdata;

  logic              ns_we, ns_re;
  logic [NIdxW-1:0]  ns_waddr, ns_raddr;
  logic [NStW-1:0]   ns_wdata, ns_rdata;

  logic              nc_we;
  logic [NIdxW-1:0]  nc_waddr, nc_raddr;
  logic [NCfgW-1:0]  nc_wdata, nc_rdata;

  logic              rt_we;
  logic [RAddrW-1:0] rt_waddr, rt_raddr;
  logic [sf_pkg::FLIT_W-1:0] rt_wdata, rt_rdata;

  logic              acc_we;
  logic [WordW-1:0]  acc_addr;
  logic [AccWordW-1:0] acc_wdata, acc_rdata;

  logic              xt_we;
  logic [AIdxW-1:0]  xt_waddr, xt_raddr;
  logic [TraceBits-1:0] xt_wdata, xt_rdata;

  logic              pre_we;
  logic [AIdxW-1:0]  pre_waddr, pre_raddr;
  logic              pre_wdata, pre_rdata;

  logic              yt_we;
  logic [WordW-1:0]  yt_addr;
  logic [YWordW-1:0] yt_wdata, yt_rdata;

  logic              post_we;
  logic [WordW-1:0]  post_addr;
  logic [WordSyn-1:0] post_wdata, post_rdata;

  sf_ram #(
    .Width (XbarW),
    .Depth (XbarDepth)
  ) u_xbar (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .we_i    (xbar_we),
    .waddr_i (xbar_waddr),
    .wdata_i (xbar_wdata),
    .wmask_i (xbar_wmask),
    .re_i    (xbar_re),
    .raddr_i (xbar_raddr),
    .rdata_o (xbar_rdata)
  );

  sf_ram #(
    .Width (NStW),
    .Depth (NumNeurons)
  ) u_nstate (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .we_i    (ns_we),
    .waddr_i (ns_waddr),
    .wdata_i (ns_wdata),
    .wmask_i ({NStW{1'b1}}),
    .re_i    (ns_re),
    .raddr_i (ns_raddr),
    .rdata_o (ns_rdata)
  );

  sf_regfile #(
    .Width (NCfgW),
    .Depth (NumNeurons)
  ) u_nconfig (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .we_i    (nc_we),
    .waddr_i (nc_waddr),
    .wdata_i (nc_wdata),
    .raddr_i (nc_raddr),
    .rdata_o (nc_rdata)
  );

  sf_regfile #(
    .Width (sf_pkg::FLIT_W),
    .Depth (RouteDepth)
  ) u_route (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .we_i    (rt_we),
    .waddr_i (rt_waddr),
    .wdata_i (rt_wdata),
    .raddr_i (rt_raddr),
    .rdata_o (rt_rdata)
  );

  sf_regfile #(
    .Width (AccWordW),
    .Depth (WordsPerRow)
  ) u_acc (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .we_i    (acc_we),
    .waddr_i (acc_addr),
    .wdata_i (acc_wdata),
    .raddr_i (acc_addr),
    .rdata_o (acc_rdata)
  );

  if (Learning != 0) begin : g_learn_mem
    sf_ram #(
      .Width (WordSyn),
      .Depth (XbarDepth)
    ) u_plastic (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (pl_we),
      .waddr_i (xbar_waddr),
      .wdata_i (pl_wdata),
      .wmask_i (pl_wmask),
      .re_i    (xbar_re),
      .raddr_i (xbar_raddr),
      .rdata_o (pl_rdata)
    );
    sf_regfile #(
      .Width (TraceBits),
      .Depth (NumAxons)
    ) u_xtrace (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (xt_we),
      .waddr_i (xt_waddr),
      .wdata_i (xt_wdata),
      .raddr_i (xt_raddr),
      .rdata_o (xt_rdata)
    );
    sf_regfile #(
      .Width (1),
      .Depth (NumAxons)
    ) u_pre (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (pre_we),
      .waddr_i (pre_waddr),
      .wdata_i (pre_wdata),
      .raddr_i (pre_raddr),
      .rdata_o (pre_rdata)
    );
    sf_regfile #(
      .Width (YWordW),
      .Depth (WordsPerRow)
    ) u_ytrace (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (yt_we),
      .waddr_i (yt_addr),
      .wdata_i (yt_wdata),
      .raddr_i (yt_addr),
      .rdata_o (yt_rdata)
    );
    sf_regfile #(
      .Width (WordSyn),
      .Depth (WordsPerRow)
    ) u_post (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (post_we),
      .waddr_i (post_addr),
      .wdata_i (post_wdata),
      .raddr_i (post_addr),
      .rdata_o (post_rdata)
    );
  end else begin : g_no_learn_mem
    // A chip without learning has none of these memories; their ports go nowhere.
    logic unused_learn;
    assign unused_learn = ^{pl_we, pl_wdata, pl_wmask, xt_we, xt_waddr, xt_raddr, xt_wdata,
                            pre_we, pre_waddr, pre_raddr, pre_wdata, yt_we, yt_addr, yt_wdata,
                            post_we, post_addr, post_wdata};
    assign pl_rdata   = '0;
    assign xt_rdata   = '0;
    assign pre_rdata  = 1'b0;
    assign yt_rdata   = '0;
    assign post_rdata = '0;
  end

  // ---------------------------------------------------------------------------------------
  // Integrate engine and encoder.
  // ---------------------------------------------------------------------------------------
  logic              in_route, in_step, start_compute, start_clear;
  logic              integ_xbar_re, integ_acc_active, integ_pre_set, integ_row_read;
  logic              integ_work, integ_idle;
  logic [XAddrW-1:0] integ_xbar_raddr;
  logic [WordW-1:0]  integ_acc_addr;
  logic [AccWordW-1:0] integ_acc_wdata;
  logic [AIdxW-1:0]  integ_pre_axon;
  logic [OpsW-1:0]   integ_syn_ops;

  assign in_route      = (phase_i == sf_pkg::PH_ROUTE);
  assign in_step       = (phase_i == sf_pkg::PH_INTEG) || (phase_i == sf_pkg::PH_COMPUTE) ||
                         in_route;
  assign start_compute = (phase_i == sf_pkg::PH_COMPUTE) && (age_i == 2'd0);
  assign start_clear   = (phase_i == sf_pkg::PH_CLEAR) && (age_i == 2'd0);

  sf_integrate #(
    .NumNeurons (NumNeurons),
    .NumAxons   (NumAxons),
    .WordSyn    (WordSyn),
    .WeightBits (WeightBits),
    .FifoDepth  (FifoDepth)
  ) u_integrate (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .ev_push_i       (ev_push_i),
    .ev_axon_i       (ev_flit_i[AIdxW-1:0]),
    .ev_full_o       (ev_full_o),
    .n_i             (n_q),
    .r_i             (r_words),
    .learn_i         (learn),
    .discard_i       (in_route && last_i),
    .xbar_re_o       (integ_xbar_re),
    .xbar_raddr_o    (integ_xbar_raddr),
    .xbar_rdata_i    (xbar_rdata),
    .plastic_rdata_i (pl_rdata),
    .acc_active_o    (integ_acc_active),
    .acc_addr_o      (integ_acc_addr),
    .acc_rdata_i     (acc_rdata),
    .acc_wdata_o     (integ_acc_wdata),
    .pre_set_o       (integ_pre_set),
    .pre_axon_o      (integ_pre_axon),
    .row_read_o      (integ_row_read),
    .syn_ops_o       (integ_syn_ops),
    .work_o          (integ_work),
    .idle_o          (integ_idle)
  );

  logic              enc_push, enc_work, enc_empty;
  logic [NIdxW-1:0]  enc_push_idx, enc_cnt_raddr;
  logic [RAddrW-1:0] enc_rt_raddr;

  sf_encoder #(
    .NumNeurons (NumNeurons),
    .Fanout     (Fanout)
  ) u_encoder (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_i       (enc_push),
    .push_idx_i   (enc_push_idx),
    .active_i     (in_route),
    .cnt_raddr_o  (enc_cnt_raddr),
    .cnt_rdata_i  (nc_rdata[BiasMantBits+PIdxW +: RCntW]),
    .rt_raddr_o   (enc_rt_raddr),
    .rt_rdata_i   (rt_rdata),
    .flit_valid_o (flit_valid_o),
    .flit_o       (flit_o),
    .l_ready_i    (l_ready_i),
    .work_o       (enc_work),
    .empty_o      (enc_empty)
  );

  // ---------------------------------------------------------------------------------------
  // Neuron update datapath (stage 2 of the update pipeline).
  // ---------------------------------------------------------------------------------------
  logic                  upd_s2_valid_q, upd_s2_valid_d;
  logic [NIdxW-1:0]      upd_s2_idx_q, upd_s2_idx_d;
  logic [PIdxW-1:0]      upd_pidx;
  logic [ProfW-1:0]      upd_prof;
  logic [sf_pkg::ACC_W-1:0] upd_a_in;
  logic [StateBits:0]    nu_u;
  logic [StateBits-1:0]  nu_v;
  logic [RefrBits-1:0]   nu_refr;
  logic                  nu_spike, nu_active, nu_wrapped;

  logic [31:0]           upd_lane;
  logic [WordW-1:0]      upd_word;
  assign upd_lane = 32'(upd_s2_idx_q) % WordSyn;
  assign upd_word = WordW'(32'(upd_s2_idx_q) / WordSyn);
  assign upd_pidx = nc_rdata[BiasMantBits +: PIdxW];
  assign upd_prof = (32'(upd_pidx) < NumProfiles) ? prof_q[32'(upd_pidx)*ProfW +: ProfW] : '0;
  assign upd_a_in = acc_rdata[upd_lane*sf_pkg::ACC_W +: sf_pkg::ACC_W];

  sf_neuron_unit #(
    .StateBits     (StateBits),
    .ThresholdBits (ThresholdBits),
    .BiasMantBits  (BiasMantBits),
    .BiasExpMax    (BiasExpMax),
    .RefrBits      (RefrBits)
  ) u_neuron (
    .en_i        (upd_s2_valid_q),
    .u_i         (ns_rdata[0 +: StateBits+1]),
    .v_i         (ns_rdata[StateBits+1 +: StateBits]),
    .refr_i      (ns_rdata[2*StateBits+1 +: RefrBits]),
    .a_in_i      (upd_a_in),
    .du_i        (upd_prof[PF_DU +: sf_pkg::DECAY_W]),
    .dv_i        (upd_prof[PF_DV +: sf_pkg::DECAY_W]),
    .vth_i       (upd_prof[PF_VTH +: ThresholdBits]),
    .bias_mant_i (nc_rdata[0 +: BiasMantBits]),
    .bias_exp_i  (upd_prof[PF_EXP +: ExpW]),
    .reset_sub_i (upd_prof[PF_RSUB]),
    .spiking_i   (upd_prof[PF_SPK]),
    .refr_set_i  (upd_prof[PF_REFR +: RefrBits]),
    .u_o         (nu_u),
    .v_o         (nu_v),
    .refr_o      (nu_refr),
    .spike_o     (nu_spike),
    .active_o    (nu_active),
    .wrapped_o   (nu_wrapped)
  );

  // ---------------------------------------------------------------------------------------
  // STDP datapath.
  // ---------------------------------------------------------------------------------------
  logic                  l3_s2_valid_q, l3_s2_valid_d;
  logic [XAddrW-1:0]     l3_s2_addr_q, l3_s2_addr_d;
  logic [WordW-1:0]      l3_s2_word_q, l3_s2_word_d;
  logic                  l3_s2_pre_q, l3_s2_pre_d;
  logic [TraceBits-1:0]  l3_s2_x_q, l3_s2_x_d;
  logic [WordSyn-1:0]    l3_lane_en, l3_upd;
  logic [XbarW-1:0]      l3_w;
  logic [TraceBits-1:0]  xt_new, yt_lane, yt_new;
  logic                  x_add_en, y_decay_en, y_add_en;
  logic [NIdxW-1:0]      seq_nidx;

  always_comb begin
    for (int j = 0; j < WordSyn; j++) begin
      l3_lane_en[j] = pl_rdata[j] && (32'(l3_s2_word_q) * WordSyn + j < 32'(n_q));
    end
  end

  sf_stdp_unit #(
    .WordSyn    (WordSyn),
    .WeightBits (WeightBits),
    .TraceBits  (TraceBits),
    .LearnW     (LearnW)
  ) u_stdp (
    .w_i       (xbar_rdata),
    .lane_en_i (l3_lane_en),
    .pre_i     (l3_s2_pre_q),
    .post_i    (post_rdata),
    .x_i       (l3_s2_x_q),
    .y_i       (yt_rdata),
    .a_plus_i  (a_plus_q),
    .a_minus_i (a_minus_q),
    .shift_i   (shift_q),
    .w_min_i   (w_min_q),
    .w_max_i   (w_max_q),
    .w_o       (l3_w),
    .upd_o     (l3_upd)
  );

  sf_trace_unit #(
    .TraceBits (TraceBits)
  ) u_xtrace_unit (
    .x_i        (xt_rdata),
    .decay_en_i (1'b1),
    .decay_i    (x_decay_q),
    .add_en_i   (x_add_en),
    .inc_i      (x_inc_q),
    .x_o        (xt_new)
  );

  logic [31:0]           seq_lane;
  logic [WordW-1:0]      seq_word;
  assign seq_lane = 32'(seq_nidx) % WordSyn;
  assign seq_word = WordW'(32'(seq_nidx) / WordSyn);
  assign yt_lane = yt_rdata[seq_lane*TraceBits +: TraceBits];

  sf_trace_unit #(
    .TraceBits (TraceBits)
  ) u_ytrace_unit (
    .x_i        (yt_lane),
    .decay_en_i (y_decay_en),
    .decay_i    (y_decay_q),
    .add_en_i   (y_add_en),
    .inc_i      (y_inc_q),
    .x_o        (yt_new)
  );

  // ---------------------------------------------------------------------------------------
  // Sequencer: the passes of COMPUTE and CLEAR, and every memory port.
  // ---------------------------------------------------------------------------------------
  sf_pkg::pass_e         pass_q, pass_d, eff_pass, first_compute;
  logic [IdxW-1:0]       idx_q, idx_d, eff_idx;
  logic [WordW-1:0]      word_q, word_d, eff_word;
  logic                  any_fired_q, any_fired_d;
  logic                  upd_row;
  logic [OpsW-1:0]       learn_cnt;

  // First pass of COMPUTE: update when n > 0, else L1 (a > 0) or L3 on a learning core.
  always_comb begin
    if (n_q != '0) begin
      first_compute = sf_pkg::PASS_UPD;
    end else if (learn) begin
      first_compute = (a_q != '0) ? sf_pkg::PASS_L1 : sf_pkg::PASS_L3;
    end else begin
      first_compute = sf_pkg::PASS_IDLE;
    end
  end

  always_comb begin
    if (start_compute) begin
      eff_pass = first_compute;
      eff_idx  = '0;
      eff_word = '0;
    end else if (start_clear) begin
      eff_pass = (clr_len != '0) ? sf_pkg::PASS_CLR : sf_pkg::PASS_IDLE;
      eff_idx  = '0;
      eff_word = '0;
    end else begin
      eff_pass = pass_q;
      eff_idx  = idx_q;
      eff_word = word_q;
    end
  end

  assign seq_nidx = NIdxW'(eff_idx);
  assign upd_row  = (pre_rdata || any_fired_q) && (r_words != '0);

  always_comb begin
    pass_d         = eff_pass;
    idx_d          = eff_idx;
    word_d         = eff_word;
    any_fired_d    = start_compute ? 1'b0 : any_fired_q;
    upd_s2_valid_d = 1'b0;
    upd_s2_idx_d   = upd_s2_idx_q;
    l3_s2_valid_d  = 1'b0;
    l3_s2_addr_d   = l3_s2_addr_q;
    l3_s2_word_d   = l3_s2_word_q;
    l3_s2_pre_d    = l3_s2_pre_q;
    l3_s2_x_d      = l3_s2_x_q;

    xbar_we    = 1'b0;
    xbar_waddr = l3_s2_addr_q;
    xbar_wdata = l3_w;
    xbar_wmask = '1;
    xbar_re    = integ_xbar_re;
    xbar_raddr = integ_xbar_raddr;
    pl_we      = 1'b0;
    pl_wdata   = '0;
    pl_wmask   = '0;

    ns_we    = 1'b0;
    ns_waddr = upd_s2_idx_q;
    ns_wdata = {nu_spike, nu_refr, nu_v, nu_u};
    ns_re    = 1'b0;
    ns_raddr = seq_nidx;

    nc_we    = 1'b0;
    nc_waddr = NIdxW'(cfg_addr_i);
    nc_wdata = {cfg_wdata_i[40 +: RCntW], cfg_wdata_i[32 +: PIdxW], cfg_wdata_i[0 +: BiasMantBits]};
    nc_raddr = in_route ? enc_cnt_raddr : upd_s2_idx_q;

    rt_we    = 1'b0;
    rt_waddr = RAddrW'(cfg_addr_i);
    rt_wdata = cfg_wdata_i[sf_pkg::FLIT_W-1:0];
    rt_raddr = enc_rt_raddr;

    acc_we    = integ_acc_active;
    acc_addr  = integ_acc_active ? integ_acc_addr : upd_word;
    acc_wdata = integ_acc_wdata;

    xt_we    = 1'b0;
    xt_waddr = AIdxW'(eff_idx);
    xt_wdata = xt_new;
    xt_raddr = AIdxW'(eff_idx);
    x_add_en = pre_rdata;

    pre_we    = integ_pre_set;
    pre_waddr = integ_pre_set ? integ_pre_axon : AIdxW'(eff_idx);
    pre_wdata = integ_pre_set;
    pre_raddr = AIdxW'(eff_idx);

    yt_we      = 1'b0;
    yt_addr    = seq_word;
    yt_wdata   = yt_rdata;
    y_decay_en = 1'b0;
    y_add_en   = 1'b0;

    post_we    = 1'b0;
    post_addr  = seq_word;
    post_wdata = post_rdata;

    learn_cnt = '0;

    // Stage 2 of the update: write the neuron back, clear its accumulator.
    if (upd_s2_valid_q) begin
      ns_we     = 1'b1;
      acc_we    = 1'b1;
      acc_wdata = acc_rdata;
      acc_wdata[upd_lane*sf_pkg::ACC_W +: sf_pkg::ACC_W] = '0;
      if (nu_spike) begin
        any_fired_d = 1'b1;
        if (learn) begin
          post_we   = 1'b1;
          post_addr = upd_word;
          post_wdata = post_rdata | (WordSyn'(1) << upd_lane);
        end
      end
    end

    // Stage 2 of L3: write back the updated crossbar word.
    if (l3_s2_valid_q) begin
      xbar_we   = 1'b1;
      yt_addr   = l3_s2_word_q;
      post_addr = l3_s2_word_q;
      for (int j = 0; j < WordSyn; j++) begin
        learn_cnt = learn_cnt + OpsW'(l3_upd[j]);
      end
    end

    unique case (eff_pass)
      sf_pkg::PASS_UPD: begin
        if (32'(eff_idx) < 32'(n_q)) begin
          ns_re          = 1'b1;
          upd_s2_valid_d = 1'b1;
          upd_s2_idx_d   = seq_nidx;
          idx_d          = eff_idx + 1'b1;
        end else begin
          idx_d  = '0;
          pass_d = !learn ? sf_pkg::PASS_IDLE :
                   (a_q != '0) ? sf_pkg::PASS_L1 : sf_pkg::PASS_L2;
        end
      end
      sf_pkg::PASS_L1: begin
        xt_we = 1'b1;
        idx_d = eff_idx + 1'b1;
        if (32'(eff_idx) + 1 == 32'(a_q)) begin
          idx_d  = '0;
          pass_d = (n_q != '0) ? sf_pkg::PASS_L2 : sf_pkg::PASS_L3;
        end
      end
      sf_pkg::PASS_L2: begin
        y_decay_en = 1'b1;
        yt_we      = 1'b1;
        yt_wdata[seq_lane*TraceBits +: TraceBits] = yt_new;
        idx_d = eff_idx + 1'b1;
        if (32'(eff_idx) + 1 == 32'(n_q)) begin
          idx_d  = '0;
          pass_d = sf_pkg::PASS_L3;
        end
      end
      sf_pkg::PASS_L3: begin
        if (32'(eff_idx) < 32'(a_q)) begin
          if (upd_row) begin
            xbar_re       = 1'b1;
            xbar_raddr    = XAddrW'(32'(eff_idx) * WordsPerRow + 32'(eff_word));
            l3_s2_valid_d = 1'b1;
            l3_s2_addr_d  = xbar_raddr;
            l3_s2_word_d  = eff_word;
            l3_s2_pre_d   = pre_rdata;
            l3_s2_x_d     = xt_rdata;
            if (32'(eff_word) + 1 == 32'(r_words)) begin
              word_d = '0;
              idx_d  = eff_idx + 1'b1;
            end else begin
              word_d = eff_word + 1'b1;
            end
          end else begin
            idx_d = eff_idx + 1'b1;
          end
          if (idx_d != eff_idx) begin
            pre_we    = 1'b1;
            pre_waddr = AIdxW'(eff_idx);
            pre_wdata = 1'b0;
          end
        end else begin
          idx_d  = '0;
          pass_d = (n_q != '0) ? sf_pkg::PASS_L4 : sf_pkg::PASS_IDLE;
        end
      end
      sf_pkg::PASS_L4: begin
        y_add_en = post_rdata[seq_lane];
        yt_we    = 1'b1;
        yt_wdata[seq_lane*TraceBits +: TraceBits] = yt_new;
        post_we  = 1'b1;
        post_wdata[seq_lane] = 1'b0;
        idx_d = eff_idx + 1'b1;
        if (32'(eff_idx) + 1 == 32'(n_q)) begin
          idx_d  = '0;
          pass_d = sf_pkg::PASS_IDLE;
        end
      end
      sf_pkg::PASS_CLR: begin
        if (32'(eff_idx) < 32'(n_q)) begin
          ns_we     = 1'b1;
          ns_waddr  = seq_nidx;
          ns_wdata  = '0;
          acc_we    = 1'b1;
          acc_addr  = seq_word;
          acc_wdata = acc_rdata;
          acc_wdata[seq_lane*sf_pkg::ACC_W +: sf_pkg::ACC_W] = '0;
          yt_we     = 1'b1;
          yt_wdata[seq_lane*TraceBits +: TraceBits] = '0;
          post_we   = 1'b1;
          post_wdata[seq_lane] = 1'b0;
        end
        if (32'(eff_idx) < 32'(a_q)) begin
          xt_we     = 1'b1;
          xt_wdata  = '0;
          pre_we    = 1'b1;
          pre_wdata = 1'b0;
        end
        idx_d = eff_idx + 1'b1;
        if (eff_idx + 1'b1 == clr_len) begin
          idx_d  = '0;
          pass_d = sf_pkg::PASS_IDLE;
        end
      end
      default: begin
        pass_d = sf_pkg::PASS_IDLE;
      end
    endcase

    // Configuration writes and debug reads (only while the chip is paused).
    if (cfg_we_i) begin
      unique case (cfg_mem_i)
        sf_pkg::MEM_XBAR: begin
          xbar_we    = 1'b1;
          xbar_waddr = XAddrW'(cfg_addr_i);
          xbar_wdata = XbarW'(PadW'(cfg_wdata_i) << {cfg_chunk_i, 6'b0});
          xbar_wmask = XbarW'(PadW'({64{1'b1}}) << {cfg_chunk_i, 6'b0});
        end
        sf_pkg::MEM_PLASTIC: begin
          pl_we      = 1'b1;
          xbar_waddr = XAddrW'(cfg_addr_i);
          pl_wdata   = WordSyn'(PlPadW'(cfg_wdata_i) << {cfg_chunk_i, 6'b0});
          pl_wmask   = WordSyn'(PlPadW'({64{1'b1}}) << {cfg_chunk_i, 6'b0});
        end
        sf_pkg::MEM_NEURON: begin
          nc_we = 1'b1;
        end
        sf_pkg::MEM_ROUTE: begin
          rt_we = 1'b1;
        end
        default: begin
        end
      endcase
    end
    // A debug read takes over only the memory it reads (reads of the counters and router
    // FIFOs, which the harness's watchdog makes during a step, disturb nothing).
    if (cfg_re_i) begin
      unique case (cfg_mem_i)
        sf_pkg::MEM_XBAR, sf_pkg::MEM_PLASTIC: begin
          xbar_re    = 1'b1;
          xbar_raddr = XAddrW'(cfg_addr_i);
        end
        sf_pkg::MEM_STATE: begin
          ns_re    = 1'b1;
          ns_raddr = NIdxW'(cfg_addr_i >> 3);
          yt_addr  = WordW'(32'(cfg_addr_i >> 3) / WordSyn);
        end
        sf_pkg::MEM_NEURON: nc_raddr = NIdxW'(cfg_addr_i);
        sf_pkg::MEM_ROUTE:  rt_raddr = RAddrW'(cfg_addr_i);
        sf_pkg::MEM_XTRACE: xt_raddr = AIdxW'(cfg_addr_i);
        default: begin
        end
      endcase
    end
  end

  assign enc_push     = upd_s2_valid_q && nu_spike;
  assign enc_push_idx = upd_s2_idx_q;

  // ---------------------------------------------------------------------------------------
  // Configuration registers.
  // ---------------------------------------------------------------------------------------
  always_comb begin
    n_d       = n_q;
    a_d       = a_q;
    learn_d   = learn_q;
    a_plus_d  = a_plus_q;
    a_minus_d = a_minus_q;
    shift_d   = shift_q;
    x_decay_d = x_decay_q;
    y_decay_d = y_decay_q;
    x_inc_d   = x_inc_q;
    y_inc_d   = y_inc_q;
    w_min_d   = w_min_q;
    w_max_d   = w_max_q;
    prof_d    = prof_q;
    if (cfg_we_i && (cfg_mem_i == sf_pkg::MEM_CORE) && (cfg_chunk_i == '0)) begin
      unique case (cfg_addr_i)
        32'(sf_pkg::REG_N):       n_d       = NCntW'(cfg_wdata_i);
        32'(sf_pkg::REG_A):       a_d       = ACntW'(cfg_wdata_i);
        32'(sf_pkg::REG_LEARN):   learn_d   = cfg_wdata_i[0];
        32'(sf_pkg::REG_A_PLUS):  a_plus_d  = LearnW'(cfg_wdata_i);
        32'(sf_pkg::REG_A_MINUS): a_minus_d = LearnW'(cfg_wdata_i);
        32'(sf_pkg::REG_SHIFT):   shift_d   = cfg_wdata_i[4:0];
        32'(sf_pkg::REG_X_DECAY): x_decay_d = cfg_wdata_i[sf_pkg::DECAY_W-1:0];
        32'(sf_pkg::REG_Y_DECAY): y_decay_d = cfg_wdata_i[sf_pkg::DECAY_W-1:0];
        32'(sf_pkg::REG_X_INC):   x_inc_d   = TraceBits'(cfg_wdata_i);
        32'(sf_pkg::REG_Y_INC):   y_inc_d   = TraceBits'(cfg_wdata_i);
        32'(sf_pkg::REG_W_MIN):   w_min_d   = WeightBits'(cfg_wdata_i);
        32'(sf_pkg::REG_W_MAX):   w_max_d   = WeightBits'(cfg_wdata_i);
        default: begin
        end
      endcase
    end
    if (cfg_we_i && (cfg_mem_i == sf_pkg::MEM_PROFILE) && (32'(cfg_addr_i) < NumProfiles)) begin
      if (cfg_chunk_i == 8'd0) begin
        prof_d[32'(cfg_addr_i)*ProfW + PF_DU +: sf_pkg::DECAY_W]  = cfg_wdata_i[sf_pkg::DECAY_W-1:0];
        prof_d[32'(cfg_addr_i)*ProfW + PF_DV +: sf_pkg::DECAY_W]  =
            cfg_wdata_i[16 +: sf_pkg::DECAY_W];
        prof_d[32'(cfg_addr_i)*ProfW + PF_VTH +: ThresholdBits]   = cfg_wdata_i[32 +: ThresholdBits];
      end else if (cfg_chunk_i == 8'd1) begin
        prof_d[32'(cfg_addr_i)*ProfW + PF_EXP +: ExpW]       = cfg_wdata_i[ExpW-1:0];
        prof_d[32'(cfg_addr_i)*ProfW + PF_RSUB]              = cfg_wdata_i[5];
        prof_d[32'(cfg_addr_i)*ProfW + PF_SPK]               = cfg_wdata_i[6];
        prof_d[32'(cfg_addr_i)*ProfW + PF_REFR +: RefrBits]  = cfg_wdata_i[16 +: RefrBits];
      end
    end
  end

  // ---------------------------------------------------------------------------------------
  // Debug reads: the value is shown in the cycle after cfg_re_i.
  // ---------------------------------------------------------------------------------------
  logic [3:0]  rd_mem_q, rd_mem_d;
  logic [7:0]  rd_chunk_q, rd_chunk_d;
  logic [2:0]  rd_field_q, rd_field_d;
  logic [63:0] rd_val_q, rd_val_d;
  logic [ProfW-1:0] rd_prof;

  assign rd_prof = (32'(cfg_addr_i) < NumProfiles) ? prof_q[32'(cfg_addr_i)*ProfW +: ProfW] : '0;

  always_comb begin
    rd_mem_d   = rd_mem_q;
    rd_chunk_d = rd_chunk_q;
    rd_field_d = rd_field_q;
    rd_val_d   = rd_val_q;
    if (cfg_re_i) begin
      rd_mem_d   = cfg_mem_i;
      rd_chunk_d = cfg_chunk_i;
      rd_field_d = cfg_addr_i[2:0];
      rd_val_d   = '0;
      unique case (cfg_mem_i)
        sf_pkg::MEM_NEURON: begin
          rd_val_d[31:0]  = 32'($signed(nc_rdata[0 +: BiasMantBits]));
          rd_val_d[39:32] = 8'(nc_rdata[BiasMantBits +: PIdxW]);
          rd_val_d[47:40] = 8'(nc_rdata[BiasMantBits+PIdxW +: RCntW]);
        end
        sf_pkg::MEM_ROUTE: begin
          rd_val_d = 64'(rt_rdata);
        end
        sf_pkg::MEM_PROFILE: begin
          if (cfg_chunk_i == 8'd0) begin
            rd_val_d[15:0]  = 16'(rd_prof[PF_DU +: sf_pkg::DECAY_W]);
            rd_val_d[31:16] = 16'(rd_prof[PF_DV +: sf_pkg::DECAY_W]);
            rd_val_d[55:32] = 24'(rd_prof[PF_VTH +: ThresholdBits]);
          end else if (cfg_chunk_i == 8'd1) begin
            rd_val_d[4:0]   = 5'(rd_prof[PF_EXP +: ExpW]);
            rd_val_d[5]     = rd_prof[PF_RSUB];
            rd_val_d[6]     = rd_prof[PF_SPK];
            rd_val_d[31:16] = 16'(rd_prof[PF_REFR +: RefrBits]);
          end
        end
        sf_pkg::MEM_CORE: begin
          unique case (cfg_addr_i)
            32'(sf_pkg::REG_N):       rd_val_d = 64'(n_q);
            32'(sf_pkg::REG_A):       rd_val_d = 64'(a_q);
            32'(sf_pkg::REG_LEARN):   rd_val_d = 64'(learn_q);
            32'(sf_pkg::REG_A_PLUS):  rd_val_d = 64'($signed(a_plus_q));
            32'(sf_pkg::REG_A_MINUS): rd_val_d = 64'($signed(a_minus_q));
            32'(sf_pkg::REG_SHIFT):   rd_val_d = 64'(shift_q);
            32'(sf_pkg::REG_X_DECAY): rd_val_d = 64'(x_decay_q);
            32'(sf_pkg::REG_Y_DECAY): rd_val_d = 64'(y_decay_q);
            32'(sf_pkg::REG_X_INC):   rd_val_d = 64'(x_inc_q);
            32'(sf_pkg::REG_Y_INC):   rd_val_d = 64'(y_inc_q);
            32'(sf_pkg::REG_W_MIN):   rd_val_d = 64'($signed(w_min_q));
            32'(sf_pkg::REG_W_MAX):   rd_val_d = 64'($signed(w_max_q));
            default:                  rd_val_d = '0;
          endcase
        end
        sf_pkg::MEM_STATE: begin
          rd_val_d = 64'(yt_rdata[(32'(cfg_addr_i >> 3) % WordSyn)*TraceBits +: TraceBits]);
        end
        sf_pkg::MEM_XTRACE: begin
          rd_val_d = 64'(xt_rdata);
        end
        default: begin
          rd_val_d = '0;
        end
      endcase
    end
  end

  always_comb begin
    cfg_rdata_o = rd_val_q;
    unique case (rd_mem_q)
      sf_pkg::MEM_XBAR:    cfg_rdata_o = 64'(PadW'(xbar_rdata) >> {rd_chunk_q, 6'b0});
      sf_pkg::MEM_PLASTIC: cfg_rdata_o = 64'(PlPadW'(pl_rdata) >> {rd_chunk_q, 6'b0});
      sf_pkg::MEM_STATE: begin
        unique case (32'(rd_field_q))
          sf_pkg::ST_U:     cfg_rdata_o = 64'($signed(ns_rdata[0 +: StateBits+1]));
          sf_pkg::ST_V:     cfg_rdata_o = 64'($signed(ns_rdata[StateBits+1 +: StateBits]));
          sf_pkg::ST_REFR:  cfg_rdata_o = 64'(ns_rdata[2*StateBits+1 +: RefrBits]);
          sf_pkg::ST_FIRED: cfg_rdata_o = 64'(ns_rdata[NStW-1]);
          default:          cfg_rdata_o = rd_val_q;
        endcase
      end
      default: cfg_rdata_o = rd_val_q;
    endcase
  end

  // ---------------------------------------------------------------------------------------
  // Counters (section 4.5) and idle.
  // ---------------------------------------------------------------------------------------
  logic [63:0] c_syn_q, c_syn_d, c_rows_q, c_rows_d, c_act_q, c_act_d, c_idle_q, c_idle_d;
  logic [63:0] c_spk_q, c_spk_d, c_pkt_q, c_pkt_d, c_learn_q, c_learn_d, c_busy_q, c_busy_d;
  logic [63:0] c_wrap_q, c_wrap_d;
  logic        work;

  assign work = integ_work || (eff_pass != sf_pkg::PASS_IDLE) || enc_work;

  always_comb begin
    c_syn_d   = c_syn_q + (integ_row_read ? 64'(integ_syn_ops) : 64'd0);
    c_rows_d  = c_rows_q + 64'(integ_row_read);
    c_act_d   = c_act_q + 64'(upd_s2_valid_q && nu_active);
    c_idle_d  = c_idle_q + 64'(upd_s2_valid_q && !nu_active);
    c_spk_d   = c_spk_q + 64'(upd_s2_valid_q && nu_spike);
    c_pkt_d   = c_pkt_q + 64'(flit_valid_o);
    c_learn_d = c_learn_q + (l3_s2_valid_q ? 64'(learn_cnt) : 64'd0);
    c_busy_d  = c_busy_q + 64'(in_step && work);
    c_wrap_d  = c_wrap_q + 64'(upd_s2_valid_q && nu_wrapped);
  end

  assign cnt_o = {c_wrap_q, c_busy_q, c_learn_q, c_pkt_q, c_spk_q, c_idle_q, c_act_q, c_rows_q, c_syn_q};

  assign idle_o = integ_idle && (eff_pass == sf_pkg::PASS_IDLE) && !upd_s2_valid_q &&
                  !l3_s2_valid_q && (!in_route || enc_empty);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      n_q            <= '0;
      a_q            <= '0;
      learn_q        <= 1'b0;
      a_plus_q       <= '0;
      a_minus_q      <= '0;
      shift_q        <= '0;
      x_decay_q      <= '0;
      y_decay_q      <= '0;
      x_inc_q        <= '0;
      y_inc_q        <= '0;
      w_min_q        <= '0;
      w_max_q        <= '0;
      prof_q         <= '0;
      pass_q         <= sf_pkg::PASS_IDLE;
      idx_q          <= '0;
      word_q         <= '0;
      any_fired_q    <= 1'b0;
      upd_s2_valid_q <= 1'b0;
      upd_s2_idx_q   <= '0;
      l3_s2_valid_q  <= 1'b0;
      l3_s2_addr_q   <= '0;
      l3_s2_word_q   <= '0;
      l3_s2_pre_q    <= 1'b0;
      l3_s2_x_q      <= '0;
      rd_mem_q       <= '0;
      rd_chunk_q     <= '0;
      rd_field_q     <= '0;
      rd_val_q       <= '0;
      c_syn_q        <= '0;
      c_rows_q       <= '0;
      c_act_q        <= '0;
      c_idle_q       <= '0;
      c_spk_q        <= '0;
      c_pkt_q        <= '0;
      c_learn_q      <= '0;
      c_busy_q       <= '0;
      c_wrap_q       <= '0;
    end else begin
      n_q            <= n_d;
      a_q            <= a_d;
      learn_q        <= learn_d;
      a_plus_q       <= a_plus_d;
      a_minus_q      <= a_minus_d;
      shift_q        <= shift_d;
      x_decay_q      <= x_decay_d;
      y_decay_q      <= y_decay_d;
      x_inc_q        <= x_inc_d;
      y_inc_q        <= y_inc_d;
      w_min_q        <= w_min_d;
      w_max_q        <= w_max_d;
      prof_q         <= prof_d;
      pass_q         <= pass_d;
      idx_q          <= idx_d;
      word_q         <= word_d;
      any_fired_q    <= any_fired_d;
      upd_s2_valid_q <= upd_s2_valid_d;
      upd_s2_idx_q   <= upd_s2_idx_d;
      l3_s2_valid_q  <= l3_s2_valid_d;
      l3_s2_addr_q   <= l3_s2_addr_d;
      l3_s2_word_q   <= l3_s2_word_d;
      l3_s2_pre_q    <= l3_s2_pre_d;
      l3_s2_x_q      <= l3_s2_x_d;
      rd_mem_q       <= rd_mem_d;
      rd_chunk_q     <= rd_chunk_d;
      rd_field_q     <= rd_field_d;
      rd_val_q       <= rd_val_d;
      c_syn_q        <= c_syn_d;
      c_rows_q       <= c_rows_d;
      c_act_q        <= c_act_d;
      c_idle_q       <= c_idle_d;
      c_spk_q        <= c_spk_d;
      c_pkt_q        <= c_pkt_d;
      c_learn_q      <= c_learn_d;
      c_busy_q       <= c_busy_d;
      c_wrap_q       <= c_wrap_d;
    end
  end

  // Assertions
`ifndef SYNTHESIS
  initial begin
    assert (WordSyn >= 1 && NumNeurons >= 1 && NumAxons >= 1) else $fatal(1, "sf_core: sizes");
    assert (NumNeurons <= 65536 && NumAxons <= 65536) else $fatal(1, "sf_core: at most 2^16");
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_cfg_write_paused : assert (!cfg_we_i || (phase_i == sf_pkg::PH_PAUSE))
        else $error("sf_core: configuration write while the chip is busy");
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_n_range : assert (32'(n_q) <= NumNeurons);
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_a_range : assert (32'(a_q) <= NumAxons);
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_no_integrate_in_compute : assert (!(integ_work && (eff_pass != sf_pkg::PASS_IDLE)))
        else $error("sf_core: integrate engine and sequencer both busy");
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_idle_known : assert (!$isunknown(idle_o));
    end
  end
`endif

endmodule
