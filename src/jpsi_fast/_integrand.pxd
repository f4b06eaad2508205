# The compiled integrand interface of the VEGAS+ engine (jpsi_fast._vegas), in the spirit of vegas's
# BatchIntegrand and scikit-learn's _loss classes: the engine only knows this class. Subclass it in your own
# Cython module (``from jpsi_fast._integrand cimport Integrand``; see examples/user_integrand/) and implement
# ``evaluate``.
#
# The integration region is the unit hypercube [0, 1]^dim; an integrand maps it onto its physical region itself
# and includes that map's Jacobian in its values. It writes ``n_components`` *base* values per point; its
# ``layout`` (jpsi_fast.components) names them and says which reported components are linear combinations of
# them (e.g. T = U - L).

cdef class Integrand:
    cdef readonly int dim                   # dimension of the unit hypercube
    cdef readonly Py_ssize_t n_components   # base values written per point
    cdef readonly int n_observables         # values per point written to ``obs`` (>= dim)
    cdef readonly bint needs_python         # True: values come from Python (the engine runs record/replay passes)
    cdef public object layout               # jpsi_fast.components.Layout or GenericLayout
    cdef public tuple observable_names      # names of the ``obs`` columns; the first ``dim`` = the physical point
    cdef readonly double value_scale        # evaluate() writes values / value_scale; results are scaled back

    cdef void evaluate(self, Py_ssize_t n, const double* u, double* obs, double* f,
                       Py_ssize_t first) noexcept nogil
        # IN  u[n * dim]: points of the unit hypercube (row-major, 0 <= u <= 1)
        # OUT obs[n * n_observables]: the physical point and further observables of each point (histogram axes,
        #     event columns)
        # OUT f[n * n_components]: integrand x Jacobian of the unit-cube -> physical map; 0 outside the region
        # IN  first: index of the first point within the engine's current block (record/replay integrands)

    cdef void record(self, Py_ssize_t n, const double* u, double* obs, Py_ssize_t first) noexcept nogil
        # needs_python integrands only: store the points of a block (first pass); evaluate() replays them


cdef class CallableIntegrand(Integrand):
    cdef object f
    cdef double[::1] lo
    cdef double[::1] width
    cdef double volume
    cdef double inv_scale
    cdef double[:, ::1] points              # [block, dim] recorded physical points
    cdef double[:, ::1] values              # [block, n_components] the callable's values there
    cdef object _bounds
    cdef object _names
    cdef void _to_box(self, Py_ssize_t n, const double* u, double* obs) noexcept nogil
