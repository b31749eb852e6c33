// sf_pkg: constants shared by every block of the spikeforge chip. Everything that depends
// on the chip YAML (mesh size, neurons, axons, widths, FIFO depths) is a module parameter
// of sf_chip instead (set with Verilator -G); this package holds only what
// docs/microarchitecture.md fixes for every chip: the flit layout, port numbering, phase
// encoding, configuration memory map and counter indices.
package sf_pkg;

  // Flit (microarchitecture.md section 2): axon [15:0], y [23:16], x [31:24], host [32].
  localparam int FLIT_W      = 33;
  localparam int FLIT_AXON_W = 16;
  localparam int FLIT_Y_LSB  = 16;
  localparam int FLIT_X_LSB  = 24;
  localparam int FLIT_COORD_W = 8;
  localparam int FLIT_HOST   = 32;

  // Router ports, in arbitration order (section 3).
  localparam int NUM_PORTS = 5;
  localparam int PORT_L = 0;
  localparam int PORT_N = 1;
  localparam int PORT_E = 2;
  localparam int PORT_S = 3;
  localparam int PORT_W = 4;

  // Timestep controller phases (section 7).
  typedef enum logic [2:0] {
    PH_PAUSE   = 3'd0,
    PH_INTEG   = 3'd1,
    PH_COMPUTE = 3'd2,
    PH_ROUTE   = 3'd3,
    PH_CLEAR   = 3'd4
  } phase_e;

  // Work passes of a core's sequencer (sections 4.2, 4.3 and CLEAR).
  typedef enum logic [2:0] {
    PASS_IDLE = 3'd0,
    PASS_UPD  = 3'd1,
    PASS_L1   = 3'd2,
    PASS_L2   = 3'd3,
    PASS_L3   = 3'd4,
    PASS_L4   = 3'd5,
    PASS_CLR  = 3'd6
  } pass_e;

  // Fixed-point constants (chip-spec section 5, sf::fx).
  localparam int DECAY_SHIFT = 12;  // decays are fractions of 4096
  localparam int DECAY_W     = 12;  // du, dv, x_decay, y_decay: 0..4095
  localparam int ACT_SHIFT   = 6;   // a_in enters u as a_in << 6
  localparam int VTH_SHIFT   = 6;   // the threshold is vth << 6
  localparam int ACC_W       = 32;  // input accumulators wrap at 32 bits (section 4.1)
  localparam int CNT_W       = 64;  // event counters

  // Configuration and debug port (section 6).
  localparam int CFG_W      = 64;
  localparam int CFG_TILE_W = 16;
  localparam int CFG_MEM_W  = 4;
  localparam int CFG_ADDR_W = 32;
  localparam int CFG_CHUNK_W = 8;

  localparam logic [3:0] MEM_XBAR     = 4'd0;
  localparam logic [3:0] MEM_PLASTIC  = 4'd1;
  localparam logic [3:0] MEM_NEURON   = 4'd2;
  localparam logic [3:0] MEM_ROUTE    = 4'd3;
  localparam logic [3:0] MEM_PROFILE  = 4'd4;
  localparam logic [3:0] MEM_CORE     = 4'd5;
  localparam logic [3:0] MEM_STATE    = 4'd6;
  localparam logic [3:0] MEM_XTRACE   = 4'd7;
  localparam logic [3:0] MEM_COUNTERS = 4'd8;
  localparam logic [3:0] MEM_ROUTER   = 4'd9;

  // CORE registers (mem 5).
  localparam int REG_N       = 0;
  localparam int REG_A       = 1;
  localparam int REG_LEARN   = 2;
  localparam int REG_A_PLUS  = 3;
  localparam int REG_A_MINUS = 4;
  localparam int REG_SHIFT   = 5;
  localparam int REG_X_DECAY = 6;
  localparam int REG_Y_DECAY = 7;
  localparam int REG_X_INC   = 8;
  localparam int REG_Y_INC   = 9;
  localparam int REG_W_MIN   = 10;
  localparam int REG_W_MAX   = 11;

  // STATE fields (mem 6, address n * 8 + f).
  localparam int ST_U     = 0;
  localparam int ST_V     = 1;
  localparam int ST_REFR  = 2;
  localparam int ST_YTR   = 3;
  localparam int ST_FIRED = 4;

  // Tile counters (mem 8).
  localparam int CNT_SYN_OPS   = 0;
  localparam int CNT_ROW_READS = 1;
  localparam int CNT_ACTIVE    = 2;
  localparam int CNT_IDLE      = 3;
  localparam int CNT_SPIKES    = 4;
  localparam int CNT_PACKETS   = 5;
  localparam int CNT_HOPS_EW   = 6;
  localparam int CNT_HOPS_NS   = 7;
  localparam int CNT_LEARN     = 8;
  localparam int CNT_BUSY      = 9;
  localparam int CNT_STALL     = 10;
  localparam int CNT_MAX_OCC   = 11;
  localparam int CNT_SENT_N    = 12;  // 12..15: N, E, S, W
  localparam int CNT_TO_L      = 16;
  localparam int CNT_WRAPS     = 17;  // neuron updates whose u wrapped (chip-spec section 8)
  localparam int NUM_TILE_CNT  = 18;
  // Counters kept by the core (the rest are the router's), in this order.
  localparam int NUM_CORE_CNT  = 9;  // syn_ops, row_reads, active, idle, spikes, packets, learn,
                                     // busy, state wraps

  // Chip counters (tile W * H).
  localparam int CCNT_CYCLES  = 0;
  localparam int CCNT_PACKETS = 1;
  localparam int CCNT_HOPS_EW = 2;
  localparam int CCNT_STEPS   = 3;
  localparam int CCNT_TO_HOST = 4;
  localparam int NUM_CHIP_CNT = 5;

endpackage
