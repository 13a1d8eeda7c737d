# The kernel compiled for the "baseline" instruction-set level; see _core_kernel.pxi.
include "_core_kernel.pxi"

VARIANT = "baseline"
