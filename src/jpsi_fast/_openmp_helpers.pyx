"""Build-time OpenMP information and thread-count resolution shared by all kernels."""
import os

from ._openmp_helpers cimport JPSI_FAST_HAVE_OPENMP, omp_get_max_threads


def openmp_enabled():
    """True when the extensions were compiled with OpenMP (otherwise every kernel runs on one thread)."""
    return bool(JPSI_FAST_HAVE_OPENMP)


def max_threads():
    """Threads OpenMP would use by default (``OMP_NUM_THREADS`` or the number of cores); 1 without OpenMP."""
    return int(omp_get_max_threads())


#: the most threads one call may use: 4 per core (at least 16), at most 1024 (OpenMP runtimes fail or crash
#: creating many thousands)
MAX_THREADS = min(1024, max(16, 4 * (os.cpu_count() or 1)))


def resolve_n_threads(n_threads=None):
    """Turn a user's ``n_threads`` into a thread count in [1, MAX_THREADS].

    ``None`` -> OpenMP's default (``OMP_NUM_THREADS`` or the core count, capped); a positive int is used as is;
    a negative int counts back from the core count like joblib (-1 = all cores, -2 = all but one). 0, a count
    above :data:`MAX_THREADS` or below -cores raise ``ValueError``; a non-integer ``TypeError``. Without OpenMP
    every value resolves to 1 (after the same validation).
    """
    cores = os.cpu_count() or 1
    if n_threads is None:
        n = min(omp_get_max_threads(), MAX_THREADS)
    else:
        if isinstance(n_threads, bool) or not hasattr(n_threads, "__index__"):
            raise TypeError(f"n_threads must be an int or None, got {type(n_threads).__name__}")
        n = int(n_threads.__index__())
        if n == 0 or n > MAX_THREADS or n < -cores:
            raise ValueError(f"n_threads must be in [1, {MAX_THREADS}] (that many threads) or [-{cores}, -1] "
                             f"(cores + 1 + n_threads, as in joblib), or None; got {n}")
        if n < 0:
            n = cores + 1 + n
    return int(n) if JPSI_FAST_HAVE_OPENMP else 1
