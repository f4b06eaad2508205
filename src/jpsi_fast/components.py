"""The component layout: what one phase-space point's output vector holds, named in one place.

Every number the package computes at a point is a *component*: a physics channel x a J/psi polarisation state
(later issues add beam-polarisation terms and theory variations as further axes). The kernels write the *base*
components (the states they compute directly, U and L); every other state is a fixed linear combination of base
components (T = U - L). :class:`Layout` is the registry that the kernels, the integrator, histograms, events,
results, datasets and the command line all read:

* ``layout.names`` -- component names, e.g. ``"ff:U"``; ``layout.index(channel, state)``;
* ``layout.base`` -- the (channel, element) pairs the kernels write, in the order they write them;
* ``layout.derive`` -- the (n_components, n_base) matrix with components = derive @ base;
* ``layout.blocks`` -- groups of base components whose covariance is always kept (those a derived component
  combines), so every component's variance is exact; ``layout.tracked`` -- the base components whose full
  covariance is kept (default: all of them).

Channels (docs/physics.md §4-5): quark fragmentation ``ff`` (3S1[8]) and photon-gluon fusion ``pgf_1s0_8``,
``pgf_3pj_8``, ``pgf_3s1_1``. States (docs/physics.md §1, §12): ``U`` summed over the J/psi helicities, ``L``
helicity 0, ``T`` helicities +-1 summed (= U - L) -- the default states -- and the elements of the J/psi spin
density matrix in the helicity frame (Condon-Shortley, basis +1, 0, -1; unpolarized beams, integrated over the
lepton azimuth): ``S00`` = sigma_00 (= L), ``Spp`` = sigma_++ = sigma_-- (= (U - L)/2), ``Sp0`` = sigma_+0 =
-sigma_-0 and ``Spm`` = sigma_+- = sigma_-+, all in pb/GeV^4 like the cross section.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CHANNELS", "STATES", "DENSITY_STATES", "BEAM_STATES", "ALL_STATES", "KERNEL_ELEMENTS", "state_terms",
           "state_combination", "check_beam", "channel_names",
           "CHANNEL_LABELS", "Layout", "GenericLayout", "Variation",
           "channel_shares", "dominant_channel", "channel_factors"]

#: physics channels, in kernel order
CHANNELS = ("ff", "pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1")
#: the default J/psi polarisation states: unpolarized, longitudinal, transverse
STATES = ("U", "L", "T")
#: the independent elements of the J/psi spin density matrix (docs/physics.md §12)
DENSITY_STATES = ("S00", "Spp", "Sp0", "Spm")
#: the beam-polarization parts (docs/physics.md §11): X_LL = F_LL of state X (the part of the yield proportional
#: to lambda_e S_N), V_LU, V_UL = the J/psi vector polarization sigma(+1) - sigma(-1) per unit lambda_e and per unit
#: S_N (not measurable through dileptons), V = lambda_e V_LU + S_N V_UL at the layout's beam polarizations
BEAM_STATES = ("U_LL", "L_LL", "T_LL", "V_LU", "V_UL", "V")
#: every state a layout may hold
ALL_STATES = STATES + DENSITY_STATES + BEAM_STATES
#: states the kernels compute directly (kernel element order; _kernels.pxd EL_*)
KERNEL_ELEMENTS = ("U", "L", "Sp0", "Spm", "U_LL", "L_LL", "V_LU", "V_UL")
#: kernel elements proportional to the helicity PDFs (docs/physics.md §11)
HELICITY_ELEMENTS = ("U_LL", "L_LL", "V_UL")
#: every state as a linear combination of kernel elements for unpolarized beams
_UNPOLARIZED_TERMS = {"U": {"U": 1.0}, "L": {"L": 1.0}, "T": {"U": 1.0, "L": -1.0}, "S00": {"L": 1.0},
                      "Spp": {"U": 0.5, "L": -0.5}, "Sp0": {"Sp0": 1.0}, "Spm": {"Spm": 1.0},
                      "U_LL": {"U_LL": 1.0}, "L_LL": {"L_LL": 1.0}, "T_LL": {"U_LL": 1.0, "L_LL": -1.0},
                      "V_LU": {"V_LU": 1.0}, "V_UL": {"V_UL": 1.0}}
#: the double-spin part of each helicity-summed state (docs/physics.md §11: F_LL of the same helicities)
_LL_PART = {"U": "U_LL", "L": "L_LL", "T": "T_LL", "S00": "L_LL", "Spp": "T_LL"}
#: factor of the double-spin part (Spp = T/2)
_LL_FACTOR = {"Spp": 0.5}


def state_terms(state, beam=(0.0, 0.0)):
    """A state as {kernel element: coefficient} for beam polarizations ``beam`` = (lambda_e, S_N) (docs/physics.md
    §11-12): dsigma = F_UU + lambda_e S_N F_LL for the helicity-summed states (U, L, T, S00, Spp; the single-spin
    terms cancel there), V = lambda_e V_LU + S_N V_UL. The off-diagonal elements Sp0, Spm exist for unpolarized
    beams only."""
    if state not in ALL_STATES:
        raise ValueError(f"unknown state {state!r}; allowed: {ALL_STATES}")
    lam_e, s_n = beam
    if state == "V":
        return {"V_LU": float(lam_e), "V_UL": float(s_n)}
    terms = dict(_UNPOLARIZED_TERMS[state])
    if state in _LL_PART and lam_e * s_n != 0.0:
        for e, w in _UNPOLARIZED_TERMS[_LL_PART[state]].items():
            terms[e] = terms.get(e, 0.0) + _LL_FACTOR.get(state, 1.0) * lam_e * s_n * w
    return terms


def check_beam(beam):
    """(lambda_e, S_N) as floats in [-1, 1] (beam polarizations; +-1 = helicities); None -> (0, 0). Each must be a
    real number (not a bool or a string)."""
    if beam is None:
        return (0.0, 0.0)
    try:
        lam_e, s_n = beam
    except (TypeError, ValueError):
        raise TypeError(f"beam must be a pair (lambda_e, S_N) of numbers, got {beam!r}") from None
    out = []
    for name, v in (("lambda_e", lam_e), ("S_N", s_n)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} (a beam polarization) must be a real number in [-1, 1], got {v!r}")
        if not -1.0 <= float(v) <= 1.0:
            raise ValueError(f"{name} (a beam polarization) must be in [-1, 1], got {v!r}")
        out.append(float(v) + 0.0)
    return tuple(out)


#: plot labels of the channels
CHANNEL_LABELS = {"ff": r"$q\to J/\psi$ (${}^3S_1^{[8]}$)", "pgf_1s0_8": r"PGF ${}^1S_0^{[8]}$",
                  "pgf_3pj_8": r"PGF ${}^3P_J^{[8]}$", "pgf_3s1_1": r"PGF ${}^3S_1^{[1]}$"}


def _names(value, allowed, what):
    """A tuple of distinct names from ``allowed`` (a single string allowed; None -> all)."""
    if value is None:
        return tuple(allowed)
    try:
        items = (value,) if isinstance(value, str) else tuple(value)
    except TypeError:
        raise TypeError(f"{what} must be a name or a sequence of names from {allowed}, got {value!r}") from None
    if not items:
        raise ValueError(f"{what} must name at least one of {allowed}")
    for item in items:
        if not isinstance(item, str) or item not in allowed:
            raise ValueError(f"{what}: unknown {item!r}; allowed: {allowed}")
    if len(set(items)) != len(items):
        raise ValueError(f"{what} has duplicates: {items}")
    return items


def _element_vector(state, beam=(0.0, 0.0)):
    """A state as a vector over KERNEL_ELEMENTS."""
    v = np.zeros(len(KERNEL_ELEMENTS))
    for e, w in state_terms(state, beam).items():
        v[KERNEL_ELEMENTS.index(e)] += w
    return v


def state_combination(state, have, beam=(0.0, 0.0)):
    """``state`` as a linear combination of the states ``have`` (e.g. U = L + T, Spp = T/2) at beam
    polarizations ``beam``: a dict {state in have: coefficient}; ValueError when ``have`` cannot form it."""
    if state in have:
        return {state: 1.0}
    target = _element_vector(state, beam)
    A = np.array([_element_vector(s, beam) for s in have]).T if len(have) else np.zeros((len(target), 0))
    coef = np.linalg.lstsq(A, target, rcond=None)[0] if len(have) else np.zeros(0)
    if np.max(np.abs(A @ coef - target)) > 1e-12:
        raise ValueError(f"state {state!r} cannot be formed from the states {tuple(have)}")
    return {s: float(c) for s, c in zip(have, np.round(coef, 12)) if c != 0.0}


def channel_names(channel, available):
    """A channel selection as a tuple of names: None -> every one of ``available``, a name -> (name,), a sequence of
    names -> tuple(sequence); KeyError for a name not in ``available``."""
    names = tuple(available) if channel is None else ((channel,) if isinstance(channel, str) else tuple(channel))
    for c in names:
        if c not in available:
            raise KeyError(f"channel {c!r} not in {tuple(available)}")
    return names


def channel_shares(values, axis=0):
    """Each channel's share of the channel sum along ``axis`` (0 where the sum is 0, e.g. y > 1)."""
    v = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    tot = v.sum(axis=0)
    return np.moveaxis(np.divide(v, tot, out=np.zeros_like(v), where=tot > 0), 0, axis)


