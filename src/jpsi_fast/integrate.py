"""Adaptive Monte Carlo integration (VEGAS+), binned distributions and event sampling of any
:class:`jpsi_fast._integrand.Integrand` -- the J/psi cross sections over a :class:`Domain`, a Python callable over
a box, or a user's compiled integrand.

The compiled engine (:mod:`jpsi_fast._vegas`) samples and accumulates; this module holds the phase-space
:class:`Domain`, the adaptive map and stratification updates (NumPy, following vegas 6.4: increments per axis and
strata chosen from ``neval``, the map trained on per-increment *averages* of (f J)^2, smoothed and damped by
``alpha``; evaluations per hypercube proportional to the variance of its estimate to the power ``beta``/2), the
combination of iterations and the result objects.

Units: integrals of the physics integrand in pb (docs/physics.md §7), histograms in pb/GeV.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from . import _vegas
from ._integrand import CallableIntegrand, Integrand
from ._openmp_helpers import resolve_n_threads
from ._progress import progress_bar
from ._validate import as_float_array, integer, real
from ._xsec_integrand import contains_array, cut_jacobian, inelasticity_array
from .components import DENSITY_STATES, STATES, Layout, channel_names
from .params import DECAY_LEPTONS, check_decay
from .xsec import decay_lambdas_with_errors

__all__ = ["Acceptance", "Domain", "Bin", "standard_bins", "Integrator", "Estimate", "IntegrationResult", "Events"]

AXES = ("x", "z", "Q", "PT")
#: vegas's defaults (gplepage/vegas 6.4): at most this many map increments per axis ...
MAX_INCREMENTS = 1000
#: ... about neval / this many increments per axis ...
EVALS_PER_INCREMENT = 10
#: ... this fraction of the evaluations is distributed by the stratification (the rest uniformly) ...
NEVAL_FRAC = 0.75
#: ... and at most this many evaluations per hypercube
MAX_NEVAL_HCUBE = 50_000
#: at most this many hypercubes (memory of the stratification)
MAX_HYPERCUBES = 1 << 24
#: floor of the map-training weights (vegas's TINY)
TRAIN_FLOOR = 1e-257
#: points per random stream of the sampler
SAMPLE_CHUNK = 4096
#: default adapting iterations before sampling with a map not yet adapted to the integrand
SAMPLE_WARMUP = 5
#: streams of SAMPLE_CHUNK points per block of the sampler's trial run (bounded memory for any number of events)
TRIAL_BLOCK_CHUNKS = 64
#: the largest stream key of a generation (the sampler's call number is a uint32 in the stream keys)
MAX_SAMPLE_CALL = 2 ** 32 - 1
#: trials beyond which sampling refuses to start (an envelope this loose would take hours)
MAX_SAMPLE_TRIALS = 1e11
#: memory allowed for histogram accumulators [bytes]
HIST_MEMORY_LIMIT = 2 << 30
#: grid points per axis of the unit cube used to find the phase-space volume of a Domain
VOLUME_GRID = 24


def _interval(name, value, lo, hi, closed_lo=False):
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"Domain.{name} must be a pair (low, high), got {value!r}") from None
    ok_lo = (a >= lo) if closed_lo else (a > lo)
    if not (math.isfinite(a) and math.isfinite(b) and ok_lo and a < b and b <= hi):
        left = "[" if closed_lo else "("
        raise ValueError(f"Domain.{name} must satisfy {left}{lo} <= low < high <= {hi} (finite), got ({a}, {b})")
    return (a, b)


#: the box and y window of Domain.eic() (x, z, Q [GeV], P_T [GeV], y)
EIC_DOMAIN = {"x": (0.01, 0.95), "z": (0.1, 0.8), "Q": (5.0, 50.0), "PT": (0.0, 6.0), "y": (0.01, 0.95)}


@dataclass(frozen=True)
class Acceptance:
    """Lab-frame acceptance of the decay leptons and the scattered electron (docs/physics.md §13), applied inside
    the integrand (a point counts only if it passes): a :class:`Domain` with an ``acceptance`` integrates, histograms
    and samples in the lab frame of ``Params.beams`` with the J/psi decayed.

    Parameters
    ----------
    lepton_eta : (low, high) pseudorapidity window of both decay leptons, or None (no cut).
    lepton_pt_min : smallest lab transverse momentum of both leptons [GeV] (0: no cut).
    electron_eta : (low, high) pseudorapidity window of the scattered electron, or None.
    electron_energy_min : smallest lab energy of the scattered electron [GeV] (0: no cut).
    decay : "mumu" (J/psi -> mu+ mu-, default) or "ee"; sets the lepton mass and the branching ratio of rates.

    ``Acceptance()`` applies no cut (the lab frame and the decay only); :meth:`typical` is a generic EIC-like
    central detector: both leptons |eta| < 3.5 and p_T > 0.5 GeV, the scattered electron in |eta| < 3.5.
    """

    lepton_eta: tuple | None = None
    lepton_pt_min: float = 0.0
    electron_eta: tuple | None = None
    electron_energy_min: float = 0.0
    decay: str = "mumu"

    def __post_init__(self):
        for name in ("lepton_eta", "electron_eta"):
            v = getattr(self, name)
            if v is not None:
                try:
                    lo, hi = (float(t) for t in v)
                except (TypeError, ValueError):
                    raise ValueError(f"Acceptance.{name} must be a (low, high) pseudorapidity pair or None, "
                                     f"got {v!r}") from None
                if not (lo < hi and not math.isnan(lo) and not math.isnan(hi)):
                    raise ValueError(f"Acceptance.{name} must have low < high, got {v!r}")
                object.__setattr__(self, name, (lo, hi))
        for name in ("lepton_pt_min", "electron_energy_min"):
            object.__setattr__(self, name, real(f"Acceptance.{name}", getattr(self, name), 0.0, 1e5))
        check_decay(self.decay, "Acceptance.decay")

    @classmethod
    def typical(cls, decay="mumu") -> "Acceptance":
        """Both leptons |eta| < 3.5 and p_T > 0.5 GeV, the scattered electron |eta| < 3.5."""
        return cls(lepton_eta=(-3.5, 3.5), lepton_pt_min=0.5, electron_eta=(-3.5, 3.5), decay=decay)

    @property
    def lepton(self) -> tuple:
        """(PDG id of l-, mass [GeV], B(J/psi -> l+ l-))."""
        return DECAY_LEPTONS[self.decay]

    @property
    def active(self) -> bool:
        return (self.lepton_eta is not None or self.lepton_pt_min > 0 or self.electron_eta is not None
                or self.electron_energy_min > 0)

    def cut_tuple(self) -> tuple:
        """(active, sinh eta_lo, sinh eta_hi, p_T min, electron sinh eta_lo, sinh eta_hi, E min) for the compiled
        cut (eta windows as p_z / p_T windows, no logarithm per point)."""
        inf = math.inf
        le = self.lepton_eta or (-inf, inf)
        ee = self.electron_eta or (-inf, inf)
        return (int(self.active), math.sinh(le[0]), math.sinh(le[1]), self.lepton_pt_min, math.sinh(ee[0]),
                math.sinh(ee[1]), self.electron_energy_min)

    def __str__(self):
        parts = []
        if self.lepton_eta is not None:
            parts.append(f"{self.lepton_eta[0]:g} < eta_l < {self.lepton_eta[1]:g}")
        if self.lepton_pt_min > 0:
            parts.append(f"p_T,l > {self.lepton_pt_min:g} GeV")
        if self.electron_eta is not None:
            parts.append(f"{self.electron_eta[0]:g} < eta_e' < {self.electron_eta[1]:g}")
        if self.electron_energy_min > 0:
            parts.append(f"E_e' > {self.electron_energy_min:g} GeV")
        return f"J/psi -> {self.decay}, " + (", ".join(parts) if parts else "no cuts")


@dataclass(frozen=True)
class Domain:
    """Phase-space region of docs/physics.md §7: a box in x, z, Q [GeV], P_T [GeV] with cuts.

    ``y``: optional inelasticity window (ymin, ymax) inside [0, 1]; y = Q^2/(x s) <= 1 is always imposed (the
    physical region). ``tmd_cut``: the TMD-region cut P_T <= z Q / 2 (default True). Points outside the cuts have
    weight 0. All limits are inclusive. Whether the cuts leave any phase space depends on sqrt(s): checked by
    :meth:`check` whenever a cross section is integrated, sampled or mapped over the domain.
    """

    x: tuple = (0.1, 0.99)
    z: tuple = (0.1, 0.8)
    Q: tuple = (10.0, 50.0)
    PT: tuple = (0.0, 6.0)
    y: tuple | None = None
    tmd_cut: bool = True
    #: lab-frame acceptance (:class:`Acceptance`): integrate in the lab frame of Params.beams with the J/psi decayed
    acceptance: Acceptance | None = None

    def __post_init__(self):
        if self.acceptance is not None and not isinstance(self.acceptance, Acceptance):
            raise TypeError(f"Domain.acceptance must be a jpsi_fast.Acceptance or None, got {self.acceptance!r}")
        object.__setattr__(self, "x", _interval("x", self.x, 0.0, 1.0))
        object.__setattr__(self, "z", _interval("z", self.z, 0.0, 1.0))
        object.__setattr__(self, "Q", _interval("Q", self.Q, 0.0, math.inf))
        object.__setattr__(self, "PT", _interval("PT", self.PT, 0.0, math.inf, closed_lo=True))
        if self.y is not None:
            object.__setattr__(self, "y", _interval("y", self.y, 0.0, 1.0, closed_lo=True))
        if self.x[1] >= 1.0 or self.z[1] >= 1.0:
            raise ValueError(f"Domain.x and Domain.z must stay below 1, got x = {self.x}, z = {self.z}")
        if not isinstance(self.tmd_cut, (bool, np.bool_)):
            raise TypeError(f"Domain.tmd_cut must be True or False, got {self.tmd_cut!r}")
        if self.tmd_cut and not self.PT[0] < 0.5 * self.z[1] * self.Q[1]:
            raise ValueError(f"Domain: the TMD cut P_T <= z Q / 2 leaves no phase space (P_T >= {self.PT[0]} GeV "
                             f"but z Q / 2 <= {0.5 * self.z[1] * self.Q[1]:g} GeV); lower PT or set tmd_cut=False")

    @property
    def bounds(self) -> np.ndarray:
        """(4, 2) array of the box limits of x, z, Q [GeV], P_T [GeV]."""
        return np.array([self.x, self.z, self.Q, self.PT], dtype=float)

    def q_interval(self, params) -> tuple:
        """(Q_a, Q_b) [GeV]: the Q range where the cuts leave phase space at sqrt_s (exact). y = Q^2/(x s) within
        the y window needs sqrt(x_lo s y_lo) < Q < sqrt(x_hi s y_hi); the TMD cut P_T <= z Q / 2 needs
        Q > 2 P_T,lo / z_hi. Empty when Q_a >= Q_b."""
        ymin, ymax = self.y if self.y is not None else (0.0, 1.0)
        s = float(params.s)
        qa = max(self.Q[0], math.sqrt(self.x[0] * s * ymin))
        qb = min(self.Q[1], math.sqrt(self.x[1] * s * ymax))
        if self.tmd_cut:
            qa = max(qa, 2.0 * self.PT[0] / self.z[1])
        return qa, qb

    def effective_ranges(self, params) -> tuple:
        """((x_min, x_max), (Q_min, Q_max)): the ranges of x and Q [GeV] actually reached inside the cuts (None for
        an empty domain)."""
        qa, qb = self.q_interval(params)
        if not qa < qb:
            return None
        ymin, ymax = self.y if self.y is not None else (0.0, 1.0)
        s = float(params.s)
        xa = max(self.x[0], qa * qa / (s * ymax))
        xb = min(self.x[1], qb * qb / (s * ymin)) if ymin > 0 else self.x[1]
        return (xa, xb), (qa, qb)

    def cut_tuple(self, params) -> tuple:
        """The cuts for the compiled code: (s, x_lo, x_hi, z_lo, z_hi, Q_a, Q_b, PT_lo, PT_hi, y_lo, y_hi,
        tmd_cut); s = sqrt_s^2 from ``params``, Q limited to :meth:`q_interval` (outside it no point passes the
        cuts, so the limits are equivalent and the integrator wastes no evaluation there)."""
        ymin, ymax = self.y if self.y is not None else (0.0, 1.0)
        qa, qb = self.q_interval(params)
        if not qa < qb:
            qa, qb = self.Q
        return (float(params.s), *self.x, *self.z, qa, qb, *self.PT, float(ymin), float(ymax), int(self.tmd_cut))

    def contains(self, x, z, Q, PT, params) -> np.ndarray:
        """Boolean mask (broadcast shape) of points inside the box and the cuts (the compiled definition the
        integrand uses)."""
        arrs = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, z, Q, PT)))
        flat = [np.ascontiguousarray(a).reshape(-1) for a in arrs]
        return contains_array(*flat, self.cut_tuple(params)).reshape(arrs[0].shape)

    def inelasticity(self, x, Q, params) -> np.ndarray:
        """y = Q^2 / (x s) (broadcast), the kernels' definition."""
        xb, Qb = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(Q, dtype=float))
        return inelasticity_array(np.ascontiguousarray(xb).reshape(-1), np.ascontiguousarray(Qb).reshape(-1),
                                  float(params.s)).reshape(xb.shape)

    def volume(self, params) -> float:
        """Phase-space volume inside the cuts, int dx dz dQ dP_T [GeV^2], by a midpoint rule over the cut-adapted
        coordinates (VOLUME_GRID points per axis; 0 for an empty domain)."""
        qa, qb = self.q_interval(params)
        if not qa < qb:
            return 0.0
        g = (np.arange(VOLUME_GRID) + 0.5) / VOLUME_GRID
        U = np.stack(np.meshgrid(g, g, g, g, indexing="ij"), axis=-1).reshape(-1, 4)
        _, jac = cut_jacobian(np.ascontiguousarray(U), self.cut_tuple(params))
        return float(jac.mean())

    def check(self, params) -> "Domain":
        """Raise ValueError unless the cuts leave phase space at ``params.sqrt_s`` (exact, see
        :meth:`q_interval`); returns self."""
        qa, qb = self.q_interval(params)
        if not qa < qb:
            ymin, ymax = self.y if self.y is not None else (0.0, 1.0)
            raise ValueError(
                f"Domain leaves no phase space at sqrt_s = {params.sqrt_s:g} GeV: the cuts need Q in "
                f"({qa:.6g}, {qb:.6g}) GeV (y = Q^2/(x s) in [{ymin:g}, {ymax:g}] with x in {self.x}"
                f"{', and P_T <= z Q / 2 with P_T >= %g GeV' % self.PT[0] if self.tmd_cut else ''}), but "
                f"Domain.Q = {self.Q} GeV")
        return self

    @classmethod
    def eic(cls, acceptance=None) -> "Domain":
        """An EIC-like SIDIS region (docs/physics.md §13.5): x in [0.01, 0.95], z in [0.1, 0.8], Q in [5, 50] GeV
        (Q > M), P_T in [0, 6] GeV, 0.01 <= y <= 0.95, the TMD cut P_T <= z Q / 2; with an optional
        :class:`Acceptance`."""
        return cls(x=EIC_DOMAIN["x"], z=EIC_DOMAIN["z"], Q=EIC_DOMAIN["Q"], PT=EIC_DOMAIN["PT"], y=EIC_DOMAIN["y"],
                   acceptance=acceptance)

    @property
    def dim(self) -> int:
        """Dimension of the integrand's unit cube: 4 (x, z, Q, P_T), 7 with an acceptance (+ phi_h, cos theta,
        phi)."""
        return 4 if self.acceptance is None else 7

    @property
    def lab_bounds(self) -> np.ndarray:
        """(dim, 2): :attr:`bounds`, and with an acceptance phi_h in [0, 2 pi), cos theta in [-1, 1], phi in
        [0, 2 pi)."""
        extra = [] if self.acceptance is None else [(0.0, 2 * math.pi), (-1.0, 1.0), (0.0, 2 * math.pi)]
        return np.array([*self.bounds.tolist(), *extra], dtype=float)

    def replace(self, **changes) -> "Domain":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def map_bounds(self) -> np.ndarray:
        """Bounds of the physics integrand's unit-cube axes (u_x, u_z, u_Q, u_PT[, u_phi_h, u_cos_theta, u_phi])."""
        return np.array([(0.0, 1.0)] * self.dim)


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
    """docs/physics.md §7's 2 x 2 bins: z in [0.1, 0.4) or [0.4, 0.8]; Q in [10, 30) or [30, 50] GeV. The upper
    edges are nudged up by 1e-12 so that the domain's top edges fall inside."""
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


