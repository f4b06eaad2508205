"""Synthetic multi-member LHAPDF sets for tests and benchmarks (docs/physics.md §10.3).

:func:`make_synthetic_set` writes ``DIR/NAME/NAME.info`` and members ``NAME_0000.dat`` ... in the ``lhagrid1``
format: smooth, positive, seeded perturbations of GRV94 LO tabulated on a grid (by :func:`jpsi_fast.pdf.write_lhagrid`),
with ``NumMembers``, ``ErrorType`` and ``ErrorConfLevel`` as asked, so that :func:`jpsi_fast.pdf.load_set` reads it
like a real set. The numbers are not physics: use them to test machinery (uncertainty formulas, member loops,
ForcePositive, timing), never as a PDF.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .pdf import ERROR_TYPES, GRV94LO, LHAGRID_FORMAT, _write_atomic, read_lhagrid1, write_lhagrid

__all__ = ["make_synthetic_set", "knots_of", "DEFAULT_X_KNOTS", "DEFAULT_Q_SUBGRIDS", "DEFAULT_PIDS"]

#: default grid: 60 x knots in [1e-5, 1], Q knots [GeV] in two subgrids sharing the knot 4.92 GeV
DEFAULT_X_KNOTS = tuple(float(v) for v in np.geomspace(1e-5, 1.0, 60))
DEFAULT_Q_SUBGRIDS = (tuple(float(v) for v in np.geomspace(1.65, 4.92, 8)),
                      tuple(float(v) for v in np.geomspace(4.92, 1000.0, 24)))
#: flavours written (as NNPDF3.1): bbar .. dbar, g, d .. b
DEFAULT_PIDS = (-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5)
#: smooth perturbation: relative amplitude (< 1 keeps x f >= 0 where GRV94 is) and number of sine modes in ln x
DEFAULT_AMPLITUDE = 0.1
N_MODES = 4
#: alpha_s tabulated in the .info: one loop, Lambda = 0.2 GeV, n_f = 5 (the defaults of docs/physics.md §2),
#: at this many Q values spanning the grid, and the Z mass [GeV] of AlphaS_MZ
ALPHA_S_LAMBDA = 0.2
ALPHA_S_NF = 5
ALPHA_S_NKNOTS = 30
MZ = 91.1876


def knots_of(member_file):
    """(x_knots, [Q knots of each subgrid]) of an lhagrid1 member file, e.g. to give a synthetic set the knots
    of a real one."""
    subgrids, _ = read_lhagrid1(member_file)
    return subgrids[0][0], [s[1] for s in subgrids]


class _Perturbed:
    """A base PDF times 1 + sum_j c[p, j] sin(j pi u), u = ln(x/xmin)/ln(1/xmin) in [0, 1], per flavour p;
    anything with ``xfxQ`` is what :func:`write_lhagrid` needs."""

    def __init__(self, base, coeffs, x_min):
        self.base, self.coeffs, self.log_x_min = base, coeffs, math.log(x_min)

    def factor(self, pid, x):
        u = np.clip(np.log(x) / self.log_x_min, 0.0, 1.0)     # 1 at x_min, 0 at x = 1
        c = self.coeffs.get(pid, np.zeros(N_MODES))
        return 1.0 + sum(c[j] * np.sin((j + 1) * np.pi * u) for j in range(N_MODES))

    def xfxQ(self, pid, x, Q):
        return self.base.xfxQ(pid, x, Q) * self.factor(pid, x)


class _Mean:
    """The mean of several PDFs (member 0 of a replica set is the replica average)."""

    def __init__(self, pdfs):
        self.pdfs = pdfs

    def xfxQ(self, pid, x, Q):
        return sum(p.xfxQ(pid, x, Q) for p in self.pdfs) / len(self.pdfs)


def _member_pdfs(n_members, error_type, rng, pids, amplitude, x_min, base):
    def draw(scale=1.0):
        return {p: scale * amplitude / N_MODES * rng.uniform(-1.0, 1.0, N_MODES) for p in pids}

    if error_type == "replicas":
        reps = [_Perturbed(base, draw(), x_min) for _ in range(n_members - 1)]
        return [_Mean(reps), *reps]
    members = [_Perturbed(base, {}, x_min)]
    if error_type == "symmhessian":
        return members + [_Perturbed(base, draw(), x_min) for _ in range(n_members - 1)]
    for _ in range((n_members - 1) // 2):            # hessian: asymmetric pairs along one direction each
        c = draw()
        down = rng.uniform(0.5, 1.0)
        members.append(_Perturbed(base, c, x_min))
        members.append(_Perturbed(base, {p: -down * v for p, v in c.items()}, x_min))
    return members


def _info_text(name, n_members, error_type, error_conf_level, force_positive, pids, x_knots, q_subgrids):
    qlo, qhi = float(q_subgrids[0][0]), float(q_subgrids[-1][-1])
    qs = np.geomspace(qlo, qhi, ALPHA_S_NKNOTS)
    beta0 = 11.0 - 2.0 * ALPHA_S_NF / 3.0

    def alpha_s(q):
        return 2.0 * math.pi / (beta0 * math.log(q / ALPHA_S_LAMBDA))

    lines = [f'SetDesc: "Synthetic test set {name}: seeded smooth perturbations of GRV94 LO (jpsi_fast.pdf_testing)"',
             "Authors: jpsi_fast", f"Format: {LHAGRID_FORMAT}", "DataVersion: 1", f"NumMembers: {n_members}",
             "Particle: 2212", f"Flavors: [{', '.join(str(p) for p in pids)}]", "OrderQCD: 0",
             f"ForcePositive: {force_positive}", f"ErrorType: {error_type}"]
    if error_conf_level is not None:
        lines.append(f"ErrorConfLevel: {error_conf_level!r}")
    lines += [f"XMin: {float(x_knots[0])!r}", f"XMax: {float(x_knots[-1])!r}", f"QMin: {qlo!r}", f"QMax: {qhi!r}",
              f"AlphaS_MZ: {alpha_s(MZ)!r}", "AlphaS_OrderQCD: 1", "AlphaS_Type: ipol",
              "AlphaS_Qs: [" + ", ".join(repr(float(q)) for q in qs) + "]",
              "AlphaS_Vals: [" + ", ".join(repr(alpha_s(q)) for q in qs) + "]"]
    return "\n".join(lines) + "\n"


def make_synthetic_set(directory, name: str, n_members: int, error_type: str = "replicas", seed: int = 0,
                       x_knots=None, q_subgrids=None, pids=DEFAULT_PIDS, force_positive: int = 0,
                       error_conf_level: float | None = None, amplitude: float = DEFAULT_AMPLITUDE,
                       base=None) -> Path:
    """Write a synthetic LHAPDF set ``directory/name/`` and return that directory.

    Parameters
    ----------
    directory : str or Path
        Where the set directory is created (e.g. a folder on ``LHAPDF_DATA_PATH``).
    name : str
        Set name (directory, ``name.info``, ``name_0000.dat`` ...).
    n_members : int
        ``NumMembers`` including member 0 (>= 2; odd for "hessian").
    error_type : {"replicas", "symmhessian", "hessian"}
        replicas: members 1..N are independent random perturbations, member 0 their knot-wise mean (as NNPDF);
        symmhessian: member 0 is GRV94 LO, each member k a random perturbation; hessian: member 0 is GRV94 LO,
        members 2k-1, 2k perturb along one direction, up and (by a random 0.5-1 of that) down.
    seed : int
        Seed of the perturbations (the same arguments write the same files).
    x_knots, q_subgrids : array_like, optional
        x knots and the Q knots [GeV] of each subgrid (consecutive subgrids share a knot); default
        :data:`DEFAULT_X_KNOTS`, :data:`DEFAULT_Q_SUBGRIDS`. :func:`knots_of` takes them from a real member file.
        Outside GRV94's validity (x < 1e-5, Q^2 outside [0.4, 1e6] GeV^2) GRV94 is frozen at its edge.
    pids : sequence of int
        Flavours written (``Flavors``).
    force_positive : {0, 1, 2}
        ``ForcePositive`` written to the .info.
    error_conf_level : float, optional
        ``ErrorConfLevel`` [%] written to the .info (omitted when None: the set is then at 68.27 %).
    amplitude : float
        Largest relative size of a perturbation, in (0, 1): every member keeps the sign of the base PDF.
    base : PDF, optional
        The PDF perturbed (anything with ``xfxQ``), default GRV94 LO frozen at its range edges. An
        :class:`~jpsi_fast.pdf.LHAGrid` on its own knots (:func:`knots_of`) keeps its knot values exactly, e.g. the
        negative ones of NNPDF3.1 LO that ForcePositive acts on.
    """
    if error_type not in ERROR_TYPES:
        raise ValueError(f"error_type must be one of {ERROR_TYPES}, got {error_type!r}")
    if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 2:
        raise ValueError(f"n_members must be an integer >= 2, got {n_members!r}")
    if error_type == "hessian" and n_members % 2 == 0:
        raise ValueError(f"a hessian set has 1 + 2k members, got n_members = {n_members}")
    if not 0.0 < amplitude < 1.0:
        raise ValueError(f"amplitude must be in (0, 1), got {amplitude!r}")
    if force_positive not in (0, 1, 2):
        raise ValueError(f"force_positive must be 0, 1 or 2, got {force_positive!r}")
    x_knots = np.asarray(DEFAULT_X_KNOTS if x_knots is None else x_knots, dtype=float)
    q_subgrids = [np.asarray(q, dtype=float) for q in (DEFAULT_Q_SUBGRIDS if q_subgrids is None else q_subgrids)]
    setdir = Path(directory) / name
    setdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    base = GRV94LO(extrapolate="nearest") if base is None else base
    members = _member_pdfs(n_members, error_type, rng, pids, amplitude, float(x_knots[0]), base)
    for k, pdf in enumerate(members):
        write_lhagrid(setdir / f"{name}_{k:04d}.dat", pdf, x_knots, q_subgrids, pids=pids,
                      header={"PdfType": "central" if k == 0 else ("replica" if error_type == "replicas" else "error")})
    _write_atomic(setdir / f"{name}.info", _info_text(name, n_members, error_type, error_conf_level, force_positive,
                                                      pids, x_knots, q_subgrids))
    return setdir