def dominant_channel(values, axis=0):
    """Index of the channel with the largest value along ``axis``; -1 where every channel is 0 (y > 1)."""
    v = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    return np.where(v.sum(axis=0) > 0, np.argmax(v, axis=0), -1)


@dataclass(frozen=True)
class Variation:
    """One theory variation (docs/physics.md §10): the scales xi_R, xi_F, a PDF-set member, an LDME set, TMD
    widths. ``None`` fields keep the central choice of the Params / CrossSection."""

    name: str
    source: str = "central"              # central, scale, ldme, pdf, width
    xi_r: float = 1.0
    xi_f: float = 1.0
    member: int | None = None            # PDF-set member (None: the CrossSection's own PDF)
    ldme: tuple | None = None            # the four LDMEs in params.LDME_FIELDS order, or None
    widths: tuple | None = None          # (kt2_pdf, pt2_pgf, dz2_pgf), or None

    @property
    def base_key(self):
        """What the kernels must compute separately for this variation (everything but channel factors)."""
        return (self.xi_f, self.member, self.widths)


CENTRAL = Variation("central")


class Layout:
    """Components = [variations x] channels x states (variation-major, state fastest).

    Parameters
    ----------
    channels : names from :data:`CHANNELS` (default all), in any order.
    states : names from :data:`ALL_STATES` (default :data:`STATES`: U, L, T; the density-matrix elements
        :data:`DENSITY_STATES` on request).
    variations : a sequence of :class:`Variation` (the first must be the central one), e.g. from
        :meth:`jpsi_fast.Variations.resolve`; default: the central value only.
    params : the Params the variations are relative to (needed for alpha_s and LDME ratios when there are
        variations).
    pdf_set : the :class:`jpsi_fast.pdf.PDFSet` whose members the ``pdf`` variations name (their ``member``).
    cl : confidence level [%] of the PDF band.
    beam : beam polarizations (lambda_e, S_N) in [-1, 1] (docs/physics.md §11; default unpolarized): the
        helicity-summed states then include lambda_e S_N F_LL, and V = lambda_e V_LU + S_N V_UL.

    The kernels write ``base`` = base sets x channels x kernel elements, a base set being what needs its own
    computation (a PDF scale or member, TMD widths); every component is ``derive @ base``: derived states
    (T = U - L) and the variations that only rescale channels (alpha_s at xi_R, LDME sets) cost nothing.
    """

    def __init__(self, channels=None, states=None, variations=None, params=None, pdf_set=None, cl=68.27,
                 kernel_params=None, beam=None):
        self.channels = _names(channels, CHANNELS, "channels")
        self.states = STATES if states is None else _names(states, ALL_STATES, "states")
        #: beam polarizations (lambda_e, S_N) the states refer to (docs/physics.md §11)
        self.beam = check_beam(beam)
        if self.beam != (0.0, 0.0) and {"Sp0", "Spm"} & set(self.states):
            raise ValueError("the off-diagonal density-matrix elements Sp0, Spm are derived for unpolarized beams "
                             "only (docs/physics.md §12): use lambda_e = S_N = 0")
        if "V" in self.states and self.beam == (0.0, 0.0):
            raise ValueError("state 'V' (the vector polarization at the beam polarizations) needs lambda_e or S_N "
                             "!= 0; V_LU and V_UL are its parts per unit lambda_e and per unit S_N")
        self.variations = tuple(variations) if variations else (CENTRAL,)
        if self.variations[0].source != "central":
            raise ValueError("the first variation must be the central one")
        if len({v.name for v in self.variations}) != len(self.variations):
            raise ValueError("variation names must be distinct")
        if len(self.variations) > 1 and params is None:
            raise ValueError("a layout with variations needs the Params they are relative to")
        self.params = params if len(self.variations) > 1 else None
        #: the Params the kernels run with: the central ones, except that an LDME which is 0 there but not in some
        #: variation is set to 1 GeV^3 (the central variation then rescales that channel by 0)
        self.kernel_params = (kernel_params if kernel_params is not None else _kernel_params(self.variations, params)
                              ) if self.params is not None else None
        members = [v.member for v in self.variations if v.member is not None]
        if members and pdf_set is None:
            raise ValueError("variations name PDF-set members: give the pdf_set")
        if members and not all(0 <= m < len(pdf_set) for m in members):
            raise ValueError(f"PDF members must be in [0, {len(pdf_set)})")
        self.pdf_set = pdf_set if members else None
        #: confidence level [%] of the PDF band (docs/physics.md §10.3)
        self.cl = float(cl)
        terms = {s: state_terms(s, self.beam) for s in self.states}
        need = set().union(*terms.values())
        self.elements = tuple(e for e in KERNEL_ELEMENTS if e in need)
        #: the layout needs the kernels' beam-polarization elements (and, most of them, the helicity PDFs)
        self.polarized = bool(need & set(KERNEL_ELEMENTS[KERNEL_ELEMENTS.index("U_LL"):]))
        if self.polarized and len(self.variations) > 1:
            raise ValueError("theory variations (docs/physics.md §10) with the polarized-beam states "
                             f"{BEAM_STATES} are not supported yet: evaluate them separately")
        keys = []
        for v in self.variations:
            if v.base_key not in keys:
                keys.append(v.base_key)
        #: distinct base sets (xi_F, PDF member, widths); base set 0 is the central one
        self.base_sets = tuple(keys)
        self.base = tuple((b, c, e) for b in range(len(keys)) for c in self.channels for e in self.elements)
        prefix = len(self.variations) > 1
        self.names = tuple((f"{v.name}/" if prefix and v.source != "central" else "") + f"{c}:{s}"
                           for v in self.variations for c in self.channels for s in self.states)
        nc, ns, ne = len(self.channels), len(self.states), len(self.elements)
        self.factors = channel_factors(self.variations, self.channels, params, self.kernel_params)
        self.derive = np.zeros((len(self.names), len(self.base)))
        for vi, v in enumerate(self.variations):
            b = keys.index(v.base_key)
            for ci in range(nc):
                for si, s in enumerate(self.states):
                    for e, w in terms[s].items():
                        self.derive[(vi * nc + ci) * ns + si, (b * nc + ci) * ne + self.elements.index(e)] = \
                            w * self.factors[vi, ci]
        #: base components whose covariance is always accumulated together (one block per base set and channel)
        self.blocks = tuple(tuple(range(k * ne, (k + 1) * ne)) for k in range(len(keys) * nc))
        #: base components with a full covariance (default: the central base set)
        self.tracked = tuple(range(nc * ne))

    # ---------------------------------------------------------------- sizes and indices
    @property
    def n_components(self) -> int:
        return len(self.names)

    @property
    def n_base(self) -> int:
        return len(self.base)

    @property
    def n_variations(self) -> int:
        return len(self.variations)

    @property
    def shape(self) -> tuple:
        """Shape of the component axis when unflattened: (n_channels, n_states), or (n_variations, n_channels,
        n_states) with variations."""
        core = (len(self.channels), len(self.states))
        return core if len(self.variations) == 1 else (len(self.variations),) + core

    @property
    def central(self) -> slice:
        """Flat indices of the central variation's components."""
        return slice(0, len(self.channels) * len(self.states))

    def variation_index(self, variation) -> int:
        names = [v.name for v in self.variations]
        if isinstance(variation, Variation):
            variation = variation.name
        if variation not in names:
            raise KeyError(f"variation {variation!r} not in this layout; have {names}")
        return names.index(variation)

    def index(self, channel, state, variation=0) -> int:
        """Flat component index of (channel, state) of a variation (index or name; default central)."""
        if channel not in self.channels:
            raise KeyError(f"channel {channel!r} not in this layout; have {self.channels}")
        if state not in self.states:
            raise KeyError(f"state {state!r} not in this layout; have {self.states}")
        v = variation if isinstance(variation, (int, np.integer)) else self.variation_index(variation)
        return (v * len(self.channels) + self.channels.index(channel)) * len(self.states) + self.states.index(state)

    def weights(self, channels=None, state="U", variation=0) -> np.ndarray:
        """(n_components,) 0/1 weights selecting ``state`` of the given channels (default all) of a variation."""
        w = np.zeros(self.n_components)
        for c in (self.channels if channels is None else _names(channels, self.channels, "channels")):
            w[self.index(c, state, variation)] = 1.0
        return w

    def base_weights(self, component_weights) -> np.ndarray:
        """Base-component weights of a linear combination of components: w_base = w @ derive."""
        return np.asarray(component_weights, dtype=float) @ self.derive

    def kernel_terms(self, derived: bool = False):
        """What the kernels write per point, as sparse linear combinations of their per-base-set (channel,
        element) values indexed ``(base_set * N_CHANNELS + channel) * len(KERNEL_ELEMENTS) + element``:
        (offsets (n_out + 1,), sources, coefficients). ``derived=False``: the base components (the integrand,
        results with variations); True: every component."""
        ne = len(KERNEL_ELEMENTS)
        slot = [(b * len(CHANNELS) + CHANNELS.index(c)) * ne + KERNEL_ELEMENTS.index(e) for b, c, e in self.base]
        rows = self.derive if derived else np.eye(self.n_base)
        offsets, src, coef = [0], [], []
        for row in rows:
            for j in np.flatnonzero(row):
                src.append(slot[j])
                coef.append(row[j])
            offsets.append(len(src))
        return (np.array(offsets, dtype=np.intc), np.array(src, dtype=np.intc), np.array(coef, dtype=np.float64))

    def pairs(self, tracked=True) -> np.ndarray:
        """(n_pairs, 2) base-component index pairs (i <= j) whose covariance the integrator accumulates: every
        variance, every pair inside a block and, with ``tracked``, every pair of tracked components."""
        return _pairs(self.n_base, self.blocks, self.tracked if tracked else ())

    def unflatten(self, values, axis=0):
        """Split the component axis of ``values`` into ([variation,] channel, state)."""
        values = np.moveaxis(np.asarray(values), axis, 0)
        return values.reshape(self.shape + values.shape[1:])

    @property
    def sources(self) -> tuple:
        """The variation sources present (docs/physics.md §10), e.g. ("central", "scale", "pdf")."""
        return tuple(dict.fromkeys(v.source for v in self.variations))

    def _key(self):
        pset = None if self.pdf_set is None else (self.pdf_set.path, self.pdf_set.name, self.pdf_set.fingerprint,
                                                  self.pdf_set.extrapolate)
        return (self.channels, self.states, self.variations, self.params, pset, self.cl)

    def __eq__(self, other):
        return isinstance(other, Layout) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __reduce__(self):
        return (Layout, (self.channels, self.states, self.variations, self.params, self.pdf_set, self.cl))

    def __repr__(self):
        extra = f", {len(self.variations)} variations" if len(self.variations) > 1 else ""
        return f"Layout(channels={self.channels}, states={self.states}{extra})"


