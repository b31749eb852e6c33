// sf_neuron_unit: the neuron update of docs/chip-spec.md section 5 (sf::fx::neuron_step),
// combinational. The core's update pipeline (microarchitecture.md section 4.2) feeds it in
// stage 2 and writes its results back.
//   u := wrap(decay(u, du + 1) + (a_in << 6))        wrap into (-2^(B_s-1), 2^(B_s-1)]
//   refractory > 0: refractory - 1, v := 0, no spike
//   else v := sat(decay(v, dv) + u + (bias_mant << bias_exp)); spike if spiking and
//        v > vth << 6, then v := 0 or v - (vth << 6) and refractory := the profile's.
// u is held in StateBits + 1 bits because its interval includes +2^(B_s-1).
module sf_neuron_unit #(
  parameter int StateBits     = 24,
  parameter int ThresholdBits = 17,
  parameter int BiasMantBits  = 13,
  parameter int BiasExpMax    = 7,
  parameter int RefrBits      = 4,
  localparam int ExpW = (BiasExpMax > 0) ? $clog2(BiasExpMax + 1) : 1
) (
  // The inputs hold a neuron to update (stage 2 of the update pass). When 0 every output
  // is 0 and nothing is computed: the core uses the outputs only in that stage, and a
  // simulator then skips the arithmetic in the core's other cycles.
  input  logic                             en_i,
  input  logic [StateBits:0]               u_i,
  input  logic [StateBits-1:0]             v_i,
  input  logic [RefrBits-1:0]              refr_i,
  input  logic [sf_pkg::ACC_W-1:0]         a_in_i,
  input  logic [sf_pkg::DECAY_W-1:0]       du_i,
  input  logic [sf_pkg::DECAY_W-1:0]       dv_i,
  input  logic [ThresholdBits-1:0]         vth_i,
  input  logic [BiasMantBits-1:0]          bias_mant_i,
  input  logic [ExpW-1:0]                  bias_exp_i,
  input  logic                             reset_sub_i,
  input  logic                             spiking_i,
  input  logic [RefrBits-1:0]              refr_set_i,
  output logic [StateBits:0]               u_o,
  output logic [StateBits-1:0]             v_o,
  output logic [RefrBits-1:0]              refr_o,
  output logic                             spike_o,
  output logic                             active_o,
  // u left (-2^(B_s-1), 2^(B_s-1)] and wrapped round (chip-spec section 8, state_wraps).
  output logic                             wrapped_o
);

  // Products of a state by a 13-bit decay factor (0..4096).
  localparam int ProdUW = StateBits + 1 + 14;
  localparam int ProdVW = StateBits + 14;
  // u is computed modulo 2^(StateBits + 1): only its low StateBits bits matter to the wrap.
  localparam int SumUW = StateBits + 1;
  // The bias reaches BiasMantBits + BiasExpMax bits; v's sum one more than its widest term.
  localparam int BiasW = BiasMantBits + BiasExpMax;
  localparam int VW = ((BiasW > StateBits + 1) ? BiasW : StateBits + 1) + 2;
  localparam int VthW = ThresholdBits + sf_pkg::VTH_SHIFT;
  // u's exact sum, before the wrap: wide enough for the decayed u and a_in << 6.
  localparam int AinW   = sf_pkg::ACC_W + sf_pkg::ACT_SHIFT;
  localparam int ExactW = ((ProdUW > AinW) ? ProdUW : AinW) + 1;

  logic signed [ProdUW-1:0] prod_u;
  logic signed [ProdUW-1:0] dec_u;
  logic signed [ProdVW-1:0] prod_v;
  logic signed [ProdVW-1:0] dec_v;
  logic [SumUW-1:0]         sum_u;
  logic [StateBits-1:0]     r_u;
  logic [StateBits:0]       u_new;
  logic signed [VW-1:0]     bias;
  logic signed [VW-1:0]     sum_v;
  logic signed [VW-1:0]     v_sat;
  logic signed [VW-1:0]     vth_s;
  logic signed [VW-1:0]     v_lim;
  logic signed [ExactW-1:0] exact_u;
  logic signed [ExactW-1:0] half_u;

  always_comb begin
    prod_u    = '0;
    dec_u     = '0;
    sum_u     = '0;
    exact_u   = '0;
    half_u    = '0;
    wrapped_o = 1'b0;
    r_u       = '0;
    u_new     = '0;
    prod_v    = '0;
    dec_v     = '0;
    bias      = '0;
    sum_v     = '0;
    v_lim     = '0;
    v_sat     = '0;
    vth_s     = '0;
    u_o       = '0;
    v_o       = '0;
    refr_o    = '0;
    spike_o   = 1'b0;
    active_o  = 1'b0;
    if (en_i) begin
      // Current: decay by (4096 - (du + 1)), magnitude shifted right by 12 (toward zero).
      prod_u = ProdUW'($signed(u_i)) * $signed({2'b0, 12'(12'd4095 - du_i)});
      dec_u  = (prod_u < 0) ? -((-prod_u) >>> sf_pkg::DECAY_SHIFT) : (prod_u >>> sf_pkg::DECAY_SHIFT);
      sum_u  = SumUW'(dec_u) + SumUW'({a_in_i, 6'b0});
      exact_u = ExactW'(dec_u) + ExactW'($signed({a_in_i, 6'b0}));
      half_u  = ExactW'(64'(1) << (StateBits - 1));
      wrapped_o = (exact_u > half_u) || (exact_u <= -half_u);
      r_u    = sum_u[StateBits-1:0];
      // r_u is u mod 2^B_s; values above 2^(B_s-1) wrap to r_u - 2^B_s (negative).
      if (r_u[StateBits-1] && (r_u[StateBits-2:0] != '0)) begin
        u_new = {1'b1, r_u};
      end else begin
        u_new = {1'b0, r_u};
      end

      prod_v = ProdVW'($signed(v_i)) * $signed({1'b0, 13'(13'd4096 - {1'b0, dv_i})});
      dec_v  = (prod_v < 0) ? -((-prod_v) >>> sf_pkg::DECAY_SHIFT) : (prod_v >>> sf_pkg::DECAY_SHIFT);
      bias   = VW'($signed(bias_mant_i)) <<< bias_exp_i;
      sum_v  = VW'(dec_v) + VW'($signed(u_new)) + bias;
      v_lim  = VW'((64'(1) << (StateBits - 1)) - 1);
      if (sum_v > v_lim) begin
        v_sat = v_lim;
      end else if (sum_v < -v_lim) begin
        v_sat = -v_lim;
      end else begin
        v_sat = sum_v;
      end
      vth_s = VW'({1'b0, vth_i, 6'b0});

      u_o      = u_new;
      v_o      = v_sat[StateBits-1:0];
      refr_o   = refr_i;
      spike_o  = 1'b0;
      if (refr_i != '0) begin
        refr_o = refr_i - 1'b1;
        v_o    = '0;
      end else if (spiking_i && (v_sat > vth_s)) begin
        spike_o = 1'b1;
        v_o     = reset_sub_i ? StateBits'(v_sat - vth_s) : '0;
        refr_o  = refr_set_i;
      end
      active_o = (a_in_i != '0) || (u_i != '0) || (v_i != '0) || (refr_i != '0);
    end
  end

  // Assertions
`ifndef SYNTHESIS
  initial begin
    assert (StateBits >= 8 && StateBits <= 31) else $fatal(1, "sf_neuron_unit: StateBits 8..31");
    assert (VthW < VW + 1) else $fatal(1, "sf_neuron_unit: threshold wider than v");
  end
`endif

endmodule
