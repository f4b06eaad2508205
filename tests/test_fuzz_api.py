"""Property-based fuzzing of the Python API against its contract: bad input raises a clear ValueError (naming the
argument) or TypeError (wrong type) -- never a crash, a hang, a silent NaN/inf, a negative cross section or a wrong
number; every output is finite for every accepted input.

Default run: a few hundred examples per property (< 60 s). ``-m slow``: the same properties with >= 100,000
examples in all (< 10 minutes on 2 cores).
"""
from __future__ import annotations

import math
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st

import jpsi_fast as jf
from jpsi_fast import _openmp_helpers
from jpsi_fast.params import FIELD_RANGES, LIGHT_FLAVOURS, PT_MAX, Q_RANGE, TMD_PDF_MODELS, X_MIN, Z_MIN

from _fuzz_helpers import CallTimeout, make_lhagrid, time_limit

CORES = os.cpu_count() or 1
MAX_THREADS = _openmp_helpers.MAX_THREADS
ONE_BELOW_1 = float(np.nextafter(1.0, 0.0))
TINY = 5e-324


def _settings(n, shrink=True):
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=n, deadline=None, database=None, print_blob=True, phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


def fuzz(fast, slow, **strategies):
    """A default-run test of ``fast`` examples (failures reported as found, not shrunk: the assertion messages
    name the offending values) and a ``-m slow`` twin of ``slow`` examples (failures shrunk to a minimal
    example) of one property."""
    def deco(fn):
        t_fast = _settings(fast, shrink=False)(given(**strategies)(fn))
        t_slow = pytest.mark.slow(_settings(slow)(given(**strategies)(fn)))
        return t_fast, t_slow
    return deco


def names_arg(exc, name):
    """The exception message names ``name`` (as a word, e.g. "x must be ...", "Params.M must be ...")."""
    return re.search(rf"(^|[^A-Za-z0-9_]){re.escape(name)}([^A-Za-z0-9_]|$)", str(exc)) is not None


# ------------------------------------------------------------------------------------------------ strategies
def log_uniform(lo, hi):
    """Log-uniform floats in [lo, hi] (lo > 0), clipped into the interval."""
    a, b = math.log10(lo), math.log10(hi)
    return st.floats(a, b).map(lambda e: float(min(max(10.0 ** e, lo), hi)))


def in_range(lo, hi, extra=()):
    """Floats in [lo, hi]: the edges, uniform and (lo > 0) log-uniform."""
    parts = [st.sampled_from([float(lo), float(hi), *extra]), st.floats(lo, hi)]
    if lo > 0:
        parts.append(log_uniform(lo, hi))
    else:
        parts.append(log_uniform(1e-300, hi))
    return st.one_of(*parts)


def mu_min(lam, n_f):
    """Smallest scale with one-loop alpha_s <= 1 (params.ALPHA_S_MAX)."""
    return lam * math.exp(2.0 * math.pi / (11.0 - 2.0 * n_f / 3.0))


@st.composite
def params_kwargs(draw, tmd_pdf=None, sqrt_s=None):
    """Keyword arguments of a valid Params: every field inside FIELD_RANGES (edges included), the scales above
    the alpha_s <= 1 limit."""
    kw = {}
    for name, (lo, hi, _) in FIELD_RANGES.items():
        if name in ("n_f", "n_c"):
            kw[name] = draw(st.integers(lo, hi))
        elif name not in ("M", "mu_ff", "mu_pgf"):
            kw[name] = draw(in_range(lo, hi))
    m = mu_min(kw["lambda_qcd"], kw["n_f"]) * (1 + 1e-9)
    kw["mu_ff"] = draw(st.one_of(st.none(), in_range(max(m, 1e-3), 1e5)))
    kw["M"] = draw(in_range(max(1.0, m) if kw["mu_ff"] is None else 1.0, 20.0))
    kw["mu_pgf"] = draw(in_range(max(m, 1e-3), 1e5))
    if sqrt_s is not None:
        kw["sqrt_s"] = draw(sqrt_s)
    kw["flavours"] = tuple(draw(st.lists(st.sampled_from(LIGHT_FLAVOURS), min_size=1, max_size=6, unique=True)))
    kw["tmd_pdf"] = draw(st.sampled_from(TMD_PDF_MODELS)) if tmd_pdf is None else tmd_pdf
    return kw


# accepted kinematic inputs of CrossSection.evaluate (x, z in [1e-9, 1), Q in [1e-3, 1e6] GeV, P_T in [0, 1e6] GeV)
X_VALUES = st.one_of(st.sampled_from([X_MIN, float(np.nextafter(X_MIN, 1)), 0.5, ONE_BELOW_1, 1 - 1e-9, 0.1]),
                     log_uniform(X_MIN, ONE_BELOW_1), st.floats(X_MIN, 1.0, exclude_max=True))
Z_VALUES = st.one_of(st.sampled_from([Z_MIN, 0.5, ONE_BELOW_1, 1 - 1e-9, 0.999]),
                     log_uniform(Z_MIN, ONE_BELOW_1), st.floats(Z_MIN, 1.0, exclude_max=True))
Q_VALUES = st.one_of(st.sampled_from([Q_RANGE[0], Q_RANGE[1], 1.0, 3.1, 10.0]), log_uniform(*Q_RANGE),
                     st.floats(*Q_RANGE))
PT_VALUES = st.one_of(st.sampled_from([0.0, -0.0, TINY, 1e-300, PT_MAX, 1e-8, 1.0]), log_uniform(1e-12, PT_MAX),
                      st.floats(0.0, PT_MAX))


@st.composite
def kinematic_points(draw, max_n=12):
    """Four 1-D arrays of accepted points (x, z, Q, P_T), some arguments as scalars (broadcast)."""
    n = draw(st.integers(1, max_n))
    cols = []
    for values in (X_VALUES, Z_VALUES, Q_VALUES, PT_VALUES):
        if draw(st.booleans()) and n > 1:
            cols.append(np.full(n, draw(values)))
        else:
            cols.append(np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=float))
    return cols


_GRID = {}


def _pdf(kind):
    """GRV94LO (embedded), or the small test grid with extrapolate None or "nearest"."""
    if kind == "GRV94LO":
        return jf.pdf.GRV94LO()
    if kind not in _GRID:
        import tempfile
        folder = tempfile.mkdtemp(prefix="jpsi_fuzz_grid_")
        _GRID[kind] = jf.pdf.LHAGrid(make_lhagrid(folder), extrapolate=None if kind == "grid" else "nearest")
    return _GRID[kind]


# ================================================================================================ Params
@fuzz(250, 3_000, kw=params_kwargs())
def _params_valid(kw):
    p = jf.Params(**kw)
    for name, (lo, hi, _) in FIELD_RANGES.items():
        v = getattr(p, name)
        if v is not None:
            assert lo <= v <= hi and v == kw[name]
    assert p.replace() == p and hash(p) == hash(p.replace())


test_params_valid, test_params_valid_slow = _params_valid


@st.composite
def one_field_in_range(draw):
    name = draw(st.sampled_from(sorted(FIELD_RANGES)))
    lo, hi, _ = FIELD_RANGES[name]
    v = draw(st.integers(lo, hi)) if name in ("n_f", "n_c") else draw(in_range(lo, hi))
    return name, v


@fuzz(300, 10_000, case=one_field_in_range())
def _params_one_field_in_range(case):
    """Any single field inside FIELD_RANGES constructs, unless it pushes a scale below the alpha_s <= 1 limit
    (ValueError naming that scale and alpha_s)."""
    name, v = case
    try:
        p = jf.Params(**{name: v})
    except ValueError as exc:
        assert name in ("lambda_qcd", "n_f", "M", "mu_ff", "mu_pgf") and "alpha_s" in str(exc), (name, v, exc)
        return
    assert getattr(p, name) == v


test_params_one_field_in_range, test_params_one_field_in_range_slow = _params_one_field_in_range

_WRONG_TYPES = ["3.0", b"1", 1j, 2 + 0j, [1.0], (1.0,), {}, object(), True, False, np.array([1.0, 2.0])]