def _kernel_params(variations, params):
    """``params`` with every LDME that is 0 there but not in some variation set to 1 GeV^3 (so that the kernels
    compute that channel and the variations can rescale it)."""
    if params is None:
        return None
    from .params import LDME_FIELDS
    unit = {}
    for k, f in enumerate(LDME_FIELDS):
        if getattr(params, f) == 0 and any(v.ldme is not None and v.ldme[k] != 0 for v in variations):
            unit[f] = 1.0
    return params.replace(**unit) if unit else params


def channel_factors(variations, channels, params, kernel_params=None) -> np.ndarray:
    """(n_variations, n_channels) rescaling of each channel by a variation relative to what the kernels compute
    (``kernel_params``, default the central ``params``): the alpha_s ratios (alpha_s(xi_R mu)/alpha_s(mu))^n
    (n = 2 for ff and the singlet, 1 for the octets; docs/physics.md §10.2) times the LDME ratio (§10.1). Exactly
    1 for the central variation and for variations that change neither (0 for a channel whose central LDME is 0
    and which the kernels compute at a unit LDME). Raises ValueError when xi_R mu leaves the range where the
    one-loop alpha_s is <= ALPHA_S_MAX (as Params does for the central scales)."""
    out = np.ones((len(variations), len(channels)))
    if params is None:
        return out
    from .params import ALPHA_S_MAX, CHANNEL_LDME, LDME_FIELDS, one_loop_alpha_s
    kernel_params = kernel_params if kernel_params is not None else params
    powers = {"ff": (params.mu_ff_value, 2), "pgf_1s0_8": (params.mu_pgf, 1), "pgf_3pj_8": (params.mu_pgf, 1),
              "pgf_3s1_1": (params.mu_pgf, 2)}
    for vi, v in enumerate(variations):
        for ci, c in enumerate(channels):
            f = 1.0
            if v.xi_r != 1.0:
                mu, n = powers[c]
                a_new = one_loop_alpha_s(v.xi_r * mu, params.lambda_qcd, params.n_f)
                if not (v.xi_r * mu > params.lambda_qcd and 0 < a_new <= ALPHA_S_MAX):
                    raise ValueError(f"variation {v.name!r}: alpha_s at xi_R mu = {v.xi_r * mu:g} GeV (channel {c}) "
                                     f"is not in (0, {ALPHA_S_MAX:g}]: raise the central scale")
                f *= (a_new / one_loop_alpha_s(mu, params.lambda_qcd, params.n_f)) ** n
            field = CHANNEL_LDME[c]
            value = dict(zip(LDME_FIELDS, v.ldme))[field] if v.ldme is not None else getattr(params, field)
            computed = getattr(kernel_params, field)
            f *= value / computed if computed != 0 else 0.0     # an LDME 0 everywhere: the channel is 0
            out[vi, ci] = f
    return out


