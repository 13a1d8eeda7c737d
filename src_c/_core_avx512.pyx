# The kernel compiled for the "avx512" instruction-set level; see _core_kernel.pxi.
include "_core_kernel.pxi"

VARIANT = "avx512"
