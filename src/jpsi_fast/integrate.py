"""Adaptive Monte Carlo integration (VEGAS+) of the cross sections over (x, z, Q, P_T), binned dsigma/dP_T,
and event sampling. The heavy lifting is in :mod:`jpsi_fast._vegas` (Cython + OpenMP); this module holds the
domain, the adaptive-map and stratification updates (NumPy, a few thousand numbers per iteration), the
iteration averaging and the result objects.

Units: totals in pb (integral of dsigma over dx dQ dz dP_T, SPEC section 7), histograms in pb/GeV.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import _vegas
from ._openmp_helpers import resolve_n_threads
from .xsec import CHANNELS, STATES, CrossSection

__all__ = ["Domain", "Bin", "standard_bins", "Integrator", "Estimate", "IntegrationResult", "Histogram", "Events"]

AXES = ("x", "z", "Q", "PT")
_XSEC_COV_MASK = np.array([0 if s == "T" else 1 for _ in CHANNELS for s in STATES])
#: component map (channel-major, states U, L, T): T = U - L, so cov = A C_UL A^T
_T_FROM_UL = np.eye(len(CHANNELS) * len(STATES))
for _c in range(len(CHANNELS)):
    _T_FROM_UL[3 * _c + 2] = 0.0
    _T_FROM_UL[3 * _c + 2, 3 * _c] = 1.0
    _T_FROM_UL[3 * _c + 2, 3 * _c + 1] = -1.0


def _interval(name, value, lo, hi, closed_lo=False):
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"Domain.{name} must be a pair (low, high), got {value!r}") from None
    ok_lo = (a >= lo) if closed_lo else (a > lo)
    if not (math.isfinite(a) and math.isfinite(b) and ok_lo and a < b and b <= hi):
        left = "[" if closed_lo else "("
        raise ValueError(f"Domain.{name} must satisfy {left}{lo} <= low < high <= {hi}, got ({a}, {b})")
    return (a, b)


@dataclass(frozen=True)
class Domain:
    """Phase-space region of SPEC section 7: a box in x, z, Q [GeV], P_T [GeV] with cuts.

    ``y``: optional inelasticity window (ymin, ymax) inside [0, 1]; y <= 1 is always imposed (the physical
    region). ``tmd_cut``: the TMD-region cut P_T <= z Q / 2 (default on). Points outside the cuts have weight 0.
    """

    x: tuple = (0.1, 0.99)
    z: tuple = (0.1, 0.8)
    Q: tuple = (10.0, 50.0)
    PT: tuple = (0.0, 6.0)
    y: tuple | None = None
    tmd_cut: bool = True

    def __post_init__(self):
        object.__setattr__(self, "x", _interval("x", self.x, 0.0, 1.0))
        object.__setattr__(self, "z", _interval("z", self.z, 0.0, 1.0))
        object.__setattr__(self, "Q", _interval("Q", self.Q, 0.0, math.inf))
        object.__setattr__(self, "PT", _interval("PT", self.PT, 0.0, math.inf, closed_lo=True))
        if self.y is not None:
            object.__setattr__(self, "y", _interval("y", self.y, 0.0, 1.0, closed_lo=True))
        if self.x[1] >= 1.0 or self.z[1] >= 1.0:
            raise ValueError("Domain.x and Domain.z must stay below 1")

    @property
    def bounds(self) -> np.ndarray:
        """(4, 2) array of the box limits of x, z, Q, P_T."""
        return np.array([self.x, self.z, self.Q, self.PT], dtype=float)

    def cuts(self, params) -> tuple:
        """(s, ymin, ymax, tmd_cut, x_lo, x_hi, PT_lo, PT_hi) for the compiled integrator."""
        ymin, ymax = self.y if self.y is not None else (0.0, 1.0)
        return (params.s, ymin, ymax, 1 if self.tmd_cut else 0, *self.x, *self.PT)

    @property
    def map_bounds(self) -> np.ndarray:
        """Bounds of the integrator's map axes (u_x, z, Q, u_PT): x and P_T as fractions in [0, 1] of the
        range the cuts allow at each (z, Q)."""
        return np.array([(0.0, 1.0), self.z, self.Q, (0.0, 1.0)], dtype=float)

    def contains(self, x, z, Q, PT, params) -> np.ndarray:
        """Boolean mask of points inside the box and the cuts."""
        s, ymin, ymax, tmd = self.cuts(params)[:4]
        x, z, Q, PT = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, z, Q, PT)))
        y = Q * Q / (x * s)
        m = (y >= ymin) & (y <= ymax)
        for v, (lo, hi) in zip((x, z, Q, PT), self.bounds):
            m &= (v >= lo) & (v <= hi)
        if tmd:
            m &= PT <= 0.5 * z * Q
        return m


@dataclass(frozen=True)
class Bin:
    """A (z, Q) region for dsigma/dP_T histograms: z in [z0, z1), Q in [Q0, Q1) GeV, x over the domain."""

    z: tuple
    Q: tuple
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "z", _interval("z", self.z, 0.0, 1.0))
        object.__setattr__(self, "Q", _interval("Q", self.Q, 0.0, math.inf))
        if not self.label:
            object.__setattr__(self, "label", f"{self.z[0]:g} ≤ z < {self.z[1]:g},  {self.Q[0]:g} ≤ Q < {self.Q[1]:g} GeV")


def standard_bins(domain: Domain | None = None) -> tuple:
    """SPEC 7's 2 x 2 bins: z in [0.1, 0.4) or [0.4, 0.8]; Q in [10, 30) or [30, 50] GeV. The upper edges are
    nudged up by 1e-12 so that the domain's top edges fall inside."""
    d = domain or Domain()
    top_z, top_Q = d.z[1] * (1 + 1e-12), d.Q[1] * (1 + 1e-12)
    return (Bin((d.z[0], 0.4), (d.Q[0], 30.0)), Bin((d.z[0], 0.4), (30.0, top_Q)),
            Bin((0.4, top_z), (d.Q[0], 30.0)), Bin((0.4, top_z), (30.0, top_Q)))


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate: ``mean`` and standard deviation ``sdev`` (same units)."""

    mean: float
    sdev: float

    @property
    def rel(self) -> float:
        """Relative error sdev/|mean| (inf for a zero mean with a non-zero error)."""
        return self.sdev / abs(self.mean) if self.mean else (0.0 if self.sdev == 0 else math.inf)

    def __str__(self):
        if self.sdev <= 0 or not math.isfinite(self.sdev) or self.mean == 0:
            return f"{self.mean:.6g} +- {self.sdev:.2g}"
        digits = max(0, int(math.floor(math.log10(abs(self.mean)))) - int(math.floor(math.log10(self.sdev))) + 1)
        return f"{self.mean:.{digits}e} +- {self.sdev:.1e}"


def _chi2_sf(chi2, dof):
    if dof <= 0:
        return 1.0
    from scipy.stats import chi2 as _chi2
    return float(_chi2.sf(chi2, dof))


@dataclass
class IntegrationResult:
    """Integrals of every component (channel x state for the physics integrand) over the domain.

    ``mean``/``sdev`` have shape (n_channels, n_states) for a CrossSection (pb), else (n_components,);
    ``cov`` is the covariance of the flattened components; ``chi2``/``dof`` measure the consistency of the
    iterations (per component; ``chi2_dof`` and ``Q`` for the component the map adapted to).
    """

    mean: np.ndarray
    sdev: np.ndarray
    cov: np.ndarray
    chi2: np.ndarray
    dof: int
    itn_mean: np.ndarray
    itn_sdev: np.ndarray
    adapt: np.ndarray
    neval: int
    weighted: bool
    wall_time: float
    channels: tuple = CHANNELS
    states: tuple = STATES

    def __getitem__(self, key) -> Estimate:
        if isinstance(key, tuple):
            c, s = key
            i = (self.channels.index(c), self.states.index(s))
        else:
            i = (key,)
        return Estimate(float(self.mean[i]), float(self.sdev[i]))

    def total(self, state="U") -> Estimate:
        """Sum over channels for one state, with the channels' covariance."""
        k = self.states.index(state)
        w = np.zeros(self.mean.size)
        w.reshape(self.mean.shape)[:, k] = 1.0
        return Estimate(float(w @ self.mean.ravel()), float(math.sqrt(max(w @ self.cov @ w, 0.0))))

    @property
    def adapted(self) -> Estimate:
        """The component the map adapted to (default: total sigma_U)."""
        w = self.adapt
        return Estimate(float(w @ self.mean.ravel()), float(math.sqrt(max(w @ self.cov @ w, 0.0))))

    @property
    def chi2_dof(self) -> float:
        """chi^2 per degree of freedom of the iterations of the adapted component."""
        m = self.itn_mean.reshape(len(self.itn_mean), -1) @ self.adapt
        v = (self.itn_sdev.reshape(len(self.itn_sdev), -1) ** 2) @ (self.adapt ** 2)
        if self.dof <= 0 or np.any(v <= 0):
            return 0.0
        mean = self.adapted.mean
        return float(np.sum((m - mean) ** 2 / v) / self.dof)

    @property
    def Q(self) -> float:
        """p-value of chi2_dof (probability of a larger chi^2 from statistical fluctuations alone)."""
        return _chi2_sf(self.chi2_dof * self.dof, self.dof)

    def summary(self) -> str:
        lines = [f"{'itn':>4} {'integral (adapted)':>26} {'rel.err':>9}"]
        m = self.itn_mean.reshape(len(self.itn_mean), -1) @ self.adapt
        v = np.sqrt((self.itn_sdev.reshape(len(self.itn_sdev), -1) ** 2) @ (self.adapt ** 2))
        for i, (a, b) in enumerate(zip(m, v)):
            e = Estimate(float(a), float(b))
            lines.append(f"{i + 1:4d} {str(e):>26} {e.rel:9.2e}")
        e = self.adapted
        lines.append(f"{'all':>4} {str(e):>26} {e.rel:9.2e}   chi2/dof = {self.chi2_dof:.2f} (Q = {self.Q:.2f}), "
                     f"{'weighted' if self.weighted else 'unweighted'} average, {self.neval:,} evaluations, "
                     f"{self.wall_time:.2f} s")
        if self.mean.ndim == 2:
            lines.append("")
            lines.append(f"{'channel':>10} " + " ".join(f"{s + ' [pb]':>24}" for s in self.states))
            for c in self.channels:
                lines.append(f"{c:>10} " + " ".join(f"{str(self[c, s]):>24}" for s in self.states))
            lines.append(f"{'total':>10} " + " ".join(f"{str(self.total(s)):>24}" for s in self.states))
        return "\n".join(lines)

    def __repr__(self):
        return f"<IntegrationResult {self.adapted} (chi2/dof {self.chi2_dof:.2f})>"


