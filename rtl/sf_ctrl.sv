// sf_ctrl: the timestep controller and barrier (docs/microarchitecture.md section 7).
// phase: PAUSE, INTEG, COMPUTE, ROUTE, CLEAR; age counts the cycles since the phase began,
// saturating at 2. all_idle_q holds the AND of every block's idle as it was in the previous
// cycle (a one-stage idle tree). A phase that began in cycle s ends in the first cycle
// c >= s + 2 with all_idle_q = 1, and the next phase begins in cycle c + 1.
// phase, age and last sit behind a clock gate (microarchitecture.md section 13): they are
// clocked only in the cycles in which one of them changes, which is what keeps the tiles
// that read them quiet between phase changes.
module sf_ctrl (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,
  input  logic        start_last_i,
  input  logic        clear_i,
  input  logic        all_idle_i,     // AND of the tiles' and the host port's idle
  output logic [2:0]  phase_o,
  output logic [1:0]  age_o,
  output logic        last_o,
  output logic        start_o,        // a start accepted in this PAUSE cycle
  output logic        busy_o,
  // Counters: cycles (sum of step cycles), steps run.
  output logic [2*64-1:0] cnt_o
);

  sf_pkg::phase_e phase_q, phase_d;
  logic [1:0]     age_q, age_d;
  logic           all_idle_q;
  logic           last_q, last_d;
  logic [63:0]    c_cycles_q, c_cycles_d, c_steps_q, c_steps_d;
  logic           phase_done;
  logic           ph_en, ph_clk;

  assign phase_done = (age_q == 2'd2) && all_idle_q;
  assign start_o    = (phase_q == sf_pkg::PH_PAUSE) && start_i;

  always_comb begin
    phase_d    = phase_q;
    age_d      = (age_q == 2'd2) ? 2'd2 : age_q + 2'd1;
    last_d     = last_q;
    c_steps_d  = c_steps_q;
    unique case (phase_q)
      sf_pkg::PH_PAUSE: begin
        age_d = 2'd0;
        if (start_i) begin
          phase_d = sf_pkg::PH_INTEG;
          last_d  = start_last_i;
        end else if (clear_i) begin
          phase_d = sf_pkg::PH_CLEAR;
        end
      end
      sf_pkg::PH_INTEG: begin
        if (phase_done) begin
          phase_d = sf_pkg::PH_COMPUTE;
          age_d   = 2'd0;
        end
      end
      sf_pkg::PH_COMPUTE: begin
        if (phase_done) begin
          phase_d = sf_pkg::PH_ROUTE;
          age_d   = 2'd0;
        end
      end
      sf_pkg::PH_ROUTE: begin
        if (phase_done) begin
          phase_d   = sf_pkg::PH_PAUSE;
          age_d     = 2'd0;
          c_steps_d = c_steps_q + 64'd1;
        end
      end
      sf_pkg::PH_CLEAR: begin
        if (phase_done) begin
          phase_d = sf_pkg::PH_PAUSE;
          age_d   = 2'd0;
        end
      end
      default: begin
        phase_d = sf_pkg::PH_PAUSE;
        age_d   = 2'd0;
      end
    endcase
    c_cycles_d = c_cycles_q + 64'((phase_q == sf_pkg::PH_INTEG) ||
                                  (phase_q == sf_pkg::PH_COMPUTE) ||
                                  (phase_q == sf_pkg::PH_ROUTE));
  end

  assign phase_o = phase_q;
  assign age_o   = age_q;
  assign last_o  = last_q;
  assign busy_o  = (phase_q != sf_pkg::PH_PAUSE);
  assign cnt_o   = {c_steps_q, c_cycles_q};

  // Clock gate of phase, age and last.
  assign ph_en = !rst_ni || (phase_d != phase_q) || (age_d != age_q) || (last_d != last_q);

  sf_clk_gate u_ph_gate (
    .clk_i (clk_i),
    .en_i  (ph_en),
    .clk_o (ph_clk)
  );

  always_ff @(posedge ph_clk) begin
    if (!rst_ni) begin
      phase_q <= sf_pkg::PH_PAUSE;
      age_q   <= 2'd0;
      last_q  <= 1'b0;
    end else begin
      phase_q <= phase_d;
      age_q   <= age_d;
      last_q  <= last_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      all_idle_q <= 1'b1;
      c_cycles_q <= '0;
      c_steps_q  <= '0;
    end else begin
      all_idle_q <= all_idle_i;
      c_cycles_q <= c_cycles_d;
      c_steps_q  <= c_steps_d;
    end
  end

`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_phase_valid : assert (phase_q inside {sf_pkg::PH_PAUSE, sf_pkg::PH_INTEG, sf_pkg::PH_COMPUTE, sf_pkg::PH_ROUTE, sf_pkg::PH_CLEAR});
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_busy_known : assert (!$isunknown(busy_o));
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni) begin
      a_no_start_busy : assert (!(start_i || clear_i) || (phase_q == sf_pkg::PH_PAUSE))
        else $error("sf_ctrl: start or clear while the chip is busy");
    end
  end
`endif

endmodule
