# The kernel compiled for the "avx2" instruction-set level; see _core_impl.pxi.
include "_core_impl.pxi"

VARIANT = "avx2"
