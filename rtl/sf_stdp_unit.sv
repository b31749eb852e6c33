// sf_stdp_unit: the weight update of docs/chip-spec.md section 6 (sf::fx::stdp_weight) for
// the S lanes of one crossbar word, combinational. The core's L3 pass
// (microarchitecture.md section 4.3) feeds it a word read in stage 1 and writes back the
// result in stage 2. A lane is updated when it is in use, plastic, and its axon had a pre
// spike or its neuron a post spike:
//   w' = clamp(w - (pre ? (a_minus * y) >> shift : 0) + (post ? (a_plus * x) >> shift : 0),
//              w_min, w_max)                      >> arithmetic (floor)
module sf_stdp_unit #(
  parameter int WordSyn    = 16,
  parameter int WeightBits = 8,
  parameter int TraceBits  = 8,
  parameter int LearnW     = 16   // a_plus, a_minus: signed, as int16 weights are stored
) (
  input  logic [WordSyn*WeightBits-1:0] w_i,
  input  logic [WordSyn-1:0]            lane_en_i,   // lane holds a neuron in use and is plastic
  input  logic                          pre_i,       // the row's axon had a pre spike
  input  logic [WordSyn-1:0]            post_i,      // the lanes' neurons fired this step
  input  logic [TraceBits-1:0]          x_i,         // the axon's pre trace (after L1)
  input  logic [WordSyn*TraceBits-1:0]  y_i,         // the lanes' post traces (after L2)
  input  logic [LearnW-1:0]             a_plus_i,
  input  logic [LearnW-1:0]             a_minus_i,
  input  logic [4:0]                    shift_i,
  input  logic [WeightBits-1:0]         w_min_i,
  input  logic [WeightBits-1:0]         w_max_i,
  output logic [WordSyn*WeightBits-1:0] w_o,
  output logic [WordSyn-1:0]            upd_o        // lanes recomputed (learn_updates)
);

  localparam int ProdW = LearnW + TraceBits + 1;
  localparam int SumW  = ((ProdW > WeightBits) ? ProdW : WeightBits) + 2;

  logic signed [ProdW-1:0] pot;

  // Potentiation depends only on the axon, so it is computed once per word.
  assign pot = ($signed(ProdW'($signed(a_plus_i))) * $signed({1'b0, x_i})) >>> shift_i;

  // The lanes are computed only when one is enabled: with none, w_o = w_i and upd_o = 0
  // either way, and a simulator then skips the loop (a core that does not learn is in that
  // case in every cycle).
  logic signed [ProdW-1:0] dep;
  logic signed [SumW-1:0]  r;
  logic [TraceBits-1:0]    y;

  always_comb begin
    w_o   = w_i;
    upd_o = '0;
    dep   = '0;
    r     = '0;
    y     = '0;
    if (lane_en_i != '0) begin
      for (int j = 0; j < WordSyn; j++) begin
        y   = y_i[j*TraceBits +: TraceBits];
        dep = ($signed(ProdW'($signed(a_minus_i))) * $signed({1'b0, y})) >>> shift_i;
        r   = SumW'($signed(w_i[j*WeightBits +: WeightBits]));
        if (pre_i) begin
          r = r - SumW'(dep);
        end
        if (post_i[j]) begin
          r = r + SumW'(pot);
        end
        if (r < SumW'($signed(w_min_i))) begin
          r = SumW'($signed(w_min_i));
        end
        if (r > SumW'($signed(w_max_i))) begin
          r = SumW'($signed(w_max_i));
        end
        if (lane_en_i[j] && (pre_i || post_i[j])) begin
          w_o[j*WeightBits +: WeightBits] = r[WeightBits-1:0];
          upd_o[j] = 1'b1;
        end
      end
    end
  end

endmodule
