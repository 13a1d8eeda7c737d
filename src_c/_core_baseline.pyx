# The kernel compiled for the "baseline" instruction-set level; see _core_impl.pxi.
include "_core_impl.pxi"

VARIANT = "baseline"