@dataclass
class Histogram:
    """dsigma/dP_T [pb/GeV] per (z, Q) bin, channel, state and P_T bin: ``values``/``errors`` of shape
    (n_bins, n_channels, n_states, n_pt)."""

    values: np.ndarray
    errors: np.ndarray
    bins: tuple
    pt_edges: np.ndarray
    channels: tuple = CHANNELS
    states: tuple = STATES
    neval: int = 0

    @property
    def pt_centers(self):
        return 0.5 * (self.pt_edges[1:] + self.pt_edges[:-1])

    def total(self, state="U"):
        """(n_bins, n_pt) channel sum for one state and its error (channels' errors added in quadrature)."""
        k = self.states.index(state)
        return self.values[:, :, k].sum(axis=1), np.sqrt((self.errors[:, :, k] ** 2).sum(axis=1))

    def plot(self, path, states=("U", "L")):
        """One panel per (z, Q) bin, a curve per channel with error bands, log y axis; writes ``path``."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .xsec import CHANNEL_LABELS
        n = len(self.bins)
        ncol = 2 if n > 1 else 1
        nrow = (n + ncol - 1) // ncol
        fig, axes = plt.subplots(nrow, ncol, figsize=(5.5 * ncol, 4.0 * nrow + 0.6), squeeze=False,
                                 layout="constrained")
        styles = {"U": "-", "L": "--", "T": ":"}
        for b, ax in enumerate(axes.ravel()):
            if b >= n:
                ax.axis("off")
                continue
            for c, ch in enumerate(self.channels):
                color = f"C{c}"
                for st in states:
                    k = self.states.index(st)
                    v, e = self.values[b, c, k], self.errors[b, c, k]
                    ax.stairs(v, self.pt_edges, color=color, ls=styles[st], label=f"{CHANNEL_LABELS[ch]} {st}")
                    ax.fill_between(self.pt_edges, np.append(v - e, (v - e)[-1]), np.append(v + e, (v + e)[-1]),
                                    step="post", color=color, alpha=0.2, lw=0)
            ax.set_yscale("log")
            top = self.values[b].max()
            if top > 0:
                ax.set_ylim(top * 1e-6, top * 3)
            ax.set_xlabel(r"$P_T$ [GeV]")
            ax.set_ylabel(r"$d\sigma/dP_T$ [pb/GeV]")
            ax.set_title(self.bins[b].label, fontsize=10)
            ax.grid(alpha=0.3)
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(self.channels), fontsize=8, frameon=False)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


@dataclass
class Events:
    """Phase-space points (x, z, Q [GeV], P_T [GeV]) and weights [pb]. For unweighted events every weight is
    sigma/n; ``efficiency`` is the accept-reject acceptance, ``max_weight`` the envelope used and
    ``n_overweight`` the number of trial weights above it (their excess is clipped)."""

    x: np.ndarray
    z: np.ndarray
    Q: np.ndarray
    PT: np.ndarray
    weight: np.ndarray
    unweighted: bool
    efficiency: float = 1.0
    max_weight: float = float("nan")
    n_overweight: int = 0
    n_trials: int = 0

    def __len__(self):
        return len(self.x)

    @property
    def points(self):
        return np.column_stack([self.x, self.z, self.Q, self.PT])


class Integrator:
    """VEGAS+ adaptive importance sampling with adaptive stratification, in Cython + OpenMP.

    Parameters
    ----------
    domain : Domain or sequence of (low, high)
        A :class:`Domain` for cross sections (dx dz dQ dP_T with cuts), or box bounds for a generic
        callable integrand (any dimension up to 16). With a Domain the map's axes are (u_x, z, Q, u_PT), x and
        P_T being fractions of the ranges the cuts allow at each (z, Q), so no evaluation is wasted outside
        the cuts (``edges`` are in those coordinates).
    ninc : number of increments of the adaptive map per axis.
    alpha : map damping (0: no adaptation; 0.5 default).
    beta : stratification damping (evaluations per hypercube proportional to sigma_h^beta; 0 = uniform).
    seed : random seed; results depend only on the seed, never on the thread count.
    n_threads : OpenMP threads (None: all cores; negative like joblib).

    The map and allocation are kept between calls, so a second call starts from the adapted state.
    """

    def __init__(self, domain=None, ninc: int = 1000, alpha: float = 0.5, beta: float = 0.75, seed: int = 0,
                 n_threads=None):
        if domain is None:
            domain = Domain()
        if isinstance(domain, Domain):
            self.domain, bounds = domain, domain.map_bounds
        else:
            self.domain = None
            bounds = np.asarray(domain, dtype=float)
            if bounds.ndim != 2 or bounds.shape[1] != 2 or not 1 <= bounds.shape[0] <= 16:
                raise ValueError("domain must be a Domain or a (dim, 2) sequence of (low, high) with 1 <= dim <= 16")
            if not np.all(np.isfinite(bounds)) or np.any(bounds[:, 1] <= bounds[:, 0]):
                raise ValueError(f"domain bounds must be finite with low < high, got {bounds.tolist()}")
        if int(ninc) != ninc or not 2 <= ninc <= 100_000:
            raise ValueError(f"ninc must be an integer in [2, 100000], got {ninc!r}")
        if not 0 <= alpha <= 4:
            raise ValueError(f"alpha must be in [0, 4], got {alpha!r}")
        if not 0 <= beta <= 1:
            raise ValueError(f"beta must be in [0, 1], got {beta!r}")
        if int(seed) != seed or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.bounds = bounds
        self.dim = bounds.shape[0]
        self.ninc, self.alpha, self.beta, self.seed = int(ninc), float(alpha), float(beta), int(seed)
        self.n_threads = resolve_n_threads(n_threads)
        self.reset()

    def reset(self):
        """Forget the adaptation: uniform map, uniform allocation."""
        self.edges = np.array([np.linspace(lo, hi, self.ninc + 1) for lo, hi in self.bounds])
        self._nstrat = None
        self._neval_h = None
        self._itn = 0

    # ------------------------------------------------------------------ adaptation
    def _layout(self, neval, adapt_weights, physics=False):
        nstrat = max(1, int((neval / 4.0) ** (1.0 / self.dim)))
        ncubes = nstrat ** self.dim
        if self._nstrat != nstrat or self._neval_h is None:
            self._nstrat = nstrat
            self._neval_h = np.full(ncubes, max(2, neval // ncubes), dtype=np.intc)
        self._itn += 1
        # physics: the covariance is accumulated for U and L only; T = U - L follows (_complete_cov_T)
        cov_mask = _XSEC_COV_MASK if physics else None
        return _vegas.VegasLayout(self.edges, self._neval_h, nstrat, adapt_weights, self.seed, self._itn, cov_mask)

    def _adapt_map(self, train):
        """VEGAS map refinement: smooth the per-increment sums of (f J)^2, damp with alpha, equalise."""
        if self.alpha == 0:
            return
        for d in range(self.dim):
            a = train[d]
            if not np.any(a > 0):
                continue
            sm = np.empty_like(a)
            if len(a) > 1:
                sm[0] = (7 * a[0] + a[1]) / 8
                sm[-1] = (a[-2] + 7 * a[-1]) / 8
                sm[1:-1] = (a[:-2] + 6 * a[1:-1] + a[2:]) / 8
            else:
                sm[:] = a
            sm /= sm.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where((sm > 0) & (sm < 1), ((1 - sm) / np.log(1 / sm)) ** self.alpha, 0.0)
            r = np.where(sm >= 1, 1.0, r)
            r += 1e-10 * r.max()
            cum = np.concatenate([[0.0], np.cumsum(r)])
            self.edges[d] = np.interp(np.linspace(0, cum[-1], self.ninc + 1), cum, self.edges[d])
            self.edges[d, 0], self.edges[d, -1] = self.bounds[d]

    def _adapt_strata(self, sigma2, neval):
        if self.beta == 0:
            return
        d = np.sqrt(np.maximum(sigma2, 0.0)) ** self.beta
        total = d.sum()
        ncubes = len(sigma2)
        extra = max(neval - 2 * ncubes, 0)
        if total <= 0 or extra == 0:
            return
        self._neval_h = (2 + np.floor(extra * d / total)).astype(np.intc)

    # ------------------------------------------------------------------ one iteration
    def _iteration(self, f, neval, adapt_weights, adapt, hist=None, track_cov=True):
        layout = self._layout(neval, adapt_weights, physics=isinstance(f, CrossSection))
        if isinstance(f, CrossSection):
            regions, pt_edges = hist if hist is not None else (None, None)
            tot, sigma2 = _vegas.iterate_xsec(layout, f.kernel_config(), f.pdf.core, self.domain.cuts(f.params),
                                              regions, pt_edges, self.n_threads, track_cov)
            tot["cov"] = _T_FROM_UL @ tot["cov"] @ _T_FROM_UL.T
        else:
            X, J, INC = _vegas.generate(layout, self.n_threads)
            F = np.asarray(f(X), dtype=float)
            if F.ndim == 1:
                F = F[:, None]
            if F.shape != (len(X), len(adapt_weights)):
                raise ValueError(f"integrand returned shape {F.shape}, expected ({len(X)},) or ({len(X)}, k) "
                                 f"with k = {len(adapt_weights)}")
            if not np.all(np.isfinite(F)):
                raise ValueError("integrand returned non-finite values")
            tot, sigma2 = _vegas.accumulate(layout, np.ascontiguousarray(F * J[:, None]), INC, self.n_threads,
                                            track_cov)
        if adapt:
            self._adapt_map(tot["train"])
            self._adapt_strata(sigma2, neval)
        return tot, layout.n_total

    def _components(self, f, ncomp_hint=None):
        if isinstance(f, CrossSection):
            if self.domain is None or self.dim != 4:
                raise ValueError("a CrossSection needs an Integrator built on a jpsi_fast.Domain")
            return len(CHANNELS) * len(STATES)
        if not callable(f):
            raise TypeError(f"integrand must be a jpsi_fast.CrossSection or a callable f(X[n, d]) -> [n, k], "
                            f"got {type(f).__name__}")
        if self.domain is not None:
            raise TypeError("an Integrator built on a jpsi_fast.Domain integrates CrossSection objects; for a "
                            "callable, build it on box bounds: Integrator([(lo, hi), ...])")
        if ncomp_hint is None:
            probe = np.asarray(f(np.mean(self.bounds, axis=1)[None, :]), dtype=float)
            ncomp_hint = 1 if probe.ndim <= 1 else probe.shape[1]
        return ncomp_hint

    def _adapt_weights(self, f, ncomp, adapt_to):
        w = np.zeros(ncomp)
        if isinstance(f, CrossSection):
            if adapt_to is None:
                adapt_to = "U"
            if isinstance(adapt_to, str) and adapt_to in STATES:        # channel sum of one state
                w.reshape(len(CHANNELS), len(STATES))[:, STATES.index(adapt_to)] = 1.0
            elif isinstance(adapt_to, tuple) and len(adapt_to) == 2:
                w.reshape(len(CHANNELS), len(STATES))[CHANNELS.index(adapt_to[0]), STATES.index(adapt_to[1])] = 1.0
            else:
                raise ValueError(f"adapt_to must be a state name (channel sum) or a (channel, state) pair, "
                                 f"got {adapt_to!r}")
        else:
            k = 0 if adapt_to is None else int(adapt_to)
            if not 0 <= k < ncomp:
                raise ValueError(f"adapt_to must be a component index in [0, {ncomp}), got {adapt_to!r}")
            w[k] = 1.0
        return w

    @staticmethod
    def _check_counts(nitn, neval, warmup):
        for name, v, lo in (("nitn", nitn, 1), ("neval", neval, 64), ("warmup", warmup, 0)):
            if int(v) != v or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")

    @staticmethod
    def _progress(total, desc, progress, work=0):
        """tqdm bar: progress=True/False, or None = automatic (on for >= 5e6 evaluations on a terminal)."""
        if progress is None:
            import sys
            progress = work >= 5_000_000 and sys.stderr.isatty()
        if not progress:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:          # pragma: no cover - tqdm is a dependency
            return None
        return tqdm(total=total, desc=desc, unit="itn", leave=False)

    def _warmup(self, f, neval, aw, warmup, bar):
        """Adapting iterations whose results are discarded."""
        for _ in range(warmup):
            self._iteration(f, neval, aw, True, track_cov=False)
            if bar is not None:
                bar.update()

    # ------------------------------------------------------------------ public API
    def integrate(self, f, nitn: int = 10, neval: int = 200_000, warmup: int = 5, adapt: bool = True,
                  adapt_to=None, rtol: float | None = None, progress=None) -> IntegrationResult:
        """Integrate ``f`` over the domain.

        ``f``: a :class:`CrossSection` (integrand 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2), all channels x states,
        result in pb) or a callable ``f(X[n, dim]) -> [n]`` or ``[n, k]`` (no cuts applied). ``warmup``
        iterations adapt the map and are discarded; ``nitn`` iterations of ~``neval`` evaluations follow.
        ``adapt=True``: the map keeps adapting and iterations are combined by a weighted average with chi^2;
        ``adapt=False``: the map is frozen and iterations are combined by an unweighted average.
        ``adapt_to``: the component the map and stratification follow — for a CrossSection a state name
        (channel sum, default "U", i.e. total sigma_U) or a (channel, state) pair; for a callable an index.
        ``rtol``: stop as soon as the adapted component's combined relative error is <= rtol (at least 2 and
        at most ``nitn`` iterations after the warm-up).
        ``progress``: tqdm progress bar (None: shown for runs of >= 5e6 evaluations on a terminal).
        """
        self._check_counts(nitn, neval, warmup)
        t0 = time.perf_counter()
        ncomp = self._components(f)
        aw = self._adapt_weights(f, ncomp, adapt_to)
        bar = self._progress(warmup + nitn, "VEGAS+", progress, (warmup + nitn) * neval)
        self._warmup(f, neval, aw, warmup, bar)
        if rtol is not None and not rtol > 0:
            raise ValueError(f"rtol must be > 0 or None, got {rtol!r}")
        means, covs, n_tot = [], [], 0
        for i in range(nitn):
            tot, n = self._iteration(f, neval, aw, adapt)
            means.append(tot["mean"])
            covs.append(tot["cov"])
            n_tot += n
            if bar is not None:
                bar.update()
            if rtol is not None and i >= 1:
                m, c, _ = _combine(np.array(means), np.array(covs), adapt, aw)
                if math.sqrt(max(aw @ c @ aw, 0.0)) <= rtol * abs(aw @ m):
                    break
        if bar is not None:
            bar.close()
        nitn = len(means)
        mean, cov, chi2 = _combine(np.array(means), np.array(covs), adapt, aw)
        shape = (len(CHANNELS), len(STATES)) if isinstance(f, CrossSection) else (ncomp,)
        sd_itn = np.sqrt(np.maximum(np.array([np.diag(c) for c in covs]), 0.0))
        return IntegrationResult(mean.reshape(shape), np.sqrt(np.maximum(np.diag(cov), 0)).reshape(shape), cov, chi2,
                                 nitn - 1, np.array(means).reshape((nitn,) + shape), sd_itn.reshape((nitn,) + shape),
                                 aw, n_tot, adapt, time.perf_counter() - t0)

    def histogram(self, xs: CrossSection, bins=None, pt_edges=None, nitn: int = 10, neval: int = 200_000,
                  warmup: int = 5, adapt_to=None, progress=None) -> Histogram:
        """dsigma/dP_T [pb/GeV] in (z, Q) bins (default :func:`standard_bins`) and P_T bins ``pt_edges``
        (default 24 bins over the domain's P_T range), for every channel and state, from one run: ``warmup``
        adapting iterations, then ``nitn`` with the map frozen, combined by an unweighted average.
        Bins are half-open and should not overlap (a point counts in the first bin that contains it)."""
        self._check_counts(nitn, neval, warmup)
        if not isinstance(xs, CrossSection):
            raise TypeError("histogram() needs a jpsi_fast.CrossSection")
        ncomp = self._components(xs)
        bins = tuple(bins) if bins is not None else standard_bins(self.domain)
        if not bins or not all(isinstance(b, Bin) for b in bins):
            raise ValueError("bins must be a non-empty sequence of jpsi_fast.Bin")
        pt_edges = np.linspace(*self.domain.PT, 25) if pt_edges is None else np.asarray(pt_edges, dtype=float)
        if pt_edges.ndim != 1 or len(pt_edges) < 2 or np.any(np.diff(pt_edges) <= 0) or pt_edges[0] < 0:
            raise ValueError("pt_edges must be >= 2 increasing, non-negative P_T values [GeV]")
        regions = np.array([[*b.z, *b.Q] for b in bins], dtype=float)
        aw = self._adapt_weights(xs, ncomp, adapt_to)
        bar = self._progress(warmup + nitn, "VEGAS+ histogram", progress, (warmup + nitn) * neval)
        self._warmup(xs, neval, aw, warmup, bar)
        acc_sum = acc_var = 0.0
        n_tot = 0
        for _ in range(nitn):
            tot, n = self._iteration(xs, neval, aw, False, hist=(regions, pt_edges), track_cov=False)
            acc_sum = acc_sum + tot["hist"][..., 0]
            acc_var = acc_var + tot["hist"][..., 1]
            n_tot += n
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        npt = len(pt_edges) - 1
        width = np.diff(pt_edges)
        shape = (len(bins), npt, len(CHANNELS), len(STATES))
        vals = (acc_sum / nitn).reshape(shape) / width[None, :, None, None]
        errs = (np.sqrt(np.maximum(acc_var, 0.0)) / nitn).reshape(shape) / width[None, :, None, None]
        return Histogram(vals.transpose(0, 2, 3, 1).copy(), errs.transpose(0, 2, 3, 1).copy(), bins, pt_edges,
                         neval=n_tot)

    def sample(self, xs: CrossSection, n: int, unweighted: bool = True, adapt_to=None, neval: int = 200_000,
               warmup: int = 5, chunk: int = 4096, max_weight_quantile: float | None = None,
               progress=None) -> Events:
        """Phase-space points distributed like one cross-section component (default total sigma_U).

        The map is adapted first (``warmup`` iterations of ``neval``, skipped when already adapted to the same
        integrand by an earlier call). Points are drawn from the adapted map (no stratification, so they come in
        random order). ``unweighted=True``: accept-reject against an envelope = the largest weight of a trial
        run of max(2 n, 10^5) points (or its ``max_weight_quantile`` if given); weights above it are counted in
        ``n_overweight``. Every accepted event has weight sigma/n [pb]. ``unweighted=False``: n weighted points
        whose weights sum to the integral estimate [pb].
        """
        if not isinstance(xs, CrossSection):
            raise TypeError("sample() needs a jpsi_fast.CrossSection")
        if int(n) != n or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if int(chunk) != chunk or chunk < 1:
            raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
        ncomp = self._components(xs)
        aw = self._adapt_weights(xs, ncomp, adapt_to)
        key = (id(xs), tuple(aw))
        if getattr(self, "_adapted_for", None) != key:
            self._warmup(xs, neval, aw, warmup, None)
            self._adapted_for = key
        # each call draws fresh streams: the call counter goes into the Philox counter (deterministic per seed)
        self._sample_calls = getattr(self, "_sample_calls", 0) + 1
        layout = _vegas.VegasLayout(self.edges, np.full(1, 2, dtype=np.intc), 1, aw, self.seed, self._sample_calls)
        cuts = self.domain.cuts(xs.params)
        if not unweighted:
            nch = -(-n // chunk)
            X, W, _ = _vegas.sample_xsec(layout, xs.kernel_config(), xs.pdf.core, cuts, 0, nch, chunk, self.n_threads)
            X, W = X[:n], W[:n] / n
            return Events(*X.T, W, unweighted=False, n_trials=n)
        # envelope from a trial run (its own chunk range)
        ntrial = max(2 * n, 100_000)
        tch = -(-ntrial // chunk)
        _, Wt, _ = _vegas.sample_xsec(layout, xs.kernel_config(), xs.pdf.core, cuts, 1 << 40, tch, chunk,
                                      self.n_threads)
        sigma = float(Wt.mean())
        if not sigma > 0:
            raise ValueError("the chosen cross-section component is zero everywhere in the domain")
        wmax = float(Wt.max() if max_weight_quantile is None else np.quantile(Wt, max_weight_quantile))
        pts, acc_total, trials, over, first = [], 0, 0, 0, 0
        per_round = max(4 * self.n_threads, int(math.ceil(1.3 * n * wmax / sigma / chunk)))
        per_round = min(per_round, 2048)
        bar = self._progress(n, "sampling", progress, 20 * n)
        while acc_total < n:
            X, W, U = _vegas.sample_xsec(layout, xs.kernel_config(), xs.pdf.core, cuts, first, per_round, chunk,
                                         self.n_threads)
            first += per_round
            trials += len(W)
            over += int(np.count_nonzero(W > wmax))
            keep = U * wmax < W
            pts.append(X[keep])
            acc_total += int(keep.sum())
            if bar is not None:
                bar.update(min(int(keep.sum()), n - (acc_total - int(keep.sum()))))
        if bar is not None:
            bar.close()
        X = np.concatenate(pts)[:n]
        # events are accepted in chunk order; the order within the domain is random already (no strata)
        used_trials = trials
        return Events(*X.T, np.full(n, sigma / n), unweighted=True, efficiency=acc_total / used_trials,
                      max_weight=wmax, n_overweight=over, n_trials=used_trials)


def _combine(means, covs, weighted, adapt):
    """Average iteration estimates; returns (mean, covariance, chi2 per component).

    Weighted: every component uses the same inverse-variance weights, those of the adapted component, so linear
    relations between components (U = L + T, totals = channel sums) hold exactly in the average.
    Unweighted: plain mean (for iterations with a frozen map)."""
    n = len(means)
    var = np.array([np.diag(c) for c in covs])
    if weighted:
        va = np.array([adapt @ c @ adapt for c in covs])
        w = 1.0 / va if np.all(va > 0) else np.ones(n)
        w = w / w.sum()
    else:
        w = np.full(n, 1.0 / n)
    mean = w @ means
    cov = np.einsum("i,iab->ab", w * w, covs)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.where(var > 0, (means - mean) ** 2 / var, 0.0).sum(axis=0)
    return mean, cov, chi2