# ------------------------------------------------------------------------------------ covariance bookkeeping
def _variance_weights(rows, pairs):
    """(n_pairs, m) matrix M with var(rows[r] . base) = pair_cov @ M[:, r], given the covariances of the base
    pairs (i <= j); a column is NaN when a pair its row needs was not accumulated."""
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    i, j = pairs[:, 0], pairs[:, 1]
    M = rows[:, i].T * rows[:, j].T * np.where(i == j, 1.0, 2.0)[:, None]
    have = set(map(tuple, pairs.tolist()))
    for r, row in enumerate(rows):
        sup = np.flatnonzero(row)
        if any((a, b) not in have for ia, a in enumerate(sup) for b in sup[ia:]):
            M[:, r] = np.nan
    return M


def _pair_matrix(pairs, values, K):
    """Dense symmetric (..., K, K) matrix from pair values (n_pairs, ...); NaN where no pair was accumulated."""
    values = np.asarray(values, dtype=float)
    C = np.full(values.shape[1:] + (K, K), np.nan)
    C[..., pairs[:, 0], pairs[:, 1]] = np.moveaxis(values, 0, -1)
    C[..., pairs[:, 1], pairs[:, 0]] = np.moveaxis(values, 0, -1)
    return C


def _density_base_weights(layout, channel):
    """(4, n_base) base weights of S00, Spp, Sp0, Spm of the central variation summed over ``channel`` (None: all
    the layout's channels; a name; or a sequence of names)."""
    from .xsec import _state_weights
    channels = channel_names(channel, layout.channels)
    try:
        return np.array([layout.base_weights(_state_weights(layout, channels, e, 0)) for e in DENSITY_STATES])
    except ValueError as err:
        raise ValueError(f"{err}: the decay lambdas need the density-matrix states, e.g. "
                         "states=('U', 'L', 'Sp0', 'Spm')") from None


