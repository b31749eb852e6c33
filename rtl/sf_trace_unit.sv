// sf_trace_unit: STDP trace arithmetic of docs/chip-spec.md section 6 (sf::fx::trace_decay,
// sf::fx::trace_add), combinational: optionally decay, x := (x * (4096 - d)) >> 12 (floor),
// then optionally add, x := min(x + inc, 2^TraceBits - 1).
module sf_trace_unit #(
  parameter int TraceBits = 8
) (
  input  logic [TraceBits-1:0]       x_i,
  input  logic                       decay_en_i,
  input  logic [sf_pkg::DECAY_W-1:0] decay_i,
  input  logic                       add_en_i,
  input  logic [TraceBits-1:0]       inc_i,
  output logic [TraceBits-1:0]       x_o
);

  localparam int ProdW = TraceBits + 13;

  logic [ProdW-1:0]     prod;
  logic [TraceBits-1:0] dec;
  logic [TraceBits:0]   sum;

  always_comb begin
    prod = ProdW'(x_i) * ProdW'(13'(13'd4096 - {1'b0, decay_i}));
    dec  = decay_en_i ? prod[sf_pkg::DECAY_SHIFT +: TraceBits] : x_i;
    sum  = {1'b0, dec} + {1'b0, inc_i};
    if (!add_en_i) begin
      x_o = dec;
    end else if (sum[TraceBits]) begin
      x_o = '1;
    end else begin
      x_o = sum[TraceBits-1:0];
    end
  end

endmodule
