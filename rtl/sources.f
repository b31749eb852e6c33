// The RTL in compilation order, one file a line. Read by Verilator (-F), CMake
// (rtl/sf_rtl.cmake), scripts/synth.sh and the model cache; comments are //.
sf_pkg.sv
sf_clk_gate.sv
sf_fifo.sv
sf_ram.sv
sf_regfile.sv
sf_neuron_unit.sv
sf_stdp_unit.sv
sf_trace_unit.sv
sf_integrate.sv
sf_encoder.sv
sf_core.sv
sf_router.sv
sf_host_port.sv
sf_ctrl.sv
sf_tile.sv
sf_chip.sv
