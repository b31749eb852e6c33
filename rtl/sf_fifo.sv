// sf_fifo: the FIFO of docs/microarchitecture.md section 0. Depth entries and a count
// register; one push and one pop per cycle, both allowed at once. The producer checks
// `count < Depth` (full_o low) and the consumer `count > 0` (empty_o low) from register
// values at the start of the cycle, so a full FIFO popped in a cycle does not accept a push
// in that cycle. A pushed entry is at the head from the next cycle on.
module sf_fifo #(
  parameter int Width = 33,
  parameter int Depth = 4,
  localparam int PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int CountW = $clog2(Depth + 1)
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              push_i,
  input  logic [Width-1:0]  wdata_i,
  input  logic              pop_i,
  output logic [Width-1:0]  head_o,
  output logic [CountW-1:0] count_o,
  output logic              full_o,
  output logic              empty_o
);

  logic [Width-1:0]  mem_q [Depth];
  logic [PtrW-1:0]   rptr_q, rptr_d, wptr_q, wptr_d;
  logic [CountW-1:0] count_q, count_d;

  function automatic logic [PtrW-1:0] ptr_inc(input logic [PtrW-1:0] p);
    ptr_inc = (32'(p) == Depth - 1) ? '0 : p + 1'b1;
  endfunction

  always_comb begin
    rptr_d  = rptr_q;
    wptr_d  = wptr_q;
    count_d = count_q;
    if (push_i) begin
      wptr_d = ptr_inc(wptr_q);
    end
    if (pop_i) begin
      rptr_d = ptr_inc(rptr_q);
    end
    unique case ({push_i, pop_i})
      2'b10:   count_d = count_q + 1'b1;
      2'b01:   count_d = count_q - 1'b1;
      default: count_d = count_q;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      rptr_q  <= '0;
      wptr_q  <= '0;
      count_q <= '0;
    end else begin
      rptr_q  <= rptr_d;
      wptr_q  <= wptr_d;
      count_q <= count_d;
    end
  end

  // Storage: a register file written at the tail (no reset, like an SRAM).
  always_ff @(posedge clk_i) begin
    if (push_i) begin
      mem_q[wptr_q] <= wdata_i;
    end
  end

  assign head_o  = mem_q[rptr_q];
  assign count_o = count_q;
  assign full_o  = (32'(count_q) == Depth);
  assign empty_o = (count_q == '0);

  // Assertions
`ifndef SYNTHESIS
  initial begin
    assert (Depth >= 1) else $fatal(1, "sf_fifo: Depth must be at least 1");
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_no_push_full : assert (!(push_i && full_o))
        else $error("sf_fifo: push into a full FIFO");
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_no_pop_empty : assert (!(pop_i && empty_o))
        else $error("sf_fifo: pop from an empty FIFO");
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_count_known : assert (!$isunknown(count_q));
    end
  end
`endif

endmodule