@st.composite
def one_field_invalid(draw):
    """(field, bad value): outside FIELD_RANGES, non-finite, a non-integer count, a wrong type, a huge int."""
    name = draw(st.sampled_from(sorted(FIELD_RANGES)))
    lo, hi, _ = FIELD_RANGES[name]
    kinds = [st.floats(max_value=lo, exclude_max=True, allow_nan=False),
             st.floats(min_value=hi, exclude_min=True, allow_nan=False),
             st.sampled_from([math.nan, math.inf, -math.inf, -0.0 if lo > 0 else -1.0,
                              float(np.nextafter(lo, -math.inf)), float(np.nextafter(hi, math.inf))]),
             st.sampled_from(_WRONG_TYPES + ([None] if name != "mu_ff" and not name.startswith("ldme_") else [])),
             st.sampled_from([10 ** 400, -(10 ** 400), 10 ** 309])]
    if name in ("n_f", "n_c"):
        kinds += [st.integers(max_value=lo - 1), st.integers(min_value=hi + 1),
                  st.floats(lo, hi).filter(lambda v: v != int(v))]
    v = draw(st.one_of(*kinds))
    if name not in ("n_f", "n_c") and isinstance(v, float) and math.isfinite(v):
        assume(not lo <= v <= hi)
    return name, v


@fuzz(400, 10_000, case=one_field_invalid())
def _params_invalid(case):
    """Outside the range, NaN, inf, wrong types, bools, huge ints: ValueError/TypeError naming Params.<field>."""
    name, v = case
    with pytest.raises((ValueError, TypeError)) as info:
        jf.Params(**{name: v})
    assert f"Params.{name}" in str(info.value), (name, v, info.value)


test_params_invalid, test_params_invalid_slow = _params_invalid


@fuzz(100, 2_000, field=st.sampled_from(["flavours", "tmd_pdf"]),
      v=st.one_of(st.sampled_from([None, 5, 5.0, "", "c", [], (), ["u", "u"], ["c"], [1], [["u"]],
                                   "Gaussian", " gaussian", b"gaussian", ["gaussian"], object()]),
                  st.text(max_size=8).filter(lambda s: s not in LIGHT_FLAVOURS + TMD_PDF_MODELS)))
def _params_invalid_names(field, v):
    with pytest.raises((ValueError, TypeError)) as info:
        jf.Params(**{field: v})
    assert f"Params.{field}" in str(info.value), (field, v, info.value)


test_params_invalid_names, test_params_invalid_names_slow = _params_invalid_names


# ================================================================================================ evaluate
def _check_result(r, x, z, Q, PT, params, positive_pdf=True):
    """Finite; exactly 0 where y > 1; with a PDF that is never negative (the embedded GRV94LO): >= 0, L <= U
    (relative 1e-12), T >= 0. (A tabulated grid can undershoot below 0 between knots near x = 1, and the cross
    sections follow its sign: only finiteness and U = L + T are required there.)"""
    v = r.values
    assert v.shape[:2] == (len(jf.CHANNELS), len(jf.STATES))
    assert np.all(np.isfinite(v)), f"non-finite cross sections at {_bad_points(~np.isfinite(v), x, z, Q, PT)}"
    U, L, T = (v[:, jf.STATES.index(s)] for s in ("U", "L", "T"))
    if positive_pdf:
        assert np.all(v >= 0), f"negative cross sections {v[v < 0][:4]} at {_bad_points(v < 0, x, z, Q, PT)}"
        bad = L > U * (1 + 1e-12)
        assert not bad.any(), f"L > U at {_bad_points(bad[None], x, z, Q, PT)}: L {L[bad][:4]}, U {U[bad][:4]}"
        assert np.all(T >= 0)
    else:
        assert np.allclose(U, L + T, rtol=1e-12, atol=0), "U != L + T"
    y = np.broadcast_to(Q, v.shape[2:]) ** 2 / (np.broadcast_to(x, v.shape[2:]) * params.s)
    forbidden = y > 1 + 1e-12
    assert np.all(v[..., forbidden] == 0), f"non-zero cross section where y > 1: {_bad_points(forbidden, x, z, Q, PT)}"


def _bad_points(mask, x, z, Q, PT):
    mask = np.asarray(mask)
    while mask.ndim > 1:
        mask = mask.any(axis=0)
    idx = np.flatnonzero(mask)[:3]
    b = np.broadcast_arrays(x, z, Q, PT)
    return [tuple(float(a[i]) for a in b) for i in idx]


def _pdf_range_status(pdf, x, z, Q, PT, s, mu_f_factor=1.0):
    """(error allowed, error required) for the PDF's range at these points (only where y <= 1 matters; the PDFs
    are evaluated at mu_F = mu_f_factor Q)."""
    if not hasattr(pdf, "x_range") or pdf.extrapolate == "nearest":
        return False, False
    (xlo, xhi), (qlo, qhi) = pdf.x_range, pdf.Q_range
    qlo, qhi = qlo / mu_f_factor, qhi / mu_f_factor
    x, z, Q, PT = np.broadcast_arrays(x, z, Q, PT)
    y = Q ** 2 / (x * s)
    tol = 1e-9
    near = y <= 1 + tol
    allowed = near & ((x < xlo * (1 + tol)) | (x > xhi * (1 - tol)) | (Q < qlo * (1 + tol)) | (Q > qhi * (1 - tol)))
    clear = y < 1 - tol
    required = clear & ((x < xlo * (1 - tol)) | (Q < qlo * (1 - tol)) | (Q > qhi * (1 + tol)))
    return bool(allowed.any()), bool(required.any())


@fuzz(250, 5_000, kw=params_kwargs(sqrt_s=in_range(1.0, 1e5, extra=(63.0, 29.0, 141.0))), pts=kinematic_points(),
      pdf_kind=st.sampled_from(["GRV94LO", "GRV94LO", "grid", "grid_nearest"]))
def _evaluate_valid(kw, pts, pdf_kind):
    """Accepted inputs give finite, non-negative cross sections, L <= U, T >= 0, exactly 0 where y > 1; a grid PDF
    without extrapolation raises a ValueError naming x or Q exactly when a point with y <= 1 leaves its range;
    a point alone gives the same numbers as inside an array."""
    p = jf.Params(**kw)
    pdf = _pdf(pdf_kind)
    xs = jf.CrossSection(p, pdf)
    x, z, Q, PT = pts
    allowed, required = _pdf_range_status(pdf, x, z, Q, PT, p.s, p.mu_f_factor)
    try:
        r = xs.evaluate(x, z, Q, PT)
    except ValueError as exc:
        assert allowed, f"ValueError for accepted inputs inside the PDF's range: {exc}"
        assert re.match(r"^(x|Q) must", str(exc)), f"PDF-range error does not name x or Q: {exc}"
        return
    assert not required, "a point with y <= 1 outside the grid PDF's range was evaluated without an error"
    _check_result(r, x, z, Q, PT, p, positive_pdf=pdf_kind == "GRV94LO")
    one = xs.evaluate(x[0], z[0], Q[0], PT[0])
    assert np.array_equal(one.values, r.values[..., 0], equal_nan=True), "a point alone differs from the batch"


test_evaluate_valid, test_evaluate_valid_slow = _evaluate_valid

_ARG_LIMITS = {"x": (X_MIN, 1.0), "z": (Z_MIN, 1.0), "Q": Q_RANGE, "PT": (0.0, PT_MAX)}


@st.composite
def bad_value(draw, name):
    """A numeric value outside the accepted range of argument ``name`` (or non-finite)."""
    lo, hi = _ARG_LIMITS[name]
    special = [math.nan, math.inf, -math.inf, -1.0, float(np.nextafter(hi, math.inf)), 1e300, -1e300]
    if name in ("x", "z"):
        special += [0.0, -0.0, 1.0, 1e-10, TINY, float(np.nextafter(lo, 0)), 1.5]
        ranges = [st.floats(max_value=lo, exclude_max=True), st.floats(min_value=1.0)]
    elif name == "Q":
        special += [0.0, -0.0, 1e-4, TINY, float(np.nextafter(lo, 0)), 1e7]
        ranges = [st.floats(max_value=lo, exclude_max=True), st.floats(min_value=hi, exclude_min=True)]
    else:
        special += [-TINY, 1e7]
        ranges = [st.floats(max_value=0.0, exclude_max=True), st.floats(min_value=hi, exclude_min=True)]
    return draw(st.one_of(st.sampled_from(special), *ranges))


