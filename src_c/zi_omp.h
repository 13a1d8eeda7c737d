/* OpenMP shim: a build without OpenMP still compiles and runs serially. */
#ifndef ZI_OMP_H
#define ZI_OMP_H
#ifdef _OPENMP
#include <omp.h>
static int zi_omp_max_threads(void) { return omp_get_max_threads(); }
static int zi_has_openmp(void) { return 1; }
#else
static int zi_omp_max_threads(void) { return 1; }
static int zi_has_openmp(void) { return 0; }
#endif
#endif