class GenericLayout:
    """Components of a user integrand: ``k`` unrelated values named ``f0 .. f{k-1}`` (or given names); the
    base is the components themselves. Full covariance kept for at most ``max_tracked`` components."""

    max_tracked = 64

    def __init__(self, n_components: int, names=None):
        if isinstance(n_components, bool) or int(n_components) != n_components or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        k = int(n_components)
        self.names = tuple(names) if names is not None else tuple(f"f{i}" for i in range(k))
        if len(self.names) != k:
            raise ValueError(f"{len(self.names)} names for {k} components")
        self.base = self.names
        self.derive = np.eye(k)
        self.blocks = ()
        self.tracked = tuple(range(min(k, self.max_tracked)))

    n_components = property(lambda self: len(self.names))
    n_base = property(lambda self: len(self.names))
    shape = property(lambda self: (len(self.names),))

    def index(self, name) -> int:
        if isinstance(name, (int, np.integer)) and 0 <= name < len(self.names):
            return int(name)
        if name in self.names:
            return self.names.index(name)
        raise KeyError(f"component {name!r} not in {self.names}")

    def base_weights(self, component_weights) -> np.ndarray:
        return np.asarray(component_weights, dtype=float)

    def pairs(self, tracked=True) -> np.ndarray:
        return _pairs(self.n_base, self.blocks, self.tracked if tracked else ())

    def unflatten(self, values, axis=0):
        return np.moveaxis(np.asarray(values), axis, 0)

    def __eq__(self, other):
        return isinstance(other, GenericLayout) and self.names == other.names

    def __hash__(self):
        return hash(self.names)

    def __repr__(self):
        return f"GenericLayout({len(self.names)})"


def _pairs(n, blocks, tracked):
    """Sorted unique (i, j), i <= j: the diagonal, every pair within a block, every pair of tracked indices."""
    pairs = {(i, i) for i in range(n)}
    for group in tuple(blocks) + (tuple(tracked),):
        g = sorted(group)
        pairs.update((a, b) for ia, a in enumerate(g) for b in g[ia:])
    return np.array(sorted(pairs), dtype=np.intc).reshape(-1, 2)