@st.composite
def one_bad_argument(draw):
    """(name, x, z, Q, PT) with exactly one argument out of range, as a scalar, inside a full-size array, inside a
    smaller array broadcast against the others, or a scalar against an empty array."""
    name = draw(st.sampled_from(["x", "z", "Q", "PT"]))
    good = {"x": 0.3, "z": 0.5, "Q": 5.0, "PT": 1.0}
    bad = draw(bad_value(name))
    how = draw(st.sampled_from(["scalar", "full", "small", "empty"]))
    n = draw(st.integers(1, 9))
    args = dict(good)
    if how == "scalar":
        args[name] = bad
    elif how == "full":
        a = np.full(n, good[name])
        a[draw(st.integers(0, n - 1))] = bad
        args[name] = a
        other = draw(st.sampled_from([k for k in good if k != name]))
        args[other] = np.full(n, good[other])
    elif how == "small":
        a = np.full((n, 1), good[name])
        a[draw(st.integers(0, n - 1)), 0] = bad
        args[name] = a
        other = draw(st.sampled_from([k for k in good if k != name]))
        args[other] = np.full((1, draw(st.integers(2, 5))), good[other])
    else:
        args[name] = bad
        other = draw(st.sampled_from([k for k in good if k != name]))
        args[other] = np.zeros((0,) if draw(st.booleans()) else (3, 0))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.longdouble]))
    args = {k: (np.asarray(v, dtype=dtype) if k == name and dtype is not np.float64 else v) for k, v in args.items()}
    if dtype is np.float32 and np.all(np.isfinite(np.asarray(args[name], dtype=np.float32))):
        # the float32 rounding may bring the value back inside the range: keep only values that stay outside
        lo, hi = _ARG_LIMITS[name]
        a = np.asarray(args[name], dtype=np.float64)
        inside = (a >= lo) & ((a < hi) if name in ("x", "z") else (a <= hi))
        assume(not inside.all() and np.any(~inside & (a != good[name])))
    return name, args


@fuzz(300, 5_000, case=one_bad_argument(), model=st.sampled_from(TMD_PDF_MODELS))
def _evaluate_invalid_values(case, model):
    """NaN, inf, negative, zero, x or z >= 1, below the numerical minima, above the maxima -- scalars, in arrays,
    broadcast, against empty arrays: ValueError naming the argument."""
    name, args = case
    xs = jf.CrossSection(jf.Params(tmd_pdf=model))
    with pytest.raises(ValueError) as info:
        xs.evaluate(args["x"], args["z"], args["Q"], args["PT"])
    assert str(info.value).startswith(f"{name} "), (name, info.value)


test_evaluate_invalid_values, test_evaluate_invalid_values_slow = _evaluate_invalid_values

_BAD_TYPES = [1j, np.array([0.3 + 0j]), np.array([0.3, 0.4], dtype=object), np.array([None]), "0.3", ["0.3"],
              None, {}, np.array(["a"]), np.datetime64("2020-01-01"), np.array([1, 2], dtype="m8[s]"),
              [[0.3], [0.3, 0.4]], [0.3, [0.4]], object()]


@fuzz(150, 5_000, name=st.sampled_from(["x", "z", "Q", "PT"]), bad=st.sampled_from(_BAD_TYPES))
def _evaluate_invalid_types(name, bad):
    """Complex, object, string, None, date, ragged input: TypeError (or ValueError) naming the argument."""
    args = {"x": 0.3, "z": 0.5, "Q": 5.0, "PT": 1.0, name: bad}
    with pytest.raises((TypeError, ValueError)) as info:
        jf.CrossSection().evaluate(args["x"], args["z"], args["Q"], args["PT"])
    assert names_arg(info.value, name), (name, bad, info.value)


test_evaluate_invalid_types, test_evaluate_invalid_types_slow = _evaluate_invalid_types


@fuzz(150, 4_000, shapes=st.lists(st.lists(st.integers(0, 4), min_size=1, max_size=3), min_size=4, max_size=4))
def _evaluate_shapes(shapes):
    """Arrays of random shapes: either they broadcast (result of the broadcast shape, valid numbers) or
    ValueError about broadcasting -- never anything else."""
    arrs = [np.full(s, v) for s, v in zip(shapes, (0.3, 0.5, 5.0, 1.0))]
    try:
        target = np.broadcast_shapes(*(a.shape for a in arrs))
    except ValueError:
        with pytest.raises(ValueError, match="broadcast"):
            jf.CrossSection().evaluate(*arrs)
        return
    r = jf.CrossSection().evaluate(*arrs)
    assert r.values.shape == (4, 3) + target and np.all(np.isfinite(r.values)) and np.all(r.values >= 0)


test_evaluate_shapes, test_evaluate_shapes_slow = _evaluate_shapes

_BAD_THREADS = st.one_of(st.sampled_from([0, MAX_THREADS + 1, -CORES - 1, 10 ** 30, -(10 ** 30), 2 ** 31, 2 ** 63,
                                          1.0, 2.5, math.nan, True, False, "2", [1], np.float64(2.0)]),
                         st.integers(min_value=MAX_THREADS + 1), st.integers(max_value=-CORES - 1),
                         st.floats())
_GOOD_THREADS = st.one_of(st.none(), st.integers(1, MAX_THREADS), st.integers(-CORES, -1),
                          st.integers(1, 4).map(np.int64))


@fuzz(200, 8_000, n_threads=st.one_of(_BAD_THREADS, _GOOD_THREADS))
def _evaluate_n_threads(n_threads):
    """n_threads: valid counts give the same numbers as one thread; 0, too many, below -cores: ValueError; floats,
    bools, strings: TypeError -- both naming n_threads."""
    xs = jf.CrossSection()
    x = np.linspace(0.1, 0.9, 37)
    good = n_threads is None or (isinstance(n_threads, (int, np.integer)) and not isinstance(n_threads, bool)
                                 and (1 <= n_threads <= MAX_THREADS or -CORES <= n_threads <= -1))
    if good:
        r = xs.evaluate(x, 0.5, 5.0, 1.0, n_threads=n_threads)
        assert np.array_equal(r.values, xs.evaluate(x, 0.5, 5.0, 1.0, n_threads=1).values)
    else:
        with pytest.raises((ValueError, TypeError)) as info:
            xs.evaluate(x, 0.5, 5.0, 1.0, n_threads=n_threads)
        assert "n_threads" in str(info.value)


test_evaluate_n_threads, test_evaluate_n_threads_slow = _evaluate_n_threads


@fuzz(150, 5_000, which=st.sampled_from(["channels", "states"]),
      v=st.sampled_from([[], (), "X", ["ff", "ff"], ["gluon"], 5, 5.0, [None], [["ff"]], b"U", ["U", "u"],
                         object(), ["U", "X"], "ff:U"]))
def _evaluate_bad_layout(which, v):
    with pytest.raises((ValueError, TypeError)) as info:
        jf.CrossSection().evaluate(0.3, 0.5, 5.0, 1.0, **{which: v})
    assert which in str(info.value), (which, v, info.value)


test_evaluate_bad_layout, test_evaluate_bad_layout_slow = _evaluate_bad_layout


# ================================================================================================ fragmentation
# the accepted inputs of tmd_ff: Z_MIN <= z < 1, 0 <= k_T <= KT_MAX (fragmentation.KT_MAX)
from jpsi_fast.fragmentation import KT_MAX  # noqa: E402

Z_FF = st.one_of(st.sampled_from([Z_MIN, 1e-8, 0.5, ONE_BELOW_1, 1 - 1e-9]), log_uniform(Z_MIN, ONE_BELOW_1),
                 st.floats(Z_MIN, 1.0, exclude_max=True))
KT_FF = st.one_of(st.sampled_from([0.0, -0.0, TINY, 1e-300, KT_MAX, 1.0]), log_uniform(1e-300, KT_MAX),
                  st.floats(0.0, 100.0))


@fuzz(200, 4_000, name=st.sampled_from(jf.TMD_FF_NAMES), z=st.lists(Z_FF, min_size=1, max_size=6),
      kT=st.lists(KT_FF, min_size=1, max_size=6), kw=params_kwargs())
def _tmd_ff_valid(name, z, kT, kw):
    """Every accepted (1e-9 <= z < 1, 0 <= k_T <= KT_MAX) gives finite values."""
    z = np.array(z)[:, None]
    kT = np.array(kT)[None, :]
    out = jf.tmd_ff(name, z, kT, jf.Params(**kw))
    assert out.shape == np.broadcast_shapes(z.shape, kT.shape)
    bad = ~np.isfinite(out)
    assert not bad.any(), (f"tmd_ff({name!r}) non-finite {out[bad][:3]} at (z, kT) = "
                           f"{[(float(a), float(b)) for a, b in zip(*(np.broadcast_arrays(z, kT)[i][bad][:3] for i in (0, 1)))]}")


