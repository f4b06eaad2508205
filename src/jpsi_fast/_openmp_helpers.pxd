# OpenMP shims so every module compiles with or without OpenMP (pattern of sklearn/utils/_openmp_helpers).
cdef extern from *:
    """
    #ifdef _OPENMP
        #include <omp.h>
        #define JPSI_FAST_HAVE_OPENMP 1
    #else
        #define JPSI_FAST_HAVE_OPENMP 0
        #define omp_get_max_threads() 1
        #define omp_get_thread_num() 0
    #endif
    """
    bint JPSI_FAST_HAVE_OPENMP
    int omp_get_max_threads() nogil
    int omp_get_thread_num() nogil