def ratio_with_error(pair, cov):
    """num/den of ``pair`` (..., 2) and its error from the (..., 2, 2) covariance (linear propagation); NaN where
    den = 0."""
    num, den = np.moveaxis(np.asarray(pair, dtype=float), -1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den != 0, num / den, np.nan)
        g = np.stack([1.0 / den, -num / den ** 2], axis=-1)
        var = np.einsum("...i,...ij,...j->...", g, cov, g)
    return r[()], np.where(np.isfinite(r), np.sqrt(np.maximum(var, 0.0)), np.nan)[()]


def _project_cov(W, C):
    """W C W^T (rows of W: linear combinations of the base components) for base covariances C (..., n_base,
    n_base) with NaN where not accumulated: NaN where a needed entry is missing."""
    need = (np.abs(W) > 0).astype(float)
    out = W @ np.where(np.isnan(C), 0.0, C) @ W.T
    out[need @ np.isnan(C).astype(float) @ need.T > 0] = np.nan
    return out


def _chi2_sf(chi2, dof):
    if dof <= 0:
        return 1.0
    from scipy.stats import chi2 as _chi2
    return float(_chi2.sf(chi2, dof))


class IntegrationResult:
    """Integrals of every component over the domain, combined over iterations.

    ``mean``/``sdev`` have the layout's shape: (n_channels, n_states) for the cross sections [pb], (k,) for a
    k-valued callable. ``cov`` is the covariance of the flattened components (NaN between components whose base
    covariance was not tracked); ``res[channel, state]`` (or ``res[i]``) is an :class:`Estimate`. ``chi2`` per
    component, ``chi2_dof`` and ``Q`` of the adapted component measure the consistency of the iterations.
    """

    def __init__(self, layout, pairs, itn_mean, itn_pair, adapt_base, weighted, neval, wall_time, neval_warmup=0,
                 value_scale=1.0):
        self.layout = layout
        #: the integrand's exact power-of-two scale: the accumulated numbers are values / value_scale, so that
        #: variances of very small or large integrands stay representable; every reported number is scaled back
        self.value_scale = float(value_scale)
        #: evaluations of the discarded warm-up iterations (``neval`` counts the kept ones)
        self.neval_warmup = int(neval_warmup)
        self.pairs = np.asarray(pairs)
        self.adapt_base = np.asarray(adapt_base, dtype=float)
        self.weighted = bool(weighted)
        self.neval = int(neval)
        self.wall_time = float(wall_time)
        itn_mean = np.asarray(itn_mean, dtype=float)
        itn_pair = np.asarray(itn_pair, dtype=float)
        self.nitn = len(itn_mean)
        self.dof = self.nitn - 1
        Ma = _variance_weights(self.adapt_base, self.pairs)[:, 0]
        self.itn_adapted = itn_mean @ self.adapt_base, itn_pair @ Ma
        var_a = self.itn_adapted[1]
        if weighted and np.all(var_a > 0) and np.all(np.isfinite(var_a)):
            w = var_a.min() / var_a              # inverse-variance weights, scaled so nothing overflows
        else:
            w = np.ones(self.nitn)
        w = w / w.sum()
        #: iteration weights (the same for every component, so linear relations hold in the average)
        self.itn_weights = w
        self.mean_base = w @ itn_mean
        self.pair_cov = (w * w) @ itn_pair
        D = layout.derive
        Mc = _variance_weights(D, self.pairs)
        flat_mean = D @ self.mean_base
        flat_var = self.pair_cov @ Mc
        itn_flat = itn_mean @ D.T
        itn_var = itn_pair @ Mc
        with np.errstate(divide="ignore", invalid="ignore"):
            self.chi2 = np.where(itn_var > 0, (itn_flat - flat_mean) ** 2 / itn_var, 0.0).sum(axis=0)
        shape = layout.shape
        c = self.value_scale
        self.mean = flat_mean.reshape(shape) * c
        self.sdev = np.sqrt(np.maximum(flat_var, 0.0)).reshape(shape) * abs(c)
        self.itn_mean = itn_flat.reshape((self.nitn,) + shape) * c
        self.itn_sdev = np.sqrt(np.maximum(itn_var, 0.0)).reshape((self.nitn,) + shape) * abs(c)
        self.cov = _project_cov(D, _pair_matrix(self.pairs, self.pair_cov, len(self.mean_base))) * (c * c)

    @property
    def channels(self):
        return getattr(self.layout, "channels", None)

    @property
    def states(self):
        return getattr(self.layout, "states", None)

    def _estimate(self, base_weights) -> Estimate:
        M = _variance_weights(base_weights, self.pairs)[:, 0]
        c = self.value_scale
        return Estimate(float(base_weights @ self.mean_base) * c, float(math.sqrt(max(self.pair_cov @ M, 0.0))) * abs(c))

    def __getitem__(self, key) -> Estimate:
        i = self.layout.index(*key) if isinstance(key, tuple) else self.layout.index(key)
        return Estimate(float(self.mean.reshape(-1)[i]), float(self.sdev.reshape(-1)[i]))

    def combination(self, component_weights) -> Estimate:
        """A linear combination of the components (weights over the flattened components) with its error."""
        return self._estimate(self.layout.base_weights(component_weights))

    def total(self, state="U") -> Estimate:
        """Sum over channels for one state, with the channels' covariance (physics layouts only)."""
        if not isinstance(self.layout, Layout):
            raise TypeError("total() sums physics channels; this result has generic components: use result[i] "
                            "or result.combination(weights)")
        return self.combination(self.layout.weights(state=state))

    def lambdas(self, channel=None) -> dict:
        """Dilepton decay parameters (docs/physics.md §12) of the integrated density matrix -- the channel sum
        (channels' elements added) or one ``channel`` (a name or a sequence of names) -- as :class:`Estimate`
        objects ``theta``, ``phi``, ``thetaphi``, ``tilde``; errors propagated with the Monte Carlo covariance of
        the integrated elements. Needs the states Sp0 and Spm (``layout=xs.layout(states=("U", "L", "Sp0",
        "Spm"))``)."""
        if not isinstance(self.layout, Layout):
            raise TypeError("lambdas() needs a cross-section layout with the density-matrix states")
        lam, err = decay_lambdas_with_errors(*self._combinations(_density_base_weights(self.layout, channel)))
        return {k: Estimate(float(lam[k]), float(err[k])) for k in lam}

    def _combinations(self, W):
        """(values, covariance) of the linear combinations W (k, n_base) of the integrated base components [pb]."""
        c = self.value_scale
        C = _pair_matrix(self.pairs, self.pair_cov, len(self.mean_base))
        return W @ self.mean_base * c, _project_cov(W, C) * (c * c)

    def A_LL(self, state="U", channel=None) -> Estimate:
        """Double-spin asymmetry int F_LL / int F_UU of ``state`` (U, L or T; docs/physics.md §11) of the channel sum
        or of ``channel`` (a name or a sequence of names), with the error propagated from the Monte Carlo covariance
        of the two integrals. Needs the states ``state`` and ``state + "_LL"`` (``states=("U", "U_LL")``)."""
        from .xsec import a_ll_weights
        if not isinstance(self.layout, Layout):
            raise TypeError("A_LL() needs a cross-section layout")
        W = np.array([self.layout.base_weights(w) for w in a_ll_weights(self.layout, channel, state)])
        a, err = ratio_with_error(*self._combinations(W))
        return Estimate(float(a), float(err))

    # ---------------------------------------------------------------- theory variations (docs/physics.md §10)
    def by_variation(self, channels=None, state="U") -> np.ndarray:
        """(n_variations,) integrals [pb] of the sum over ``channels`` (default all) of ``state``, one per theory
        variation (central first); all from the same points."""
        lay = self._variation_layout()
        W = np.array([lay.weights(channels, state, variation=v) for v in range(lay.n_variations)])
        return W @ self.mean.reshape(-1)

    def variation_difference(self, variation, channels=None, state="U") -> Estimate:
        """The integral of (variation - central) of the sum over ``channels`` of ``state`` [pb] with its Monte
        Carlo error. The variations use the same points, so this error is far below the errors of the two
        integrals when the variation's covariance with the central value was tracked (``track="all"``);
        otherwise it is the error without the (positive) correlation, an upper bound."""
        lay = self._variation_layout()
        w = lay.weights(channels, state, variation=variation) - lay.weights(channels, state, variation=0)
        return self.combination(w)

    def band(self, source="total", channels=None, state="U", cl=None):
        """(central, low, high) integrals [pb] of the sum over ``channels`` of ``state`` for a theory-variation
        ``source`` ("scale", "ldme", "ldme_fit", "pdf", "width", "total"; docs/physics.md §10.4). Monte Carlo
        errors are separate: ``self.total(state)`` / :meth:`variation_difference`."""
        from .variations import layout_band
        lay = self._variation_layout()
        return tuple(float(a) for a in layout_band(lay, self.by_variation(channels, state), source, cl))

    def _variation_layout(self):
        lay = self.layout
        if not isinstance(lay, Layout) or lay.n_variations == 1:
            raise ValueError("this result has no theory variations: integrate with "
                             "variations=jpsi_fast.Variations(...)")
        return lay

    @property
    def adapted(self) -> Estimate:
        """The component the map adapted to (default: total sigma_U)."""
        return self._estimate(self.adapt_base)

    @property
    def chi2_dof(self) -> float:
        """chi^2 per degree of freedom of the iterations of the adapted component."""
        m, v = self.itn_adapted
        if self.dof <= 0 or np.any(v <= 0):
            return 0.0
        return float(np.sum((m - self.adapted.mean / self.value_scale) ** 2 / v) / self.dof)

    @property
    def Q(self) -> float:
        """p-value of chi2_dof (probability of a larger chi^2 from statistical fluctuations alone)."""
        return _chi2_sf(self.chi2_dof * self.dof, self.dof)

    def summary(self) -> str:
        """Per-iteration table of the adapted component, then every component (channel x state table for the
        cross sections)."""
        lines = [f"{'itn':>4} {'integral (adapted)':>26} {'rel.err':>9}"]
        for i, (a, v) in enumerate(zip(*self.itn_adapted)):
            e = Estimate(float(a) * self.value_scale, float(math.sqrt(max(v, 0.0))) * abs(self.value_scale))
            lines.append(f"{i + 1:4d} {str(e):>26} {e.rel:9.2e}")
        e = self.adapted
        lines.append(f"{'all':>4} {str(e):>26} {e.rel:9.2e}   chi2/dof = {self.chi2_dof:.2f} (Q = {self.Q:.2f}), "
                     f"{'weighted' if self.weighted else 'unweighted'} average, {self.neval:,} evaluations, "
                     f"{self.wall_time:.2f} s")
        if self.channels is not None:
            lines.append("")
            lines.append(f"{'channel':>10} " + " ".join(f"{s + ' [pb]':>24}" for s in self.states))
            for c in self.channels:
                lines.append(f"{c:>10} " + " ".join(f"{str(self[c, s]):>24}" for s in self.states))
            lines.append(f"{'total':>10} " + " ".join(f"{str(self.total(s)):>24}" for s in self.states))
        else:
            for i, name in enumerate(self.layout.names):
                lines.append(f"{name:>10} {str(self[i]):>24}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<IntegrationResult {self.adapted} (chi2/dof {self.chi2_dof:.2f})>"


class Events:
    """Phase-space points and weights [pb]. ``points`` (n, n_observables) with columns ``names`` (for the cross
    sections x, z, Q [GeV], P_T [GeV], y: also available as ``ev.x``, ``ev.z`` ...). For unweighted events every
    weight is sigma/n; ``efficiency`` = n / ``n_trials`` is the accept-reject acceptance up to the n-th accepted
    event, ``max_weight`` the envelope used and ``n_overweight`` the number of those trials whose weight exceeded it
    (their excess is clipped). Every number is independent of the thread count."""

    def __init__(self, points, names, weight, unweighted, efficiency=1.0, max_weight=float("nan"), n_overweight=0,
                 n_trials=0, sigma=float("nan"), sigma_error=float("nan")):
        self.points = np.asarray(points)
        self.names = tuple(names)
        self.weight = np.asarray(weight)
        self.unweighted = bool(unweighted)
        self.efficiency = float(efficiency)
        self.max_weight = float(max_weight)
        self.n_overweight = int(n_overweight)
        self.n_trials = int(n_trials)
        #: the sampled component's integral [pb] and its Monte Carlo error, from the trial run
        self.sigma = float(sigma)
        self.sigma_error = float(sigma_error)
        #: (n, n_variations) weights [pb] per theory variation (central first), or None (Integrator.sample)
        self.variation_weights = None
        #: the component layout naming the variations (with variation_weights)
        self.layout = None

    @property
    def variation_names(self) -> tuple:
        return tuple(v.name for v in self.layout.variations) if self.layout is not None else ()

    def band(self, source="total", cl=None):
        """(central, low, high) of the sum of the weights [pb] (sigma_U of the sample) for a theory-variation
        ``source`` (docs/physics.md §10.4), from the per-variation weights of the same events."""
        from .variations import layout_band
        if self.variation_weights is None:
            raise ValueError("these events have no variation weights: sample with variations=jpsi_fast.Variations()")
        totals = self.variation_weights.sum(axis=0)
        return tuple(float(a) for a in layout_band(self.layout, totals, source, cl))

    def __len__(self):
        return len(self.points)

    def __getattr__(self, name):
        names = self.__dict__.get("names", ())
        if name in names:
            return self.__dict__["points"][:, names.index(name)]
        raise AttributeError(f"Events has no attribute or column {name!r} (columns: {names})")

    def __repr__(self):
        kind = "unweighted" if self.unweighted else "weighted"
        return f"<Events {len(self)} {kind}, columns {self.names}, efficiency {self.efficiency:.4g}>"


class Integrator:
    """VEGAS+ adaptive importance sampling with adaptive stratification, in Cython + OpenMP.

    Parameters
    ----------
    domain : Domain or sequence of (low, high)
        A :class:`Domain` for cross sections (the integrand's unit-cube axes are cut-adapted coordinates: see
        :class:`jpsi_fast._xsec_integrand.XsecIntegrand`), or box bounds for a Python callable (dimension 1-64).
    ninc : int or None
        Map increments per axis; None (default) follows vegas: min(neval / 10, 1000), rounded down to a multiple
        of the strata per axis.
    alpha : map damping (0: no adaptation; 0.5 default).
    beta : stratification damping (evaluations per hypercube ~ variance^(beta/2); 0 = uniform).
    seed : random seed; results depend only on the seed, never on the thread count.
    n_threads : OpenMP threads (None: all cores; negative like joblib).
    neval_frac : fraction of the evaluations distributed by the adaptive stratification (vegas: 0.75).
    max_neval_hcube : most evaluations in one hypercube.

    The adapted map and stratification are kept between calls; :meth:`reset` restores the fresh state. The
    object pickles with its adapted state.
    """

    def __init__(self, domain=None, ninc: int | None = None, alpha: float = 0.5, beta: float = 0.75,
                 seed: int = 0, n_threads=None, neval_frac: float = NEVAL_FRAC,
                 max_neval_hcube: int = MAX_NEVAL_HCUBE):
        if domain is None:
            domain = Domain()
        if isinstance(domain, Domain):
            region, dim = domain, domain.dim
        else:
            try:
                region = np.array(domain, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"domain must be a Domain or a (dim, 2) sequence of (low, high) bounds, got "
                                 f"{domain!r}") from None
            if region.ndim != 2 or region.shape[1] != 2 or not 1 <= region.shape[0] <= 64:
                raise ValueError("domain must be a Domain or a (dim, 2) sequence of (low, high) bounds with "
                                 f"1 <= dim <= 64, got shape {region.shape}")
            if not np.all(np.isfinite(region)) or np.any(region[:, 1] <= region[:, 0]):
                raise ValueError(f"domain bounds must be finite with low < high, got {region.tolist()}")
            dim = region.shape[0]
        ninc = None if ninc is None else integer("ninc", ninc, 1, 100_000)
        alpha = real("alpha", alpha, 0.0, 4.0)
        beta = real("beta", beta, 0.0, 1.0)
        neval_frac = real("neval_frac", neval_frac, 0.0, 0.99)
        seed = integer("seed", seed, 0, 2 ** 64 - 1)
        max_neval_hcube = integer("max_neval_hcube", max_neval_hcube, 2, 2 ** 31 - 1)
        self.region = region
        self.dim = int(dim)
        self.ninc = None if ninc is None else int(ninc)
        self.alpha, self.beta = float(alpha), float(beta)
        self.neval_frac = float(neval_frac)
        self.max_neval_hcube = int(max_neval_hcube)
        self.seed = int(seed)
        self.n_threads = resolve_n_threads(n_threads)
        #: map edges per axis in the unit cube, (dim, max increments + 1); None before the first iteration
        self.edges = None
        self._ninc = None              # (dim,) increments per axis of the current map
        self._nstrat = None            # (dim,) strata per axis of the current stratification
        self._sigf = None              # (ncubes,) stratification weights
        self._itn = 0                  # iterations run (part of every stream key)
        self._sample_calls = 0         # sample() calls (part of the sampler's stream keys)
        self._adapted_key = None       # key of the integrand and component the map last adapted to

    @property
    def domain(self):
        """The :class:`Domain` (None for box bounds)."""
        return self.region if isinstance(self.region, Domain) else None

    @property
    def bounds(self) -> np.ndarray:
        """(dim, 2) box of the integrand's physical coordinates (a Domain's x, z, Q, P_T box)."""
        return self.region.lab_bounds if isinstance(self.region, Domain) else self.region

    def reset(self):
        """Forget all adaptation: the state of a freshly constructed Integrator."""
        self.edges = None
        self._ninc = None
        self._nstrat = None
        self._sigf = None
        self._itn = 0
        self._sample_calls = 0
        self._adapted_key = None

    # ------------------------------------------------------------------ integrand and components
    def integrand(self, f, layout=None, variations=None, states=None, beam=None,
                  control_variate=False) -> Integrand:
        """The :class:`Integrand` integrated for ``f``: ``f`` itself when it is one, ``f.integrand(domain)`` for
        a :class:`CrossSection` on a Domain-built Integrator, a :class:`CallableIntegrand` for a callable on box
        bounds. ``variations`` (cross sections only): theory variations as extra components; ``states`` (cross
        sections only): the states integrated (default U, L, T; e.g. ("U", "L", "Sp0", "Spm") for the density
        matrix, docs/physics.md §12); ``beam`` (cross sections only): beam polarizations (lambda_e, S_N) in
        [-1, 1] (docs/physics.md §11; with states such as "U_LL" for :meth:`IntegrationResult.A_LL`).
        ``control_variate``: on a Domain with an acceptance, the decay-angle control variate of the lab-frame
        integrand (integrals only; :meth:`integrate` uses it)."""
        if (variations is not None or states is not None or beam is not None) and not hasattr(f, "integrand"):
            raise TypeError("variations, states and beam apply to a jpsi_fast.CrossSection")
        if variations is not None or states is not None or beam is not None:
            if layout is not None:
                raise ValueError("give layout, or variations/states/beam, not both")
            if beam is None:
                beam = getattr(f, "beam_polarization", None)
            layout = f.layout(states=STATES if states is None else states, variations=variations, beam=beam)
        if isinstance(f, Integrand):
            ig = f
        elif self.domain is not None:
            build = getattr(f, "integrand", None)
            if build is None:
                raise TypeError(f"an Integrator built on a jpsi_fast.Domain integrates a CrossSection or an Integrand, "
                                f"got {type(f).__name__}; for a callable build it on box bounds: "
                                "Integrator([(lo, hi), ...])")
            extra = {"control_variate": True} if control_variate and self.domain.acceptance is not None else {}
            ig = build(self.domain, layout=layout, **extra)
        else:
            if hasattr(f, "integrand"):
                raise TypeError("a CrossSection needs an Integrator built on a jpsi_fast.Domain")
            ig = CallableIntegrand(f, self.region)
        if ig.dim != self.dim:
            raise ValueError(f"integrand dimension {ig.dim} differs from the integrator's {self.dim}")
        return ig

    @staticmethod
    def _adapt_spec(ig, adapt_to):
        """(indices, weights) of the adapted component over the base components: for the cross sections a state
        name (the channel sum, default "U") or a component; for other integrands a component (default 0)."""
        layout = ig.layout
        w = np.zeros(layout.n_components)
        if hasattr(layout, "states") and (adapt_to is None or (isinstance(adapt_to, str) and adapt_to in layout.states)):
            w = layout.weights(state="U" if adapt_to is None else adapt_to)
        else:
            w[_component(layout, 0 if adapt_to is None else adapt_to, "adapt_to")] = 1.0
        b = layout.base_weights(w)
        idx = np.flatnonzero(b)
        return idx.astype(np.intc), b[idx]

    @staticmethod
    def _pairs(ig, aidx, track=None):
        """Covariance pairs: the layout's (variances, blocks, tracked) plus every pair of the adapted support and,
        when ``track`` (a list of components) is given, of their base components."""
        layout = ig.layout
        if isinstance(track, str) and track == "all":
            track = list(layout.names)
        pairs = {tuple(p) for p in layout.pairs(tracked=track is None).tolist()}
        extra = [int(i) for i in aidx]
        if track is not None:
            if isinstance(track, (str, tuple, int, np.integer)) or not hasattr(track, "__iter__"):
                raise TypeError(f"track must be a list of components (indices, names or (channel, state) pairs), "
                                f"got {track!r}")
            w = np.zeros(layout.n_components)
            for key in track:
                w[_component(layout, key, "track")] = 1.0
            extra += [int(i) for i in np.flatnonzero(np.abs(layout.derive[w > 0]).sum(axis=0))]
        g = sorted(set(extra))
        pairs.update((a, b) for ia, a in enumerate(g) for b in g[ia:])
        return np.array(sorted(pairs), dtype=np.intc).reshape(-1, 2)

    # ------------------------------------------------------------------ map and stratification
    def _strata(self, neval, stratified_dims=None):
        """(nstrat per axis, increments per axis) for ``neval`` evaluations (vegas 6.4's rules), stratifying the
        first ``stratified_dims`` axes (default all; an integrand's ``stratified_dims`` attribute: the lab-frame
        integrand stratifies x, z, Q, P_T only, its decay angles have one stratum)."""
        frac = 0.0 if self.beta == 0 else self.neval_frac
        k = self.dim if stratified_dims is None else min(max(int(stratified_dims), 1), self.dim)
        target = max((1.0 - frac) * neval / 2.0, 1.0)
        ns = max(1, int(target ** (1.0 / k)))
        d = int((math.log(target) - k * math.log(ns)) / math.log(1.0 + 1.0 / ns)) if target > 1 else 0
        d = min(max(d, 0), k)
        nstrat = np.array([ns + 1] * d + [ns] * (k - d) + [1] * (self.dim - k), dtype=np.intc)
        while np.prod(nstrat.astype(float)) > MAX_HYPERCUBES:
            nstrat[np.argmax(nstrat)] -= 1
        ni = min(max(int(neval / EVALS_PER_INCREMENT), 1), self.ninc or MAX_INCREMENTS)
        ninc = np.array([(ni // n) * n if ni >= n else n for n in nstrat], dtype=np.intc)
        return nstrat, ninc

    def _set_increments(self, ninc):
        """Make the map have ``ninc`` increments per axis, preserving its density (vegas's regrid)."""
        if self.edges is None:
            self.edges = np.zeros((self.dim, int(ninc.max()) + 1))
            for d in range(self.dim):
                self.edges[d, :ninc[d] + 1] = np.linspace(0.0, 1.0, ninc[d] + 1)
            self._ninc = ninc.copy()
            return
        if np.array_equal(ninc, self._ninc):
            return
        new = np.zeros((self.dim, int(ninc.max()) + 1))
        for d in range(self.dim):
            new[d, :ninc[d] + 1] = _regrid(self.edges[d, :self._ninc[d] + 1], np.ones(self._ninc[d]), ninc[d])
        self.edges, self._ninc = new, ninc.copy()

    def _plan(self, neval, purpose="integrate", stratified_dims=None):
        nstrat, ninc = self._strata(neval, stratified_dims)
        self._set_increments(ninc)
        ncubes = int(np.prod(nstrat.astype(np.int64)))
        if self._nstrat is None or not np.array_equal(nstrat, self._nstrat):
            self._nstrat = nstrat
            self._sigf = np.ones(ncubes)
        frac = 0.0 if self.beta == 0 else self.neval_frac
        min_h = max(2, int((1.0 - frac) * neval / ncubes))
        if frac > 0 and ncubes > 1:
            neval_h = min_h + np.floor(self._sigf * (frac * neval / self._sigf.sum()))
            neval_h = np.minimum(neval_h, max(self.max_neval_hcube, min_h))
        else:
            neval_h = np.full(ncubes, max(2, int(neval / ncubes)))
        self._itn += 1
        return _vegas.Plan(self.edges, self._ninc, nstrat, neval_h.astype(np.intc), self.seed, purpose, self._itn)

    def _adapt(self, out):
        """Refine the map from the per-increment averages of (f J)^2 and the strata from the cubes' variances."""
        if self.alpha > 0:
            for d in range(self.dim):
                n = self._ninc[d]
                if n < 2:
                    continue
                cnt = out["train_cnt"][d, :n]
                avg = np.divide(out["train_sum"][d, :n], cnt, out=np.zeros(n), where=cnt > 0)
                self.edges[d, :n + 1] = _regrid(self.edges[d, :n + 1], _damped_weights(avg, self.alpha), n)
        if self.beta > 0 and len(self._sigf) > 1:
            sigf = out["sigma2"] ** (self.beta / 2.0)
            self._sigf = sigf if sigf.sum() > 0 else np.ones_like(sigf)

    def _iteration(self, ig, neval, aidx, aw, pairs, adapt, hist=None):
        plan = self._plan(neval, stratified_dims=getattr(ig, "stratified_dims", None))
        out = _vegas.run(plan, ig, pairs, aidx, aw, self.n_threads, hist=hist)
        if not all(np.all(np.isfinite(out[k])) for k in ("mean", "pair", "sigma2", "train_sum")):
            raise FloatingPointError("the integrand produced non-finite values (inf or NaN), or values too large for "
                                     "their variance to be represented (|f| x volume >~ 1e150): check or rescale it")
        if adapt:
            self._adapt(out)
        return out

    def _warmup(self, ig, neval, aidx, aw, warmup, bar):
        """Adapting iterations whose results are discarded; returns the evaluations they used."""
        no_pairs = np.zeros((0, 2), dtype=np.intc)
        used = 0
        for _ in range(warmup):
            used += self._iteration(ig, neval, aidx, aw, no_pairs, True)["neval"]
            if bar is not None:
                bar.update()
        self._adapted_key = (ig.key(), tuple(aidx), tuple(aw))
        return used

    @staticmethod
    def _check_counts(nitn, neval, warmup):
        return (integer("nitn", nitn, 1, 10_000), integer("neval", neval, 64, 10 ** 12),
                integer("warmup", warmup, 0, 10_000))

    # ------------------------------------------------------------------ public API
    def integrate(self, f, nitn: int = 10, neval: int = 200_000, warmup: int = 5, adapt: bool = True,
                  adapt_to=None, rtol: float | None = None, progress=None, track=None,
                  variations=None, states=None, beam=None) -> IntegrationResult:
        """Integrate ``f`` over the domain.

        ``f``: a :class:`CrossSection` (integrand 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2), every channel x state,
        result in pb), a callable ``f(X[n, dim]) -> [n]`` or ``[n, k]`` (box bounds), or an :class:`Integrand`.
        ``warmup`` iterations adapt the map and are discarded; ``nitn`` iterations of about ``neval`` evaluations
        follow. ``adapt=True``: the map keeps adapting and iterations are combined by an inverse-variance weighted
        average (weights of the adapted component, shared by all components) with chi^2; ``adapt=False``: the
        map is frozen and iterations are combined by an unweighted average. ``adapt_to``: the component the map
        and stratification follow -- for cross sections a state name (channel sum, default "U") or a
        (channel, state) pair; for a callable an index (default 0). ``rtol``: stop as soon as the adapted
        component's combined relative error is <= rtol (at least 2 iterations after the warm-up). ``progress``:
        tqdm bar (None: automatic for long runs). ``track``: components whose full covariance is kept (default:
        the layout's tracked set; "all": every base component). ``variations``: a :class:`jpsi_fast.Variations`
        (cross sections only) -- every theory variation is integrated from the same points
        (:meth:`IntegrationResult.band`); the map adapts to the central value. ``states`` (cross sections only):
        the J/psi states integrated (default U, L, T; add "Sp0", "Spm" for :meth:`IntegrationResult.lambdas`, "U_LL"
        for :meth:`IntegrationResult.A_LL`); ``beam``: beam polarizations (lambda_e, S_N) (docs/physics.md §11).
        """
        nitn, neval, warmup = self._check_counts(nitn, neval, warmup)
        if rtol is not None:
            rtol = real("rtol", rtol, 1e-15, 1.0)
        t0 = time.perf_counter()
        ig = self.integrand(f, variations=variations, states=states, beam=beam, control_variate=True)
        aidx, aw = self._adapt_spec(ig, adapt_to)
        pairs = self._pairs(ig, aidx, track)
        bar = progress_bar(warmup + nitn, "VEGAS+", progress, (warmup + nitn) * neval)
        try:
            n_warm = self._warmup(ig, int(neval), aidx, aw, int(warmup), bar)
            means, covs, n_tot = [], [], 0
            ab = np.zeros(ig.n_components)
            ab[aidx] = aw
            Ma = _variance_weights(ab, pairs)[:, 0]
            for i in range(int(nitn)):
                out = self._iteration(ig, int(neval), aidx, aw, pairs, adapt)
                means.append(out["mean"])
                covs.append(out["pair"])
                n_tot += out["neval"]
                if bar is not None:
                    bar.update()
                if rtol is not None and i >= 1:
                    m, v = np.array(means) @ ab, np.array(covs) @ Ma
                    w = 1.0 / v if adapt and np.all(v > 0) else np.ones(len(v))
                    w /= w.sum()
                    if math.sqrt(max((w * w) @ v, 0.0)) <= rtol * abs(w @ m):
                        break
        finally:
            if bar is not None:
                bar.close()
        self._adapted_key = (ig.key(), tuple(aidx), tuple(aw))
        return IntegrationResult(ig.layout, pairs, means, covs, ab, adapt, n_tot, time.perf_counter() - t0, n_warm,
                                 ig.value_scale)

    def histogram(self, f, bins=None, pt_edges=None, nitn: int = 10, neval: int = 200_000, warmup: int = 5,
                  adapt_to=None, progress=None, variations=None, states=None, beam=None, axes=None):
        """Fill a :class:`jpsi_fast.histograms.Histogram` -- a ``hist.Hist`` of the cross section per bin [pb]
        with its Monte Carlo variance, category axes ``channel``, ``state`` (and ``variation``) first -- from one
        run: ``warmup`` adapting iterations, then ``nitn`` with the map frozen, combined by an unweighted average.

        ``axes``: up to 4 kinematic axes, each a ``hist.axis.Regular`` / ``hist.axis.Variable`` named after an
        observable of the integrand (x, z, Q, PT, y; with a lab-frame Domain also phi_h, cos_theta, phi, jpsi_eta,
        jpsi_rapidity, jpsi_pt, jpsi_E, e_eta, e_theta, e_pt, e_E, lep_plus_eta, lep_plus_pt, lep_plus_E,
        lep_minus_eta, lep_minus_pt, lep_minus_E; docs/physics.md §13) or a (name, edges) pair; e.g. ``axes=[hist.axis.Regular(24, 0, 6, name="PT")]``.
        Without ``axes``: the (z, Q) bins ``bins`` (default :func:`standard_bins`; an integer ``bin`` axis, the
        boxes in ``h.bins``) x P_T bins ``pt_edges`` [GeV] (default 24 over the domain's P_T range) of
        docs/physics.md §7; ``h.total(differential=True)`` is then dsigma/dP_T [pb/GeV]. Bins are half-open
        [lo, hi); boxes should not overlap (a point counts in the first box that contains it); points outside
        every bin are not counted. ``variations`` (cross sections): every bin of every theory variation from the
        same points (:meth:`Histogram.band`); ``states`` (cross sections): the J/psi states binned (default U,
        L, T; with "Sp0", "Spm": :meth:`Histogram.lambdas`); ``beam``: beam polarizations (lambda_e, S_N)
        (docs/physics.md §11)."""
        import hist as _hist
        from .histograms import Histogram, dense_axis
        nitn, neval, warmup = self._check_counts(nitn, neval, warmup)
        ig = self.integrand(f, variations=variations, states=states, beam=beam)
        names = ig.observable_names
        if axes is not None:
            if bins is not None or pt_edges is not None:
                raise ValueError("give axes, or the (z, Q) bins and pt_edges, not both")
            if isinstance(axes, (_hist.axis.Regular, _hist.axis.Variable)) or (
                    isinstance(axes, tuple) and len(axes) == 2 and isinstance(axes[0], str)):
                axes = [axes]
            kin = [dense_axis(a, names) for a in axes]
            if not 1 <= len(kin) <= 4 or len({a.name for a in kin}) != len(kin):
                raise ValueError("axes: 1 to 4 distinct observables")
            engine_axes = [("edges", names.index(a.name), np.asarray(a.edges, dtype=float)) for a in kin]
        else:
            missing = [n for n in ("z", "Q", "PT") if n not in names]
            if missing:
                raise ValueError(f"histogram() without axes bins the observables z, Q, PT; this integrand has {names}: "
                                 "give axes=[...]")
            if bins is None:
                if self.domain is None:
                    raise ValueError("give the (z, Q) bins")
                bins = standard_bins(self.domain)
            bins = tuple(bins)
            if not bins or not all(isinstance(b, Bin) for b in bins):
                raise ValueError("bins must be a non-empty sequence of jpsi_fast.Bin")
            if pt_edges is None:
                lo, hi = self.bounds[names.index("PT")] if names.index("PT") < self.dim else (0.0, 6.0)
                pt_edges = np.linspace(lo, hi, 25)
            try:
                pt_edges = as_float_array("pt_edges", pt_edges)
            except TypeError as exc:
                raise ValueError(str(exc)) from None
            if (pt_edges.ndim != 1 or len(pt_edges) < 2 or not np.all(np.isfinite(pt_edges))
                    or np.any(np.diff(pt_edges) <= 0) or pt_edges[0] < 0):
                raise ValueError("pt_edges must be >= 2 finite, increasing, non-negative P_T values [GeV]")
            boxes = np.array([[*b.z, *b.Q] for b in bins], dtype=float)
            engine_axes = [("boxes", (names.index("z"), names.index("Q")), boxes),
                           ("edges", names.index("PT"), pt_edges)]
            kin = [_hist.axis.Integer(0, len(bins), name="bin", label="(z, Q) bin", underflow=False, overflow=False),
                   _hist.axis.Variable(pt_edges, name="PT", label="$P_T$ [GeV]", underflow=False, overflow=False)]
        kin_shape = tuple(a.size for a in kin)
        layout = ig.layout
        comp = np.arange(layout.n_base, dtype=np.intc)
        # the central base set's full covariance per bin (channel sums, decay lambdas); variations: blocks only
        hpairs = layout.pairs(tracked=isinstance(layout, Layout))
        nbins = int(np.prod(kin_shape))
        need = 8.0 * nbins * (len(comp) + len(hpairs)) * (4 * self.n_threads + self.n_threads + 1)
        if need > HIST_MEMORY_LIMIT:
            raise ValueError(f"histogram of {nbins:,} bins x {len(comp)} components needs ~{need / 2 ** 30:.1f} GiB of "
                             f"accumulators (limit {HIST_MEMORY_LIMIT / 2 ** 30:.0f} GiB): use fewer bins "
                             f"({'axes' if axes is not None else 'pt_edges: fewer P_T bins'})")
        spec = dict(axes=engine_axes, comp=comp, pairs=hpairs)
        aidx, aw = self._adapt_spec(ig, adapt_to)
        bar = progress_bar(warmup + nitn, "VEGAS+ histogram", progress, (warmup + nitn) * neval)
        acc = 0.0
        n_tot = 0
        try:
            self._warmup(ig, int(neval), aidx, aw, int(warmup), bar)
            diag = np.zeros((0, 2), dtype=np.intc)
            for _ in range(int(nitn)):
                out = self._iteration(ig, int(neval), aidx, aw, diag, False, hist=spec)
                acc = acc + out["hist"]
                n_tot += out["neval"]
                if bar is not None:
                    bar.update()
        finally:
            if bar is not None:
                bar.close()
        acc = acc / nitn
        base, pair = acc[:, :len(comp)], acc[:, len(comp):] / nitn
        c = ig.value_scale
        vals = (base @ layout.derive.T) * c
        var = np.maximum(pair @ _variance_weights(layout.derive, hpairs), 0.0) * (c * c)
        physics = hasattr(layout, "channels")
        comp_shape, perm = (layout.shape, (0, 1)) if physics else ((layout.n_components, 1), (0, 1))
        cats = ([_hist.axis.StrCategory(list(layout.channels), name="channel", label="channel"),
                 _hist.axis.StrCategory(list(layout.states), name="state", label="J/psi state")] if physics else
                [_hist.axis.StrCategory(list(layout.names), name="channel", label="component"),
                 _hist.axis.StrCategory(["value"], name="state", label="state")])
        if physics and layout.n_variations > 1:
            cats.append(_hist.axis.StrCategory([v.name for v in layout.variations], name="variation",
                                               label="theory variation"))
            perm = (1, 2, 0)                      # (variation, channel, state) -> (channel, state, variation)
        nk = len(kin_shape)

        def to_cells(a):
            a = a.reshape(kin_shape + tuple(comp_shape))
            a = np.moveaxis(a, tuple(range(nk, nk + len(perm))), tuple(range(len(perm))))
            return a.transpose(tuple(perm) + tuple(range(len(perm), len(perm) + nk)))

        h = Histogram(*cats, *kin, storage=_hist.storage.Weight(), label="sigma [pb]", name="sigma")
        view = h.view(flow=False)
        view["value"] = to_cells(vals)
        view["variance"] = to_cells(var)
        h.layout = layout
        h.base_values = (base * c).reshape(kin_shape + (-1,))
        h.pairs = hpairs
        h.pair_cov = (pair * (c * c)).reshape(kin_shape + (-1,))
        h.bins = bins if axes is None else None
        h.neval = n_tot
        h.filled = (tuple(h.axes.name), h.values().copy())
        return h

    # ------------------------------------------------------------------ sampling
    def _draw(self, ig, purpose, call, first_chunk, n_chunks, aidx, aw):
        """Points of n_chunks sampler streams starting at first_chunk: (observables, adapted weights, uniforms)."""
        plan = _vegas.Plan(self.edges, self._ninc, np.ones(self.dim, dtype=np.intc),
                           np.full(n_chunks, SAMPLE_CHUNK, dtype=np.intc), self.seed, purpose, call, first_chunk)
        n = plan.n_total
        arrays = dict(obs=np.empty((n, ig.n_observables)), w=np.empty((n, 1)), u=np.empty(n),
                      out_idx=np.zeros(1, dtype=np.intc))
        out = _vegas.run(plan, ig, np.zeros((0, 2), dtype=np.intc), aidx, aw, self.n_threads, sample=arrays)
        # each stream covers the whole cube: weights are f J (unit-cube volume 1) per point
        w = arrays["w"][:, 0] * ig.value_scale
        if not np.all(np.isfinite(w)):
            raise FloatingPointError("the integrand produced non-finite values (inf or NaN): check its parameters")
        return arrays["obs"], w, arrays["u"], out

    def _trial(self, ig, call, ntrial, aidx, aw, quantile):
        """(mean, its error, envelope) of the weights of the sampler's trial run of ``ntrial`` points, drawn in blocks
        of TRIAL_BLOCK_CHUNKS streams (memory bounded; the same streams and numbers as one draw). The envelope is
        the largest weight, or its ``quantile`` (which keeps the trial weights: 8 bytes per point)."""
        n_chunks = -(-int(ntrial) // SAMPLE_CHUNK)
        s1 = s2 = 0.0
        count, wmax, kept = 0, -math.inf, []
        for c0 in range(0, n_chunks, TRIAL_BLOCK_CHUNKS):
            _, wt, _, _ = self._draw(ig, "trial", call, c0, min(TRIAL_BLOCK_CHUNKS, n_chunks - c0), aidx, aw)
            # NumPy's pairwise sums, not a BLAS dot: a dot's summation order depends on the BLAS threads and the
            # array's alignment, so sigma's error would differ in the last bits between processes
            s1, s2, count = s1 + float(wt.sum()), s2 + float(np.square(wt).sum()), count + len(wt)
            wmax = max(wmax, float(wt.max()))
            if quantile is not None:
                kept.append(wt)
        mean = s1 / count
        err = math.sqrt(max(s2 / count - mean * mean, 0.0) / count)
        if quantile is not None:
            wmax = float(np.quantile(np.concatenate(kept), quantile))
        return mean, err, wmax

    def _prepare_sampling(self, f, adapt_to, neval, warmup, call=None):
        ig = self.integrand(f)
        aidx, aw = self._adapt_spec(ig, adapt_to)
        key = (ig.key(), tuple(aidx), tuple(aw))
        if warmup is None:
            warmup = 0 if self._adapted_key == key else SAMPLE_WARMUP
        _, neval, warmup = self._check_counts(1, neval, warmup)
        if warmup:
            self._warmup(ig, int(neval), aidx, aw, int(warmup), None)
        elif self.edges is None:
            self._set_increments(self._strata(int(neval), getattr(ig, "stratified_dims", None))[1])
        if call is not None:                       # a caller-chosen stream key (chunked production)
            return ig, aidx, aw, integer("call", call, 1, MAX_SAMPLE_CALL, strict=True)
        self._sample_calls += 1
        return ig, aidx, aw, self._sample_calls

    def sample(self, f, n: int, unweighted: bool = True, adapt_to=None, neval: int = 200_000, warmup=None,
               max_weight_quantile: float | None = None, progress=None, variations=None) -> Events:
        """Phase-space points distributed like one component (default total sigma_U).

        The map is adapted first unless it already is for this integrand and component (``warmup`` iterations of
        ``neval``; None = automatic, 0 = use the map as it is). Points come from the adapted map (no
        stratification, random order), in fixed streams of SAMPLE_CHUNK points keyed by (seed, call, stream).
        ``unweighted=True``: accept-reject against an envelope = the largest weight of a trial run of
        max(2 n, 10^5) points (or its ``max_weight_quantile``); weights above it are counted in
        ``n_overweight``; every event has weight sigma/n [pb]. ``unweighted=False``: n weighted points whose
        weights sum to the integral estimate [pb]. Every reported number is independent of the thread count.
        ``variations`` (a :class:`jpsi_fast.Variations`, cross sections only): every event also carries one weight
        per theory variation (``Events.variation_weights``, like the LHE ``<rwgt>`` block): its weight times
        f(variation)/f(central) at its point, f the sampled component (docs/physics.md §10).
        Negative channels (LDME sets with a negative element): unweighted events are drawn from max(f, 0) and
        every event has the signed weight sigma/n; weighted events keep the signed weights.
        """
        return next(self.iter_events(f, n, n, unweighted, adapt_to, neval, warmup, max_weight_quantile, progress,
                                     variations))

    def iter_events(self, f, n: int, batch: int, unweighted: bool = True, adapt_to=None, neval: int = 200_000,
                    warmup=None, max_weight_quantile: float | None = None, progress=None, variations=None,
                    call=None):
        """Like :meth:`sample` but yields the n events in consecutive :class:`Events` batches of ``batch``
        (bounded memory): the concatenated batches equal ``sample(n)`` exactly. ``call`` (1 .. 2^32 - 1): the
        generation's stream key instead of the next call number, so that chunk k of a production made anywhere
        (another process, a Dask worker) is the same events; the call counter is then left as it is."""
        if variations is not None and not hasattr(f, "evaluate"):
            raise TypeError("variations apply to a jpsi_fast.CrossSection")
        events = self._iter_events(f, n, batch, unweighted, adapt_to, neval, warmup, max_weight_quantile, progress,
                                   call)
        if variations is None:
            yield from events
            return
        layout = f.layout(variations=variations)
        if adapt_to is None or isinstance(adapt_to, str):      # the component the events are distributed by
            channels, state = None, adapt_to or "U"
        elif isinstance(adapt_to, tuple) and len(adapt_to) == 2:
            channels, state = adapt_to
        else:
            raise ValueError(f"variation weights need adapt_to as a state or a (channel, state) pair, got "
                             f"{adapt_to!r}")
        for ev in events:
            r = f.evaluate(ev.x, ev.z, ev.Q, ev.PT, variations=variations, n_threads=self.n_threads)
            per_var = r.by_variation(channels, state)
            ratio = np.divide(per_var, per_var[0], out=np.zeros_like(per_var), where=per_var[0] != 0)
            ev.variation_weights = (ev.weight[None, :] * ratio).T
            ev.layout = layout
            yield ev

    def _iter_events(self, f, n, batch, unweighted, adapt_to, neval, warmup, max_weight_quantile, progress, call):
        n, batch = integer("n", n, 1, 10 ** 12, strict=True), integer("batch", batch, 1, 10 ** 12, strict=True)
        if max_weight_quantile is not None:
            max_weight_quantile = real("max_weight_quantile", max_weight_quantile, 1e-12, 1.0)
        ig, aidx, aw, call = self._prepare_sampling(f, adapt_to, neval, warmup, call)
        names = ig.observable_names
        bar = progress_bar(n, "sampling", progress, 20 * n, unit="ev")
        try:
            if not unweighted:
                done, chunk = 0, 0
                obs_left, w_left = np.empty((0, ig.n_observables)), np.empty(0)
                while done < n:
                    m = min(batch, n - done)
                    if len(w_left) < m:                 # draw just the streams this batch still needs
                        k = -(-(m - len(w_left)) // SAMPLE_CHUNK)
                        obs, w, _, _ = self._draw(ig, "sample", call, chunk, k, aidx, aw)
                        chunk += k
                        obs_left, w_left = np.concatenate([obs_left, obs]), np.concatenate([w_left, w])
                    yield Events(obs_left[:m], names, w_left[:m] / n, unweighted=False, n_trials=m)
                    obs_left, w_left = obs_left[m:], w_left[m:]
                    done += m
                    if bar is not None:
                        bar.update(m)
                return
            sigma, sigma_error, wmax = self._trial(ig, call, max(2 * n, 100_000), aidx, aw, max_weight_quantile)
            if not sigma > 0:
                raise ValueError("the chosen component is zero (or negative on average) everywhere in the domain: "
                                 "nothing to sample")
            if not wmax > 0:
                raise ValueError(f"max_weight_quantile={max_weight_quantile} gives an envelope of 0")
            eff = sigma / wmax
            if n / eff > MAX_SAMPLE_TRIALS:
                raise ValueError(f"sampling {n:,} events at an estimated efficiency {eff:.2g} needs ~{n / eff:.2g} "
                                 f"trials (limit {MAX_SAMPLE_TRIALS:.0e}): adapt the map better or use weighted events")
            pending, have, trials, over, chunk, emitted = [], 0, 0, 0, 0, 0
            while emitted < n:
                m = int(min(max(1, math.ceil(1.2 * (n - have) / eff / SAMPLE_CHUNK)), 256))
                obs, w, u, _ = self._draw(ig, "sample", call, chunk, m, aidx, aw)
                chunk += m
                keep = np.flatnonzero(u * wmax < w)
                need = n - have
                if len(keep) >= need:                   # the n-th accepted event lies in this round
                    last = keep[need - 1]
                    keep = keep[:need]
                    trials += last + 1
                    over += int(np.count_nonzero(w[:last + 1] > wmax))
                else:
                    trials += len(w)
                    over += int(np.count_nonzero(w > wmax))
                pending.append(obs[keep])
                have += len(keep)
                if bar is not None:
                    bar.update(len(keep))
                while emitted < n and (have - emitted >= batch or have == n):
                    pts = np.concatenate(pending)
                    m_out = min(batch, n - emitted)
                    out, rest = pts[:m_out], pts[m_out:]
                    pending = [rest]
                    emitted += m_out
                    done = emitted == n
                    yield Events(out, names, np.full(m_out, sigma / n), unweighted=True,
                                 efficiency=n / trials if done else float("nan"), max_weight=wmax,
                                 n_overweight=over if done else 0, n_trials=trials if done else 0, sigma=sigma,
                                 sigma_error=sigma_error)
        finally:
            if bar is not None:
                bar.close()


def _component(layout, key, what):
    """Flat component index of ``key``: an index, a component name (e.g. "ff:U") or a (channel, state) pair."""
    physics = hasattr(layout, "channels")
    try:
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and not physics:
            if 0 <= key < layout.n_components:
                return int(key)
        elif isinstance(key, str) and key in layout.names:
            return layout.names.index(key)
        elif isinstance(key, tuple) and hasattr(layout, "channels"):
            return layout.index(*key)
    except (KeyError, TypeError):
        pass
    shown = ", ".join(layout.names[:6]) + (", ..." if layout.n_components > 6 else "")
    if physics:
        raise ValueError(f"{what}: unknown component {key!r}; give a (channel, state) pair or a name ({shown})")
    raise ValueError(f"{what}: unknown component {key!r}; give an index in [0, {layout.n_components}) or a name "
                     f"({shown})")


def _damped_weights(avg, alpha):
    """vegas's smoothing and damping of the per-increment averages of (f J)^2 (AdaptiveMap.adapt)."""
    n = len(avg)
    tmp = np.empty(n)
    tmp[0] = abs(7.0 * avg[0] + avg[1]) / 8.0
    tmp[-1] = abs(7.0 * avg[-1] + avg[-2]) / 8.0
    tmp[1:-1] = np.abs(6.0 * avg[1:-1] + avg[:-2] + avg[2:]) / 8.0
    s = tmp.sum()
    if not s > 0:
        return np.ones(n)
    a = tmp / s + TRAIN_FLOOR
    with np.errstate(divide="ignore", invalid="ignore"):
        damped = (-(1.0 - a) / np.log(a)) ** alpha
    return np.where((a > 0) & (a <= 0.99999999), damped, a)


def _regrid(edges, weights, n_new):
    """New edges with equal shares of the per-increment ``weights`` (linear inside each old increment)."""
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    new = np.interp(np.linspace(0.0, cum[-1], n_new + 1), cum, edges)
    new[0], new[-1] = edges[0], edges[-1]
    return new