test_tmd_ff_valid, test_tmd_ff_valid_slow = _tmd_ff_valid


@fuzz(200, 8_000, name=st.sampled_from(jf.TMD_FF_NAMES), which=st.sampled_from(["z", "kT"]),
      bad=st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -TINY, 1j, "0.5", None,
                                     np.array([0.5], dtype=object)]),
                    st.floats(max_value=0.0, exclude_max=True)))
def _tmd_ff_invalid(name, which, bad):
    """Bad z (outside (0, 1)) or k_T (negative), non-finite or of the wrong type: ValueError/TypeError naming it."""
    args = {"z": 0.5, "kT": 1.0, which: bad}
    with pytest.raises((ValueError, TypeError)) as info:
        jf.tmd_ff(name, args["z"], args["kT"])
    assert names_arg(info.value, which), (which, bad, info.value)


test_tmd_ff_invalid, test_tmd_ff_invalid_slow = _tmd_ff_invalid


def test_tmd_ff_z_edges_invalid():
    for z in (0.0, 1.0, 1.5, -0.0):
        with pytest.raises(ValueError, match=r"^z "):
            jf.tmd_ff("D1", z, 1.0)


@fuzz(100, 5_000, bad=st.one_of(st.sampled_from([None, 5, 5.0, "D1 ", "d1", [], ["D1"], b"D1", object()]),
                                st.text(max_size=6).filter(lambda s: s not in jf.TMD_FF_NAMES)),
      which=st.sampled_from(["tmd_ff", "gluon_tmd_ff"]))
def _ff_bad_name(bad, which):
    with pytest.raises((ValueError, TypeError)) as info:
        jf.tmd_ff(bad, 0.5, 1.0) if which == "tmd_ff" else jf.gluon_tmd_ff(bad)
    assert "name" in str(info.value)


test_ff_bad_name, test_ff_bad_name_slow = _ff_bad_name


@pytest.mark.parametrize("func", ["tmd_ff", "gluon_tmd_ff", "alpha_s"])
def test_fragmentation_params_wrong_type(func):
    """params that is not a jpsi_fast.Params (truthy or falsy): TypeError naming params -- not an AttributeError,
    and not silently the default parameters."""
    call = {"tmd_ff": lambda p: jf.tmd_ff("D1", 0.5, 1.0, p), "gluon_tmd_ff": lambda p: jf.gluon_tmd_ff("D1", p),
            "alpha_s": lambda p: jf.alpha_s(10.0, p)}[func]
    problems = []
    for params in ("x", 5, 1.5, {"M": 3.1}, [3.1], object(), 0, "", {}, []):
        try:
            call(params)
        except TypeError as exc:
            if "params" not in str(exc):
                problems.append(f"{func}(params={params!r}): TypeError not naming params: {exc}")
        except Exception as exc:                              # noqa: BLE001
            problems.append(f"{func}(params={params!r}): {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{func}(params={params!r}): accepted (silently the default Params)")
    assert not problems, "\n".join(problems)


@fuzz(200, 2_500, kw=params_kwargs(), mu=st.lists(st.floats(0.0, 1.0, exclude_min=True), min_size=1, max_size=6),
      big=st.lists(st.one_of(log_uniform(1.0, 1.7e308), st.sampled_from([1e308, 1.7976931348623157e308])),
                   min_size=0, max_size=3))
def _alpha_s_valid(kw, mu, big):
    """alpha_s at every mu > lambda_qcd (just above it, and up to the largest double) is finite and > 0."""
    p = jf.Params(**kw)
    lam = p.lambda_qcd
    vals = [float(np.nextafter(lam, math.inf))] + [lam * (1 + u) for u in mu] + [lam * b for b in big]
    vals = np.array([v for v in vals if math.isfinite(v) and v > lam])
    a = jf.alpha_s(vals, p)
    bad = ~(np.isfinite(a) & (a > 0))
    assert not bad.any(), f"alpha_s = {a[bad]} at mu = {vals[bad]} (lambda_qcd = {lam!r}, n_f = {p.n_f})"
    for name in jf.TMD_FF_NAMES:
        assert math.isfinite(jf.gluon_tmd_ff(name, p))


test_alpha_s_valid, test_alpha_s_valid_slow = _alpha_s_valid


@fuzz(150, 8_000, bad=st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 0.2, 0.1, 1j, "10", None,
                                                 np.array([10.0], dtype=object)]),
                                st.floats(max_value=0.2)))
def _alpha_s_invalid(bad):
    with pytest.raises((ValueError, TypeError)) as info:
        jf.alpha_s(bad)                                       # lambda_qcd = 0.2 GeV
    assert names_arg(info.value, "mu"), (bad, info.value)


test_alpha_s_invalid, test_alpha_s_invalid_slow = _alpha_s_invalid


# ================================================================================================ Domain + integrate
_GARBAGE_PAIRS = st.one_of(st.tuples(st.floats(), st.floats()),
                           st.sampled_from([None, (), (1.0,), (1.0, 2.0, 3.0), "ab", (math.nan, 1.0), (0.5, 0.5),
                                            (1.0, 0.5), (-1.0, 0.5), (0.0, math.inf), ("0.1", "0.5"), 5.0,
                                            (0.0, 1.0), (0.5, 1.0), (-0.0, 0.5)]))


@st.composite
def _pair(draw, lo, hi):
    """(low, high) with lo <= low < high <= hi, log-uniform over the range, the edges included at times."""
    llo = math.log10(lo) if lo > 0 else -12.0
    lhi = math.log10(hi)
    e1 = draw(st.floats(llo, lhi))
    e2 = draw(st.floats(e1, lhi))
    a, b = 10.0 ** e1, 10.0 ** e2
    if draw(st.integers(0, 4)) == 0:
        a = lo
    if draw(st.integers(0, 4)) == 0:
        b = hi
    a, b = min(max(a, lo), hi), min(max(b, lo), hi)
    if not a < b:
        a, b = (lo, hi) if a == hi else (a, hi)
    return (float(a), float(b))


def _interior(lo, hi, n, log):
    """n values strictly inside (lo, hi), log-spaced when ``log`` and lo > 0."""
    if log and lo > 0:
        return np.geomspace(lo, hi, n + 2)[1:-1]
    return np.linspace(lo, hi, n + 2)[1:-1]


