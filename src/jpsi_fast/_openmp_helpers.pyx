"""Build-time OpenMP information and thread-count resolution shared by all kernels."""
import os

from ._openmp_helpers cimport JPSI_FAST_HAVE_OPENMP, omp_get_max_threads


def openmp_enabled():
    """True when the extensions were compiled with OpenMP (otherwise every kernel runs on one thread)."""
    return bool(JPSI_FAST_HAVE_OPENMP)


def max_threads():
    """Threads OpenMP would use by default (``OMP_NUM_THREADS`` or the number of cores); 1 without OpenMP."""
    return int(omp_get_max_threads())


def resolve_n_threads(n_threads=None):
    """Turn a user's ``n_threads`` into a positive thread count.

    ``None`` -> OpenMP's default (``OMP_NUM_THREADS`` or the core count); a positive int is used as is;
    a negative int counts back from the core count like joblib (-1 = all cores, -2 = all but one).
    0 raises ``ValueError``. Without OpenMP every value resolves to 1 (after the same validation).
    """
    if n_threads is None:
        n = omp_get_max_threads()
    else:
        if isinstance(n_threads, bool) or not isinstance(n_threads, (int,)) and not hasattr(n_threads, "__index__"):
            raise TypeError(f"n_threads must be an int or None, got {type(n_threads).__name__}")
        n_threads = int(n_threads)
        if n_threads == 0:
            raise ValueError("n_threads must be a non-zero int (positive: that many threads; "
                             "negative: cores + 1 + n_threads, as in joblib), got 0")
        n = n_threads if n_threads > 0 else max(1, (os.cpu_count() or 1) + 1 + n_threads)
    return int(n) if JPSI_FAST_HAVE_OPENMP else 1