def interior_point(dom, params, n=40, margin=1e-6):
    """A point (x, z, Q, P_T) strictly inside the domain's box and cuts (every inequality holds with a relative
    margin, so the phase space has a positive volume around it), or None if a log-spaced grid finds none."""
    xs = np.concatenate([_interior(*dom.x, n, True), _interior(*dom.x, n // 4, False)])
    zs = np.concatenate([_interior(*dom.z, 8, True), _interior(*dom.z, 4, False)])
    Qs = np.concatenate([_interior(*dom.Q, n, True), _interior(*dom.Q, n // 4, False)])
    pts = np.concatenate([_interior(max(dom.PT[0], 1e-300), dom.PT[1], 12, True), _interior(*dom.PT, 4, False)])
    X, Z, Q, PT = (a.ravel() for a in np.meshgrid(xs, zs, Qs, pts, indexing="ij"))
    y = Q * Q / (X * params.s)
    ylo, yhi = dom.y if dom.y is not None else (0.0, 1.0)
    ok = (y <= yhi * (1 - margin)) & (y >= ylo * (1 + margin) + (0.0 if ylo > 0 else -1.0))
    ok &= (X > dom.x[0]) & (X < dom.x[1]) & (Z > dom.z[0]) & (Z < dom.z[1]) & (Q > dom.Q[0]) & (Q < dom.Q[1])
    ok &= (PT > dom.PT[0]) & (PT < dom.PT[1])
    if dom.tmd_cut:
        ok &= PT <= 0.5 * Z * Q * (1 - margin)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return None
    i = idx[0]
    pt = (float(X[i]), float(Z[i]), float(Q[i]), float(PT[i]))
    assert dom.contains(*pt, params), f"test bug: {pt} should be inside {dom}"
    return pt


@st.composite
def domain_kwargs(draw):
    """(Domain keyword arguments, sqrt_s): valid-looking limits over wide ranges (Q often below sqrt_s so that
    the cuts leave phase space), one of them garbage in a third of the cases."""
    sqrt_s = draw(in_range(1.0, 1e5, extra=(63.0,)))
    q_top = draw(st.sampled_from([1e9, max(2e-4, sqrt_s), max(2e-4, sqrt_s)]))
    kw = {"x": draw(_pair(1e-12, ONE_BELOW_1)), "z": draw(_pair(1e-12, ONE_BELOW_1)), "Q": draw(_pair(1e-4, q_top)),
          "PT": draw(st.one_of(_pair(0.0, 1e9), st.tuples(st.just(0.0), in_range(1e-6, 1e9))))}
    kw["y"] = draw(st.one_of(st.none(), _pair(0.0, 1.0)))
    kw["tmd_cut"] = draw(st.booleans())
    garble = draw(st.sampled_from([None, None, None, None, None, None, "x", "z", "Q", "PT", "y", "tmd_cut"]))
    if garble == "tmd_cut":
        kw["tmd_cut"] = draw(st.sampled_from([0, 1, None, "yes", 1.0, np.bool_(True)]))
    elif garble is not None:
        kw[garble] = draw(_GARBAGE_PAIRS)
    return kw, sqrt_s


@fuzz(80, 1_200, case=domain_kwargs(), model=st.sampled_from(TMD_PDF_MODELS), seed=st.integers(0, 2 ** 32))
def _domain_integrate(case, model, seed):
    """Random (often invalid) Domain limits: ValueError/TypeError at construction naming Domain, or "no phase
    space" when the integrand is built, or a finite, non-negative integral -- within 60 s."""
    dkw, sqrt_s = case
    try:
        dom = jf.Domain(**dkw)
    except (ValueError, TypeError) as exc:
        assert "Domain" in str(exc), (dkw, exc)
        event("Domain rejected")
        return
    xs = jf.CrossSection(jf.Params(sqrt_s=sqrt_s, tmd_pdf=model))
    with time_limit(60, f"integrate over {dom}"):
        try:
            xs.integrand(dom)
        except ValueError as exc:
            if re.match(r"Domain\.(x|Q) = .* beyond the (x|Q) range", str(exc)):
                return                      # the cuts reach beyond the PDF's range: refused, naming the axis
            assert "no phase space" in str(exc), (dom, exc)
            inside = interior_point(dom, xs.params)
            assert inside is None, f"{dom} at sqrt_s = {sqrt_s!r} rejected as 'no phase space', but {inside} " \
                                   f"(x, z, Q, P_T) lies strictly inside its cuts"
            event("no phase space")
            return
        event("integrated")
        res = jf.Integrator(dom, seed=seed, n_threads=1).integrate(xs, nitn=2, neval=2000, warmup=1)
    assert np.all(np.isfinite(res.mean)) and np.all(np.isfinite(res.sdev)), (dom, sqrt_s, res.mean)
    U, L, T = (res.mean[:, jf.STATES.index(s)] for s in ("U", "L", "T"))
    assert np.all(U >= 0) and np.all(L >= 0) and np.all(T >= -1e-12 * U), (dom, sqrt_s, res.mean)


test_domain_integrate, test_domain_integrate_slow = _domain_integrate


@pytest.mark.parametrize("kw, sqrt_s", [(dict(Q=(10.0, 1e4)), 63.0), (dict(Q=(10.0, 1e6)), 63.0),
                                        (dict(x=(1e-12, 0.5), Q=(1e-4, 1e9), PT=(0.0, 1e9)), 63.0),
                                        (dict(Q=(1.0, 1e5), PT=(0.0, 1.0)), 10.0)])
def test_wide_domain_is_not_empty(kw, sqrt_s):
    """A domain whose box is much larger than its phase space (e.g. Q up to 10 TeV at sqrt(s) = 63 GeV) still has
    phase space: it must integrate (finite, > 0), not be refused as 'no phase space' (a PDF that extrapolates,
    so that the PDF's own range does not refuse the wide box)."""
    dom = jf.Domain(**kw)
    xs = jf.CrossSection(jf.Params(sqrt_s=sqrt_s), jf.pdf.GRV94LO(extrapolate="nearest"))
    assert interior_point(dom, xs.params) is not None
    with time_limit(60, "integrate a wide domain"):
        res = jf.Integrator(dom, n_threads=1).integrate(xs, nitn=2, neval=5000, warmup=1)
    assert np.all(np.isfinite(res.mean)) and res.total("U").mean > 0


def test_low_Q_large_x_domain_non_negative():
    """Domain below Q = 0.6 GeV at large x (accepted: Domain.Q only needs Q > 0): outside the default PDF's range
    it is refused with an error naming Domain.Q; with a PDF frozen at its edges the integrated cross sections must
    be >= 0 (the integrand is a cross section)."""
    dom = jf.Domain(x=(0.97, 0.999), z=(0.1, 0.8), Q=(0.001, 0.5), PT=(0.0, 0.2))
    with pytest.raises(ValueError, match=r"Domain\.Q .* beyond the Q range"):
        jf.Integrator(dom, n_threads=1).integrate(jf.CrossSection(), nitn=2, neval=4000, warmup=1)
    xs = jf.CrossSection(pdf=jf.pdf.GRV94LO(extrapolate="nearest"))
    res = jf.Integrator(dom, n_threads=1).integrate(xs, nitn=2, neval=4000, warmup=1)
    assert np.all(np.isfinite(res.mean))
    assert np.all(res.mean >= 0), f"negative integrated cross sections [pb]:\n{res.mean}"


# ================================================================================================ callables
@st.composite
def box(draw, max_dim=4):
    d = draw(st.integers(1, max_dim))
    lo = draw(st.lists(st.floats(-1e6, 1e6), min_size=d, max_size=d))
    width = draw(st.lists(st.one_of(log_uniform(1e-6, 1e6), st.sampled_from([1.0, 1e-3])), min_size=d, max_size=d))
    return [(a, a + w) for a, w in zip(lo, width) if a + w > a] or [(0.0, 1.0)]


_CONSTANTS = st.one_of(st.floats(-1e3, 1e3), st.tuples(st.sampled_from([-1.0, 1.0]), log_uniform(1e-300, 1e250)).map(
    lambda t: t[0] * t[1]), st.sampled_from([0.0, 1e-135, 6e-135, 1e-300, 1e200, -1e200, 1e100]))


@fuzz(100, 1_200, bounds=box(), kind=st.sampled_from(["const", "linear", "multi"]),
      c=_CONSTANTS, seed=st.integers(0, 2 ** 32), n_threads=st.sampled_from([1, 2, -1, None]))
def _callable_valid(bounds, kind, c, seed, n_threads):
    """Valid callables on random boxes (constants from 1e-300 to 1e250): finite results; a constant is integrated
    exactly (c x volume); a linear function within 7 sigma of its exact integral."""
    b = np.array(bounds)
    vol = float(np.prod(b[:, 1] - b[:, 0]))
    assume(abs(c) * vol < 1e280 and abs(c) < 1e280)          # the exact integral and the values stay far from overflow
    mid = b.mean(axis=1)
    if kind == "const":
        f, exact = (lambda X: np.full(len(X), c)), np.array([c * vol])
    elif kind == "linear":
        f, exact = (lambda X: c + (X - mid).sum(axis=1)), np.array([c * vol])
    else:
        f, exact = (lambda X: np.column_stack([np.full(len(X), c), 2 * c + (X - mid)[:, 0]])), np.array([1, 2]) * c * vol
    with time_limit(60, "integrate a callable"):
        try:
            res = jf.Integrator(bounds, seed=seed, n_threads=n_threads).integrate(f, nitn=2, neval=1000, warmup=1)
        except ValueError as exc:
            # values spanning more than 1e150 x the integrand's scale (its value at the box centre) cannot have
            # their variance represented in double precision: refused, with that reason
            assert "span more than" in str(exc) and kind != "const", (bounds, kind, c, exc)
            return
    mean, sdev = np.atleast_1d(res.mean), np.atleast_1d(res.sdev)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(sdev))
    tol = 7 * sdev + 1e-9 * np.abs(exact) + 1e-300
    assert np.all(np.abs(mean - exact) <= tol), (bounds, kind, c, mean, sdev, exact)


test_callable_valid, test_callable_valid_slow = _callable_valid

_BAD_CALLABLES = {
    "nan_everywhere": lambda X: np.full(len(X), np.nan),
    "nan_half": lambda X: np.where(X[:, 0] > X[:, 0].mean(), np.nan, 1.0),
    "inf": lambda X: np.where(X[:, 0] > X[:, 0].mean(), np.inf, 1.0),
    "minus_inf": lambda X: np.full(len(X), -np.inf),
    "short": lambda X: np.ones(max(len(X) - 1, 0)),
    "long": lambda X: np.ones(len(X) + 1),
    "scalar": lambda X: 1.0,
    "none": lambda X: None,
    "2d_transposed": lambda X: np.ones((2, len(X))),
    "3d": lambda X: np.ones((len(X), 1, 1)),
    "zero_components": lambda X: np.ones((len(X), 0)),
    "strings": lambda X: np.array(["a"] * len(X)),
    "shape_changes": lambda X: np.ones(len(X)) if len(X) == 1 else np.ones((len(X), 2)),
    "complex": lambda X: np.ones(len(X)) * (1 + 1j),
    "overflow_to_inf": lambda X: np.full(len(X), 1e308) * 10,
}


def _expect_rejected(bounds, which, method):
    f = _BAD_CALLABLES[which]
    integ = jf.Integrator(bounds, n_threads=1)
    with time_limit(60, f"integrate callable {which}"):
        with pytest.raises((ValueError, TypeError)):
            if method == "integrate":
                res = integ.integrate(f, nitn=2, neval=500, warmup=1)
            else:
                res = integ.sample(f, 100, neval=500, warmup=1)
            pytest.fail(f"callable {which!r} accepted by {method}: {getattr(res, 'mean', res)!r}")


@pytest.mark.parametrize("method", ["integrate", "sample"])
@pytest.mark.parametrize("which", sorted(_BAD_CALLABLES))
def test_callable_invalid_each(which, method):
    """Each kind of bad callable (NaN, inf, wrong shapes, no values, strings, complex numbers whose imaginary
    part would be dropped): ValueError/TypeError -- never a crash, a hang or a silent result."""
    _expect_rejected([(0.0, 1.0), (-2.0, 3.0)], which, method)


@fuzz(120, 4_000, bounds=box(max_dim=3), which=st.sampled_from(sorted(set(_BAD_CALLABLES) - {"complex"})),
      method=st.sampled_from(["integrate", "sample"]))
def _callable_invalid(bounds, which, method):
    """The same on random boxes (complex values: see test_callable_invalid_each)."""
    _expect_rejected(bounds, which, method)


test_callable_invalid, test_callable_invalid_slow = _callable_invalid


def test_callable_exception_propagates():
    def f(X):
        raise RuntimeError("user bug")
    with pytest.raises(RuntimeError, match="user bug"):
        jf.Integrator([(0, 1)]).integrate(f, nitn=1, neval=100, warmup=0)


@fuzz(100, 6_000, bounds=st.one_of(
    st.sampled_from([[], [()], [(0.0,)], [(1.0, 0.0)], [(0.0, 0.0)], [(0.0, math.nan)], [(0.0, math.inf)],
                     [(-math.inf, 0.0)], [(0, 1)] * 65, "ab", 5, [[(0, 1)]], [(0, 1, 2)], [("a", "b")]]),
    st.lists(st.tuples(st.floats(), st.floats()), min_size=1, max_size=3).filter(
        lambda L: not all(math.isfinite(a) and math.isfinite(b) and a < b for a, b in L))))
def _bad_bounds(bounds):
    with pytest.raises((ValueError, TypeError)) as info:
        jf.Integrator(bounds)
    assert "domain" in str(info.value) or "bounds" in str(info.value), (bounds, info.value)


test_bad_bounds, test_bad_bounds_slow = _bad_bounds


@fuzz(150, 6_000, n_threads=st.one_of(_BAD_THREADS, _GOOD_THREADS))
def _integrator_n_threads(n_threads):
    """Integrator(n_threads=...): valid counts integrate (bit-identically to one thread), invalid ones raise
    ValueError/TypeError naming n_threads."""
    good = n_threads is None or (isinstance(n_threads, (int, np.integer)) and not isinstance(n_threads, bool)
                                 and (1 <= n_threads <= MAX_THREADS or -CORES <= n_threads <= -1))
    f = lambda X: np.exp(-((X - 0.3) ** 2).sum(axis=1))      # noqa: E731
    if not good:
        with pytest.raises((ValueError, TypeError)) as info:
            jf.Integrator([(0, 1), (0, 1)], n_threads=n_threads)
        assert "n_threads" in str(info.value)
        return
    with time_limit(60, f"integrate with n_threads={n_threads}"):
        a = jf.Integrator([(0, 1), (0, 1)], n_threads=n_threads).integrate(f, nitn=2, neval=500, warmup=1)
        b = jf.Integrator([(0, 1), (0, 1)], n_threads=1).integrate(f, nitn=2, neval=500, warmup=1)
    assert np.array_equal(a.mean, b.mean) and np.array_equal(a.sdev, b.sdev)


test_integrator_n_threads, test_integrator_n_threads_slow = _integrator_n_threads


# ================================================================================================ histogram, sample
_XS = None


def _xs_integrator():
    global _XS
    if _XS is None:
        _XS = jf.CrossSection()
    return _XS, jf.Integrator(jf.Domain(), n_threads=1)


_BAD_EDGES = st.one_of(
    st.sampled_from([[0.0, math.nan, 6.0], [0.0, 6.0, 3.0], [6.0, 0.0], [0.0, 0.0], [1.0, 1.0, 2.0], [-1.0, 6.0],
                     [0.0, math.inf], [-math.inf, 0.0], [3.0], [], [[0.0, 6.0]], 5.0, ["a", "b"], "0,6",
                     [0.0, 1j], [-0.0, -1e-300], [0.0, 3.0, math.nan]]),
    st.lists(st.floats(0, 100), min_size=2, max_size=30).filter(lambda v: np.any(np.diff(v) <= 0)),
    st.lists(st.floats(), min_size=2, max_size=10).filter(
        lambda v: not (np.all(np.isfinite(v)) and np.all(np.diff(v) > 0) and v[0] >= 0)),
    st.integers(1_000_000, 5_000_000).map(lambda n: ("huge", n)))


@fuzz(60, 600, edges=_BAD_EDGES)
def _histogram_bad_edges(edges):
    """pt_edges with NaN/inf, unsorted, repeated, negative, the wrong shape, or a huge number of bins:
    ValueError (TypeError for a wrong type) before any work."""
    xs, integ = _xs_integrator()
    if isinstance(edges, tuple) and edges[0] == "huge":
        edges = np.linspace(0.0, 6.0, edges[1] + 1)
    with time_limit(30, "histogram argument check"):
        with pytest.raises((ValueError, TypeError)) as info:
            integ.histogram(xs, pt_edges=edges, nitn=1, neval=1000, warmup=0)
    assert "pt_edges" in str(info.value) or "P_T bins" in str(info.value), info.value


test_histogram_bad_edges, test_histogram_bad_edges_slow = _histogram_bad_edges


@fuzz(100, 3_000, arg=st.sampled_from(["nitn", "neval", "warmup"]),
      bad=st.sampled_from([0, -1, 1.5, True, None, "10", math.nan, math.inf, 10 ** 13, [10], np.float64(2.5)]))
def _histogram_bad_counts(arg, bad):
    """nitn, neval, warmup out of range, non-integer, non-finite, of the wrong type: ValueError/TypeError naming
    the argument."""
    if arg == "warmup" and bad == 0 and not isinstance(bad, bool):
        return                                                # 0 warm-up iterations: valid
    xs, integ = _xs_integrator()
    with pytest.raises((ValueError, TypeError)) as info:
        integ.histogram(xs, pt_edges=[0, 3, 6], **{"nitn": 1, "neval": 1000, "warmup": 0, arg: bad})
    assert arg in str(info.value), (arg, bad, info.value)


test_histogram_bad_counts, test_histogram_bad_counts_slow = _histogram_bad_counts


@fuzz(100, 2_000, arg=st.sampled_from(["n", "batch", "neval", "warmup", "max_weight_quantile"]),
      bad=st.one_of(st.sampled_from([0, -1, 1.5, True, False, None, "10", math.nan, math.inf, -math.inf, 10 ** 13,
                                     [10], np.float64(10.0), 1e12 + 1, 2 ** 70, 1j]),
                    st.integers(max_value=0), st.floats(allow_nan=True).filter(lambda v: v != int(v) if
                                                                              math.isfinite(v) else True)))
def _sample_bad_args(arg, bad):
    """Integrator.sample / iter_events with a bad count or quantile: ValueError/TypeError naming it, before any
    work."""
    assume(not _valid_sample_arg(arg, bad))
    xs, integ = _xs_integrator()
    kw = {"n": 10, "batch": 10, "neval": 1000, "warmup": 0, arg: bad}
    with time_limit(30, "sample argument check"):
        with pytest.raises((ValueError, TypeError)) as info:
            next(integ.iter_events(xs, kw.pop("n"), kw.pop("batch"), **kw))
    assert arg in str(info.value), (arg, bad, info.value)


test_sample_bad_args, test_sample_bad_args_slow = _sample_bad_args


def _is_real(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _valid_sample_arg(arg, v):
    """Whether ``v`` is a documented valid value of iter_events' ``arg`` (the fuzz draws only invalid ones)."""
    if arg in ("n", "batch"):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 1 <= v <= 1e12
    if arg == "neval":
        return _is_real(v) and math.isfinite(v) and int(v) == v and 64 <= v <= 1e12
    if arg == "warmup":
        return v is None or (_is_real(v) and math.isfinite(v) and int(v) == v and 0 <= v <= 10_000)
    if isinstance(v, bool):
        return True                                           # True == 1: ambiguous, not fuzzed
    return v is None or (_is_real(v) and 0 < v <= 1)


_GARBAGE = [math.nan, math.inf, -math.inf, None, "1", [1], 1j, True, False, -1, -1.5, 10 ** 400, object()]


@fuzz(150, 8_000, arg=st.sampled_from(["ninc", "alpha", "beta", "seed", "neval_frac", "max_neval_hcube"]),
      bad=st.one_of(st.sampled_from(_GARBAGE), st.floats(), st.integers(-10 ** 30, 10 ** 30)))
def _integrator_bad_options(arg, bad):
    """Integrator(ninc=, alpha=, beta=, seed=, neval_frac=, max_neval_hcube=) with garbage: ValueError/TypeError
    naming the argument (valid values are skipped)."""
    def finite(v):
        try:
            return math.isfinite(v)
        except OverflowError:                      # an int beyond the float range: finite, but huge
            return True
    valid = {"ninc": lambda v: v is None or (_is_real(v) and finite(v) and int(v) == v and 1 <= v <= 100_000),
             "alpha": lambda v: _is_real(v) and 0 <= v <= 4, "beta": lambda v: _is_real(v) and 0 <= v <= 1,
             "neval_frac": lambda v: _is_real(v) and 0 <= v <= 0.99,
             "seed": lambda v: _is_real(v) and finite(v) and int(v) == v and 0 <= v < 2 ** 64,
             "max_neval_hcube": lambda v: _is_real(v) and finite(v) and int(v) == v and 2 <= v < 2 ** 31}[arg]
    assume(not valid(bad))
    with pytest.raises((ValueError, TypeError)) as info:
        jf.Integrator([(0.0, 1.0)], **{arg: bad})
    assert arg in str(info.value), (arg, bad, info.value)


test_integrator_bad_options, test_integrator_bad_options_slow = _integrator_bad_options


def test_time_limit_helper_fires():
    """The hang detector itself works (so a passing property really means 'no hang')."""
    import time
    with pytest.raises(CallTimeout):
        with time_limit(0.2, "sleep"):
            time.sleep(2)


# ================================================================================================ region maps, datasets
@pytest.mark.parametrize("target", ["dominant", "large"])
def test_region_mapper_small_budget(target):
    """A valid RegionMapper with a small budget (two rounds of 10 labels) fits; a target that cannot be learnt
    from so few labels may raise a ValueError that says so -- never an internal shape error."""
    pytest.importorskip("sklearn")
    rm = jf.RegionMapper(jf.CrossSection(), jf.Domain(), target=target, batch_size=10, budget=20, n_validation=100,
                         n_threads=1)
    with time_limit(120, "RegionMapper.fit"):
        try:
            rm.fit()
        except ValueError as exc:
            assert "shape" not in str(exc) and "broadcast" not in str(exc), f"internal error: {exc}"
            raise


_RM_BAD = {"batch_size": [0, 9, -1, 1.5, True, "10", None, math.nan], "budget": [0, 9, 1.5, True, "100", None],
           "seed": [-1, 1.5, True, "0", None], "committee": [-1, 1.5, True], "n_validation": [0, 99, 1.5, None],
           "candidates_per_batch": [0, 1.5, None], "threshold": [-0.1, 1.1, math.nan, "0.3", None],
           "large_quantile": [-0.1, 1.1, math.nan, None], "sigma_fraction": [1.5, math.nan, "x"],
           "explore_fraction": [-1, math.nan], "large_threshold": [0, -1.0, math.inf, math.nan, "1"],
           "patience": [0, -1, 1.5, True, "3"], "target": ["", "Dominant", None, 5, []],
           "state": ["u", "", None, 1, ["U"]], "uncertainty": ["", None, "Entropy"], "features": ["", None, 1],
           "n_threads": [0, 10 ** 9, 1.5, True, "2"], "domain": [5, "x", (0.1, 0.9)], "estimator": [5, "x", object()]}


@fuzz(150, 3_000, arg=st.sampled_from(sorted(_RM_BAD)), data=st.data())
def _region_mapper_bad_args(arg, data):
    """RegionMapper with one bad argument: ValueError/TypeError naming it, before any work."""
    pytest.importorskip("sklearn")
    bad = data.draw(st.sampled_from(_RM_BAD[arg]))
    with time_limit(30, "RegionMapper argument check"):
        with pytest.raises((ValueError, TypeError)) as info:
            jf.RegionMapper(_xs_integrator()[0], **{arg: bad})
    assert arg in str(info.value), (arg, bad, info.value)


test_region_mapper_bad_args, test_region_mapper_bad_args_slow = _region_mapper_bad_args

_GRID_BAD = [(0.1, 0.9, 0), (0.1, 0.9, -1), (0.1, 0.9, 2.5), (0.1, 0.9, True), (0.9, 0.1, 3), (math.nan, 0.9, 3),
             (0.1, math.inf, 3), ("a", 0.9, 3), (0.1, 0.9), (0.1, 0.9, 3, 4), None, 5, (0.1, 0.9, None)]


@fuzz(100, 3_000, axis=st.sampled_from(["x", "z", "Q", "PT"]), bad=st.sampled_from(_GRID_BAD))
def _gridspec_bad(axis, bad):
    """GridSpec with a bad axis (n not a positive integer, low > high, non-finite, wrong types, wrong length):
    ValueError/TypeError naming GridSpec.<axis>."""
    with pytest.raises((ValueError, TypeError)) as info:
        jf.data.GridSpec(**{axis: bad})
    assert f"GridSpec.{axis}" in str(info.value), (axis, bad, info.value)


test_gridspec_bad, test_gridspec_bad_slow = _gridspec_bad


@fuzz(100, 3_000, arg=st.sampled_from(["noise_fraction", "noise_sigma", "missing_fraction"]),
      bad=st.sampled_from([-0.1, 1.5, 11.0, math.nan, math.inf, "0.1", None, [0.1], 1j]))
def _corrupt_bad(arg, bad):
    """data.corrupt with a bad fraction or width: ValueError/TypeError naming it."""
    if arg == "noise_sigma" and bad == 1.5:
        return                                                # a valid width
    d = {"x": np.array([0.2, 0.3]), "z": np.array([0.5, 0.5]), "Q": np.array([10.0, 20.0]),
         "PT": np.array([1.0, 1.0]), **{c: np.ones(2) for c in jf.data.SIGMA_COLUMNS}}
    with pytest.raises((ValueError, TypeError)) as info:
        jf.data.corrupt(d, **{arg: bad})
    assert arg in str(info.value), (arg, bad, info.value)


test_corrupt_bad, test_corrupt_bad_slow = _corrupt_bad


@fuzz(25, 300, n=st.integers(1, 20_000), frac=st.floats(0.02, 1.0), unweighted=st.booleans(),
      seed=st.integers(0, 2 ** 32))
def _iter_events_equals_sample(n, frac, unweighted, seed):
    """iter_events(n, batch) yields batches whose concatenation equals sample(n) exactly (documented), for any
    n and batch >= n/50 (smaller batches: test_iter_events_small_batches_cost); weights finite, events inside the
    box."""
    batch = max(1, int(round(frac * n)))
    f = lambda X: np.exp(-((X - 0.3) ** 2).sum(axis=1) * 8)  # noqa: E731
    box = [(0.0, 1.0), (-1.0, 2.0)]
    kw = dict(unweighted=unweighted, neval=2000, warmup=2)
    with time_limit(60, "sample / iter_events"):
        ev = jf.Integrator(box, seed=seed, n_threads=1).sample(f, n, **kw)
        parts = list(jf.Integrator(box, seed=seed, n_threads=1).iter_events(f, n, batch, **kw))
    assert len(ev) == n and sum(len(p) for p in parts) == n
    assert all(len(p) == batch for p in parts[:-1])
    pts = np.concatenate([p.points for p in parts])
    w = np.concatenate([p.weight for p in parts])
    assert np.array_equal(pts, ev.points) and np.array_equal(w, ev.weight)
    assert np.all(np.isfinite(ev.weight)) and np.all(ev.weight > 0)
    b = np.array(box)
    assert np.all((ev.points >= b[:, 0]) & (ev.points <= b[:, 1]))


test_iter_events_equals_sample, test_iter_events_equals_sample_slow = _iter_events_equals_sample


@pytest.mark.parametrize("unweighted", [False, True])
def test_iter_events_small_batches_cost(unweighted):
    """iter_events(n, batch=1) must cost about what sample(n) costs -- bounded memory is its purpose -- not redraw
    a whole 4096-point stream for every batch: the integrand evaluations are counted."""
    calls = {"points": 0}

    def f(X):
        calls["points"] += len(X)
        return np.exp(-((X - 0.3) ** 2).sum(axis=1) * 8)

    box = [(0.0, 1.0), (-1.0, 2.0)]
    n = 3000
    jf.Integrator(box, seed=1, n_threads=1).sample(f, n, unweighted=unweighted, neval=2000, warmup=2)
    in_sample = calls["points"]
    calls["points"] = 0
    with time_limit(120, "iter_events(batch=1)"):
        k = sum(len(b) for b in jf.Integrator(box, seed=1, n_threads=1).iter_events(
            f, n, 1, unweighted=unweighted, neval=2000, warmup=2))
    assert k == n
    assert calls["points"] <= 2 * in_sample, (f"iter_events({n}, batch=1, unweighted={unweighted}) evaluated the "
                                              f"integrand at {calls['points']:,} points, sample({n}) at {in_sample:,}")


# ================================================================================================ fixed regressions
# (the properties above find these at random; these pin them down deterministically)
@pytest.mark.parametrize("point", [(0.999999, 1e-9, 1e-3, 0.0), (0.98, 0.5, 0.5, 1.0), (0.97, 0.3, 0.1, 0.0),
                                   (ONE_BELOW_1, 0.5, 0.01, 1e-3)])
def test_default_pdf_low_Q_large_x_non_negative(point):
    """Points below Q ~ 0.6 GeV at x > ~0.96 (default Params, embedded GRV94LO whose gluon turns negative below its
    validity range): refused with an error naming Q where y <= 1, else every cross section >= 0."""
    try:
        r = jf.CrossSection().evaluate(*point)
    except ValueError as exc:
        assert re.match(r"^Q must be finite and in \[0\.63", str(exc)), exc
        return
    assert np.all(np.isfinite(r.values))
    assert np.all(r.values >= 0), f"negative cross sections at {point}:\n{r.values}"


@pytest.mark.parametrize("name, z, kT", [("D1", TINY, 0.0), ("D1", 1e-300, 0.0), ("D1", 0.5, 1e300),
                                         ("G1L", 0.3, 1e200), ("D1LL", TINY, 1.0), ("G1T", 1e-300, 1e300)])
def test_tmd_ff_extremes_finite(name, z, kT):
    """At the extremes tmd_ff either refuses the input (ValueError naming z or kT and its range) or returns a
    finite value."""
    try:
        v = jf.tmd_ff(name, z, kT)
    except ValueError as exc:
        assert re.match(r"^(z|kT) must be finite and in \[", str(exc)), exc
        return
    assert math.isfinite(v), f"tmd_ff({name!r}, z={z!r}, kT={kT!r}) = {v!r}"


@pytest.mark.parametrize("c", [1e-135, 6e-135, 1e200, -1e200, 1e300])
def test_callable_extreme_constants(c):
    """A finite constant integrand c over [0, 1] x [0, 1e-5]: the integral is c * 1e-5, finite -- not NaN, not an
    internal 'neval_h' error."""
    with time_limit(60, "integrate a constant"):
        res = jf.Integrator([(0.0, 1.0), (0.0, 1e-5)], n_threads=1).integrate(
            lambda X: np.full(len(X), c), nitn=2, neval=1000, warmup=1)
    assert np.isfinite(res.mean[0]) and res.mean[0] == pytest.approx(c * 1e-5, rel=1e-9), res.mean


_INTEGRATE_BAD = {"adapt_to": ["X", ("ff", "X"), ("gluon", "U"), ("ff",), 5, ["ff", "U"], 1.5, ("ff", "U", "L")],
                  "track": [["nope"], [("ff", "X")], 5, "ff:U", [("gluon", "U")], [None], [5]],
                  "rtol": [0, -1, math.nan, "1", [1e-3], -math.inf]}


@fuzz(60, 1_000, arg=st.sampled_from(sorted(_INTEGRATE_BAD)), data=st.data(), callable_f=st.booleans())
def _integrate_bad_options(arg, data, callable_f):
    """integrate(adapt_to=, track=, rtol=) with a bad value: ValueError/TypeError naming the argument, before any
    work -- not a KeyError or an internal 'Layout.index()' message."""
    bad = data.draw(st.sampled_from(_INTEGRATE_BAD[arg]))
    if callable_f:
        integ, f = jf.Integrator([(0.0, 1.0)], n_threads=1), (lambda X: np.column_stack([X[:, 0], X[:, 0] ** 2]))
    else:
        f, integ = _xs_integrator()
    with time_limit(30, "integrate argument check"):
        with pytest.raises((ValueError, TypeError)) as info:
            integ.integrate(f, nitn=1, neval=1000, warmup=0, progress=False, **{arg: bad})
    assert arg in str(info.value), (arg, bad, info.value)


test_integrate_bad_options, test_integrate_bad_options_slow = _integrate_bad_options


@fuzz(100, 3_000, pts=kinematic_points(max_n=8), layout=st.sampled_from(["big_endian", "float32", "int", "strided",
                                                                        "fortran", "reversed", "uint8", "bool"]))
def _evaluate_dtypes_layouts(pts, layout):
    """Any real dtype and memory layout (documented: converted once) gives exactly the numbers of the float64
    contiguous input (with a PDF that extrapolates, so that every accepted point is evaluated)."""
    x, z, Q, PT = pts
    xs = jf.CrossSection(pdf=jf.pdf.GRV94LO(extrapolate="nearest"))
    if layout in ("int", "uint8", "bool"):
        Q = np.maximum(np.round(Q), 1).astype({"int": np.int64, "uint8": np.uint8, "bool": bool}[layout])
        Q = Q if layout != "uint8" else np.maximum(Q, 1)
        ref_Q = Q.astype(np.float64)
    else:
        ref_Q = Q
    ref = xs.evaluate(x, z, ref_Q, PT).values
    if layout == "big_endian":
        args = (x.astype(">f8"), z.astype(">f8"), Q.astype(">f8"), PT.astype(">f8"))
    elif layout == "float32":
        x32 = x.astype(np.float32)
        x64 = x32.astype(np.float64)
        assume(np.all((x64 >= X_MIN) & (x64 < 1.0)))      # float32 rounding may leave the accepted range
        ref = xs.evaluate(x32.astype(np.float64), z, Q, PT).values
        args = (x32, z, Q, PT)
    elif layout == "strided":
        args = tuple(np.repeat(a, 2)[::2] for a in (x, z, Q, PT))
    elif layout == "fortran":
        args = tuple(np.asfortranarray(np.stack([a, a], axis=1))[:, 0] for a in (x, z, Q, PT))
    elif layout == "reversed":
        args = tuple(a[::-1].copy()[::-1] for a in (x, z, Q, PT))
    else:
        args = (x, z, Q, PT)
    out = xs.evaluate(*args).values
    assert np.array_equal(out, ref), f"{layout}: results differ from the float64 contiguous input"


test_evaluate_dtypes_layouts, test_evaluate_dtypes_layouts_slow = _evaluate_dtypes_layouts
