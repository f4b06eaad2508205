"""Cross sections dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X (docs/physics.md §4-5) and their result object."""
from __future__ import annotations

import numpy as np

from . import _kernels
from ._openmp_helpers import resolve_n_threads
from ._validate import as_float_array, check_interval
from .components import (CHANNEL_LABELS, CHANNELS, DENSITY_STATES, STATES, Layout, channel_names,
                         channel_shares, check_beam, dominant_channel, state_combination)
from .params import PT_MAX, Q_RANGE, X_MIN, Z_MIN, Params
from .pdf import PDF, default_pdf

#: states added to the default ones whenever beam polarizations are given (docs/physics.md §11), so A_LL is
#: available whatever the polarizations (the helicity PDFs' range then applies); V is added when a beam is polarized
POLARIZED_DEFAULT_STATES = ("U_LL", "L_LL", "T_LL")

__all__ = ["CHANNELS", "STATES", "DENSITY_STATES", "CHANNEL_LABELS", "CrossSection", "Result", "decay_lambdas",
           "decay_lambdas_with_errors"]

#: points per call of the compiled loop: Ctrl-C is seen between blocks (small enough for the slowest points, the
#: Gaussian model near z = 1 at ~0.1 ms each; the per-call overhead is ~10 us)
EVALUATE_BLOCK = 1 << 13
_ARG_RANGES = {"x": (X_MIN, 1.0, False, True, ""), "z": (Z_MIN, 1.0, False, True, ""),
               "Q": (Q_RANGE[0], Q_RANGE[1], False, False, "GeV"), "PT": (0.0, PT_MAX, False, False, "GeV")}


class Result:
    """Cross sections per component at a set of points.

    ``values[c, s, ...]`` is dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4 for channel ``channels[c]`` and state
    ``states[s]`` at the broadcast shape of the inputs; ``layout`` names the components. Multiply by 4 Q P_T for
    dsigma/(dx dQ dz dP_T) (:meth:`per_dQ_dPT`).

    With theory variations (``CrossSection.evaluate(..., variations=...)``, docs/physics.md §10) ``values`` is
    ``[v, c, s, ...]`` over ``layout.variations`` (central first) and is formed on first access from the base
    components the kernels wrote (``base``, shape (..., n_base): point-major); every other method (``r["ff", "U"]``,
    :meth:`total`, :meth:`fractions`, ...) reports the central variation, :meth:`variation` another one and
    :meth:`band` the uncertainty band of a source.
    """

    def __init__(self, values, layout, inputs=None, base=None):
        self._values = values
        self.layout = layout
        self.inputs = inputs
        #: base components (..., n_base) of a result with variations (None otherwise)
        self.base = base

    def _from_base(self, rows):
        """(rows.shape[0], ...) = rows @ base for a (k, n_base) matrix of base-component weights."""
        flat = self.base.reshape(-1, self.base.shape[-1])
        return (flat @ rows.T).T.reshape((rows.shape[0],) + self.base.shape[:-1])

    @property
    def values(self):
        if self._values is None:
            self._values = self._from_base(self.layout.derive).reshape(self.layout.shape + self.base.shape[:-1])
        return self._values

    @property
    def has_variations(self) -> bool:
        return self.layout.n_variations > 1

    @property
    def _central(self):
        """(n_channels, n_states, ...) values of the central variation."""
        if not self.has_variations:
            return self.values
        if self._values is None:
            rows = self.layout.derive[self.layout.central]
            return self._from_base(rows).reshape(self.layout.shape[1:] + self.base.shape[:-1])
        return self.values[0]

    @property
    def channels(self):
        return self.layout.channels

    @property
    def states(self):
        return self.layout.states

    @property
    def shape(self):
        return self._central.shape[2:]

    def __getitem__(self, key):
        """``r["ff", "U"]`` -> array; ``r["ff"]`` -> (n_states, ...) array (central variation)."""
        if isinstance(key, tuple):
            ch, st = key
            return self._central[self._ch(ch), self._st(st)]
        return self._central[self._ch(key)]

    def _ch(self, ch):
        if ch not in self.channels:
            raise KeyError(f"channel {ch!r} not in this result; have {self.channels}")
        return self.channels.index(ch)

    def _st(self, st):
        if st not in self.states:
            raise KeyError(f"state {st!r} not in this result; have {self.states}")
        return self.states.index(st)

    def _state_values(self, state):
        """(n_channels, ...) values of one state, formed from the result's states when it lacks it (U = L + T,
        T = U - L, S00 = L, Spp = (U - L)/2; components.state_combination)."""
        v = self._central
        try:
            comb = state_combination(state, self.states, self.layout.beam)
        except ValueError as err:
            raise KeyError(str(err)) from None
        return sum((c * v[:, self._st(s)] for s, c in comb.items()), np.zeros(v.shape[:1] + v.shape[2:]))

    def total(self, state="U"):
        """Sum over the result's channels for one state [pb/GeV^4]."""
        return self._state_values(state).sum(axis=0)

    def fractions(self, state="U"):
        """(n_channels, ...) share of each channel in the total of ``state`` (0 where the total is 0)."""
        return channel_shares(self._state_values(state))

    def dominant(self, state="U"):
        """Index into :attr:`channels` of the channel with the largest share; -1 where every channel is 0
        (y > 1)."""
        return dominant_channel(self._state_values(state))

    def dominant_names(self, state="U"):
        """Like :meth:`dominant` but channel names ("none" where every channel is 0)."""
        names = np.array(self.channels + ("none",))
        return names[self.dominant(state)]

    def _channel_sum(self, state, channel):
        """Values of ``state`` summed over ``channel``: None = every channel of the result, a name, or a sequence of
        names (components.channel_names)."""
        idx = [self._ch(c) for c in channel_names(channel, self.channels)]
        return self._state_values(state)[idx].sum(axis=0)

    def lambda_theta(self, channel=None):
        """Polar-anisotropy parameter lambda_theta = (sigma_T - 2 sigma_L)/(sigma_T + 2 sigma_L) (docs/physics.md
        §1, §12) of the channel sum, of one ``channel`` or of a sequence of channels (their density matrices
        added); NaN where the cross section is 0 (y > 1). With polarized beams: at the result's beam
        polarizations."""
        return decay_lambdas(self._channel_sum("L", channel), self._channel_sum("T", channel) / 2.0, 0.0, 0.0)["theta"]

    def density_matrix(self, channel=None):
        """The J/psi spin density matrix (docs/physics.md §12) of the channel sum (density matrices of the
        channels added) or of one ``channel`` (a name, or a sequence of names to sum): dict S00, Spp, Sp0, Spm of
        arrays [pb/GeV^4]. Needs a result with the states Sp0 and Spm (``states=(..., "Sp0", "Spm")``)."""
        return {e: self._channel_sum(e, channel) for e in DENSITY_STATES}

    def lambdas(self, channel=None):
        """Dilepton decay parameters of J/psi -> l+ l- in the helicity frame (docs/physics.md §12) of the channel
        sum (density matrices added first; never averaged lambdas) or of one ``channel`` (or a sequence): dict
        ``theta``, ``phi``, ``thetaphi``, ``tilde`` (the frame-invariant (lambda_theta + 3 lambda_phi)/(1 -
        lambda_phi)) of arrays shaped like the inputs; NaN where the cross section is 0 (y > 1). Needs the states
        Sp0 and Spm besides U and L (or T): ``xs.evaluate(..., states=("U", "L", "Sp0", "Spm"))``."""
        return decay_lambdas(**self.density_matrix(channel))

    def A_LL(self, state="U", channel=None):
        """Double-spin asymmetry A_LL = F_LL / F_UU of ``state`` (U, L or T; docs/physics.md §11) of the channel
        sum, of one ``channel`` or of a sequence of channels; NaN where F_UU = 0. Independent of the beam
        polarizations the result was evaluated at; needs the states X and X_LL (the default states of
        ``evaluate(..., lambda_e=, S_N=)``)."""
        w_ll, w_uu = a_ll_weights(self.layout, channel, state)
        flat = self._central.reshape(self.layout.n_components, -1)
        ll, uu = (w_ll @ flat).reshape(self.shape), (w_uu @ flat).reshape(self.shape)
        return np.divide(ll, uu, out=np.full(uu.shape, np.nan), where=uu != 0)[()]

    def vector_polarization(self, channel=None):
        """sigma(+1) - sigma(-1) [pb/GeV^4] at the result's beam polarizations (docs/physics.md §11) of the channel
        sum, of one ``channel`` or of a sequence of channels: the J/psi vector polarization from the single-spin
        terms F_LU, F_UL. **Theory only**: the parity-conserving J/psi -> l+ l- decay does not see it (no dilepton
        observable)."""
        return self._channel_sum("V", channel)

    def per_dQ_dPT(self):
        """Values converted to dsigma/(dx dQ dz dP_T) = 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^2]."""
        if self.inputs is None:
            raise ValueError("this result does not carry its inputs (Q, PT)")
        _, _, Q, PT = self.inputs
        return self.values * (4.0 * Q * PT)

    # ---------------------------------------------------------------- theory variations (docs/physics.md §10)
    def by_variation(self, channels=None, state="U"):
        """(n_variations, ...) the sum over ``channels`` (default all) of ``state`` for every variation, central
        first [pb/GeV^4] (computed from the base components: cheap even for many variations)."""
        lay = self.layout
        W = np.array([_state_weights(lay, channels, state, v) for v in range(lay.n_variations)])
        if self.base is None:
            return (W @ self.values.reshape(lay.n_components, -1)).reshape((lay.n_variations,) + self.shape)
        return self._from_base(W @ lay.derive)

    def variation(self, name):
        """The :class:`Result` of one variation (by name, e.g. "scale:2,1", "ldme:bckl2014", "pdf:3")."""
        if not self.has_variations:
            raise ValueError("this result has no theory variations: evaluate with variations=jpsi_fast.Variations(...)")
        i = self.layout.variation_index(name)
        lay = Layout(self.channels, self.states)
        k = lay.n_components
        if self._values is not None:
            return Result(np.array(self._values[i]), lay, inputs=self.inputs)
        rows = self.layout.derive[i * k:(i + 1) * k]
        return Result(self._from_base(rows).reshape(lay.shape + self.base.shape[:-1]), lay, inputs=self.inputs)

    def band(self, source="total", channels=None, state="U", cl=None, per_component=False):
        """(central, low, high) arrays shaped like the inputs: the ``source`` band ("scale", "ldme", "ldme_fit",
        "pdf", "width" or "total"; docs/physics.md §10.4, :func:`jpsi_fast.variations.band`) of the sum over
        ``channels`` (default all) of ``state`` [pb/GeV^4]. For "pdf" the central value is the set's (member 0 or
        the replica mean) and ``cl`` the confidence level [%] (default the Variations' one).
        ``per_component=True``: the band of every channel x state instead, arrays shaped like the central
        values (n_channels, n_states, ...) (``channels``/``state`` ignored)."""
        from .variations import layout_band
        if not self.has_variations:
            raise ValueError("this result has no theory variations: evaluate with variations=jpsi_fast.Variations(...)")
        values = self.values if per_component else self.by_variation(channels, state)
        return layout_band(self.layout, values, source, cl)

    @property
    def cl(self):
        """Confidence level [%] of the PDF band."""
        return self.layout.cl

    def __repr__(self):
        extra = f" variations={self.layout.n_variations}" if self.has_variations else ""
        return f"<Result channels={self.channels} states={self.states} shape={self.shape}{extra} [pb/GeV^4]>"


def _state_weights(layout, channels, state, variation):
    """Component weights of the sum over ``channels`` of ``state`` of one variation; a state the layout lacks is
    formed from its states (components.state_combination: U = L + T, T = U - L, ...)."""
    comb = state_combination(state, layout.states, layout.beam)
    return sum((c * layout.weights(channels, s, variation) for s, c in comb.items()), np.zeros(layout.n_components))


def a_ll_weights(layout, channel, state="U"):
    """Component weights (w_LL, w_UU) of F_LL and F_UU of ``state`` (U, L or T) summed over ``channel`` (None: all,
    a name or a sequence) of a layout with the states X and X_LL (docs/physics.md §11): X holds F_UU + lambda_e S_N
    F_LL at the layout's beam polarizations, so F_UU = X - lambda_e S_N X_LL."""
    if state not in ("U", "L", "T"):
        raise ValueError(f"A_LL is defined for the states U, L, T, got {state!r}")
    channels = channel_names(channel, layout.channels)
    try:
        w_ll = _state_weights(layout, channels, state + "_LL", 0)
        w_pol = _state_weights(layout, channels, state, 0)
    except ValueError as err:
        raise ValueError(f"{err}: A_LL needs the states {state!r} and {state + '_LL'!r} (evaluate with lambda_e=, "
                         "S_N=, or states=(..., 'U_LL'))") from None
    return w_ll, w_pol - layout.beam[0] * layout.beam[1] * w_ll


def decay_lambdas(S00, Spp, Sp0, Spm):
    """Decay parameters of J/psi -> l+ l- from the density matrix (docs/physics.md §12), rho = sigma / Tr sigma:
    lambda_theta = (1 - 3 rho00)/(1 + rho00) = (Spp - S00)/(Spp + S00), lambda_phi = 2 rho_+- /(1 + rho00) =
    Spm/(Spp + S00), lambda_thetaphi = sqrt2 (rho_+0 - rho_-0)/(1 + rho00) = sqrt2 Sp0/(Spp + S00) and the
    frame-invariant lambda_tilde = (lambda_theta + 3 lambda_phi)/(1 - lambda_phi). Arrays (any matching shapes)
    in, dict ``theta``, ``phi``, ``thetaphi``, ``tilde`` out; NaN where Spp + S00 <= 0 (no cross section)."""
    S00, Spp, Sp0, Spm = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (S00, Spp, Sp0, Spm)))
    den = Spp + S00
    ok = den > 0

    def ratio(num):
        return np.divide(num, den, out=np.full(den.shape, np.nan), where=ok)[()]

    out = {"theta": ratio(Spp - S00), "phi": ratio(Spm), "thetaphi": ratio(np.sqrt(2.0) * Sp0)}
    with np.errstate(invalid="ignore", divide="ignore"):
        out["tilde"] = (out["theta"] + 3.0 * out["phi"]) / (1.0 - out["phi"])
    return out


def decay_lambdas_with_errors(elements, cov):
    """:func:`decay_lambdas` of integrated or binned density-matrix elements with errors propagated linearly.

    elements : (..., 4) S00, Spp, Sp0, Spm (e.g. [pb] or [pb/GeV]);  cov : (..., 4, 4) their covariance.
    Returns (values, errors): dicts ``theta``, ``phi``, ``thetaphi``, ``tilde`` of arrays of shape (...) (NaN where
    Spp + S00 <= 0 or the covariance is unknown)."""
    e = np.asarray(elements, dtype=float)
    cov = np.asarray(cov, dtype=float)
    S00, Spp, Sp0, Spm = np.moveaxis(e, -1, 0)
    lam = decay_lambdas(S00, Spp, Sp0, Spm)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = Spp + S00
        zero = np.zeros_like(d)
        # gradients with respect to (S00, Spp, Sp0, Spm)
        g_theta = np.stack([-2 * Spp / d ** 2, 2 * S00 / d ** 2, zero, zero], axis=-1)
        g_phi = np.stack([-Spm / d ** 2, -Spm / d ** 2, zero, 1 / d], axis=-1)
        g_tp = np.stack([-np.sqrt(2.0) * Sp0 / d ** 2, -np.sqrt(2.0) * Sp0 / d ** 2, np.sqrt(2.0) / d, zero], axis=-1)
        phi, theta = lam["phi"], lam["theta"]
        g_tilde = ((1 - phi)[..., None] * g_theta + (3 + theta)[..., None] * g_phi) / ((1 - phi) ** 2)[..., None]
        errs = {}
        for name, g in (("theta", g_theta), ("phi", g_phi), ("thetaphi", g_tp), ("tilde", g_tilde)):
            var = np.einsum("...i,...ij,...j->...", g, cov, g)
            errs[name] = np.where(np.isfinite(lam[name]), np.sqrt(np.maximum(var, 0.0)), np.nan)[()]
    return lam, errs


#: helicity_clamp_cells: scan points per cell and axis, and the ratio margin |x Dq| / x q < 1 / margin
CLAMP_SCAN_POINTS = 5
CLAMP_SCAN_MARGIN = 1.25
#: PDG ids of the kernel's light (anti)quarks
_QUARK_PIDS = {"u": 2, "d": 1, "s": 3, "ubar": -2, "dbar": -1, "sbar": -3}


def _helicity_plus_only(hel, flavours):
    """True for an LHAPDF helicity set that gives only Dq+ = Dq + Dqbar (ids 901-903, no 1, 2 or -1, -2); then
    every quark must be summed together with its antiquark (ValueError otherwise)."""
    pids = set(getattr(hel, "pids", ()))
    if not pids or not ({901, 902} <= pids) or pids & {1, 2, -1, -2}:
        return False
    for q in ("u", "d", "s"):
        if (q in flavours) != (q + "bar" in flavours):
            raise ValueError(f"the helicity set {hel.name} gives Dq + Dqbar (ids 901-903): Params.flavours must "
                             f"hold {q} and {q}bar both or neither, got {flavours}")
    return True


def _clamp_cells(pdf, hel, flavours):
    """The flags of CrossSection.helicity_clamp_cells for an unpolarized ``pdf`` and helicity PDFs ``hel``."""
    lx, lq = (np.asarray(k, dtype=float) for k in hel.core.log_knots)
    x_lo, x_hi = pdf.x_range
    q2_lo, q2_hi = (q * q for q in pdf.Q_range)
    t = np.linspace(0.0, 1.0, CLAMP_SCAN_POINTS)
    # scan points of every cell, in ln x and ln Q^2; x = 1 (the zero row) is replaced by the PDF's largest x
    gx = np.exp(lx[:-1, None] + np.diff(lx)[:, None] * t[None, :])              # (nx-1, p)
    gq = np.exp(lq[:-1, None] + np.diff(lq)[:, None] * t[None, :])              # (nq-1, p)
    X = np.broadcast_to(gx[:, None, :, None], (len(gx), len(gq), len(t), len(t)))
    Q2 = np.broadcast_to(gq[None, :, None, :], X.shape)
    X = np.clip(X, x_lo, min(x_hi, 1.0 - 1e-9)).ravel()
    Q2 = np.clip(Q2, q2_lo, q2_hi).ravel()
    flag = np.zeros(X.size, dtype=bool)
    for name in flavours:
        pid = _QUARK_PIDS[name]
        xf = pdf.xfxQ2(pid, X, Q2)
        xdf = hel.xfxQ2(pid, np.clip(X, *hel.x_range), np.clip(Q2, *hel.q2_range))
        flag |= (xf <= 0) | (CLAMP_SCAN_MARGIN * np.abs(xdf) > xf)
    cells = flag.reshape(len(gx), len(gq), -1).any(axis=2)
    grown = cells.copy()                                 # neighbours too (a cell's edge is its neighbour's)
    grown[1:] |= cells[:-1]
    grown[:-1] |= cells[1:]
    grown[:, 1:] |= cells[:, :-1]
    grown[:, :-1] |= cells[:, 1:]
    return np.ascontiguousarray(grown.ravel(), dtype=np.uint8)


class CrossSection:
    """dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X in pb/GeV^4 (docs/physics.md §4-5), compiled kernels.

    Parameters
    ----------
    params : Params, optional
        Model parameters (default ``Params()``).
    pdf : PDF, optional
        Collinear PDFs (default: tabulated GRV94 LO).
    helicity_pdf : jpsi_fast.pdf.GRSV2000LO or jpsi_fast.pdf.LHAGrid, optional
        Helicity PDFs x Df for longitudinally polarized beams (docs/physics.md §11; default: GRSV 2000 LO, standard
        scenario, used only when polarized-beam states are asked for). An LHAPDF lhagrid1 member gives x Df per
        PDG id, or Dq+ = Dq + Dqbar under the ids 901-903 (then quarks and antiquarks must be summed together).
    helicity_positivity : bool
        Enforce |x Df| <= x f per flavour at each (x, mu_F) against ``pdf`` (default True; GRSV 2000 was fitted
        with GRV98 and exceeds GRV94 LO at large x, docs/physics.md §11).

    A value object: picklable (the PDF is re-read on unpickling), equal cross sections have equal :meth:`key`.
    """

    def __init__(self, params: Params | None = None, pdf: PDF | None = None, helicity_pdf=None,
                 helicity_positivity: bool = True):
        from .pdf import GRSV2000LO, LHAGrid
        self.params = params if params is not None else Params()
        if not isinstance(self.params, Params):
            raise TypeError(f"params must be a jpsi_fast.Params, got {type(self.params).__name__}")
        self.pdf = pdf if pdf is not None else default_pdf()
        if not isinstance(self.pdf, PDF):
            raise TypeError(f"pdf must be a jpsi_fast.pdf.PDF (GRV94LO, LHAGrid), got {type(self.pdf).__name__}")
        if helicity_pdf is not None and not isinstance(helicity_pdf, (GRSV2000LO, LHAGrid)):
            raise TypeError("helicity_pdf must be a jpsi_fast.pdf.GRSV2000LO or a polarized LHAPDF set member "
                            f"(jpsi_fast.pdf.LHAGrid / pdf.load(name)), got {type(helicity_pdf).__name__}")
        #: helicity PDFs (None: GRSV 2000 LO standard, built when first needed)
        self.helicity_pdf = helicity_pdf
        if not isinstance(helicity_positivity, (bool, np.bool_)):
            raise TypeError(f"helicity_positivity must be True or False, got {helicity_positivity!r}")
        self.helicity_positivity = bool(helicity_positivity)
        #: helicity_clamp_cells() per (PDF key, helicity PDF key, flavours): computed once, keyed by value
        self._clamp_cells = {}

    def __reduce__(self):
        return (CrossSection, (self.params, self.pdf, self.helicity_pdf, self.helicity_positivity))

    def key(self):
        """A value identifying the cross section: (Params, the PDF's key, the helicity PDF's key or None, the
        positivity switch)."""
        hel = None if self.helicity_pdf is None else self.helicity_pdf.key()
        return (self.params, self.pdf.key(), hel, self.helicity_positivity)

    def helicity(self):
        """The helicity PDFs used for polarized beams (the given ones or GRSV 2000 LO standard)."""
        from .pdf import GRSV2000LO
        return self.helicity_pdf if self.helicity_pdf is not None else GRSV2000LO()

    def helicity_clamp_cells(self) -> np.ndarray:
        """(n_cells,) uint8 flags of the GRSV 2000 helicity grid's cells [x_{j-1}, x_j] x [Q^2_{k-1}, Q^2_k] (cell
        index (j - 1) (n_Q2 - 1) + (k - 1); an LHAPDF helicity set is clamped at every point instead) where the per-flavour quark clamp |x Dq| <= x q (docs/physics.md §11.4) can act
        against this cross section's PDF: |x Dq| > x q / CLAMP_SCAN_MARGIN (or x q <= 0) for a summed flavour at
        any of CLAMP_SCAN_POINTS^2 points of the cell (its corners included), or of a neighbouring cell. The
        kernels evaluate the unpolarized quarks for the clamp only in flagged cells (elsewhere the ratio stays a
        factor CLAMP_SCAN_MARGIN below the bound); the gluon is clamped everywhere. Computed once per value of
        (PDF, helicity PDF, flavours)."""
        from .pdf import GRSV2000LO
        hel = self.helicity()
        if not isinstance(hel, GRSV2000LO):
            raise ValueError("helicity_clamp_cells() applies to the GRSV 2000 grids, not to an LHAPDF helicity set")
        key = (self.pdf.key(), hel.key(), self.params.flavours)
        if key not in self._clamp_cells:
            self._clamp_cells[key] = _clamp_cells(self.pdf, hel, self.params.flavours)
        return self._clamp_cells[key]

    def kernel_config(self, layout: Layout | None = None, derived: bool = False) -> "_kernels.KernelConfig":
        """The C parameter block writing the base components of ``layout`` (default all channels x states), or
        with ``derived`` every component."""
        layout = layout if layout is not None else Layout()
        members = None if layout.pdf_set is None else layout.pdf_set.lumi_core(self.charges())
        params = getattr(layout, "kernel_params", None) or self.params
        hel = cells = None
        plus = False
        if getattr(layout, "polarized", False):
            from .pdf import GRSV2000LO
            h = self.helicity()
            hel = h.core
            plus = _helicity_plus_only(h, self.params.flavours)
            if isinstance(h, GRSV2000LO) and self.helicity_positivity:
                cells = self.helicity_clamp_cells()
        return _kernels.KernelConfig(params, layout, derived, members, hel, self.helicity_positivity, cells, plus)

    def charges(self) -> np.ndarray:
        """(7,) squared quark charges summed in the FF channel, in the kernels' parton order (g first, 0)."""
        return np.array([0.0] + [_kernels.QUARK_CHARGE2[p] if p in self.params.flavours else 0.0
                                 for p in _kernels.PARTON_NAMES[1:]])

    @property
    def beam_polarization(self) -> tuple | None:
        """(lambda_e, S_N) of ``params.beams`` when they are polarized (the default of evaluate, integrate and
        histogram), else None."""
        beams = self.params.beams
        return None if beams is None else beams.polarization

    def layout(self, channels=None, states=STATES, variations=None, beam=None) -> Layout:
        """The component layout of these channels x states and, with ``variations`` (a
        :class:`jpsi_fast.Variations`), of every theory variation (docs/physics.md §10); ``beam`` = (lambda_e,
        S_N) beam polarizations (docs/physics.md §11)."""
        if variations is None or getattr(variations, "empty", False):
            return Layout(channels, states, beam=beam)
        if beam is not None and tuple(beam) != (0, 0):
            raise ValueError("theory variations with polarized beams are not supported yet")
        from .variations import Variations
        if not isinstance(variations, Variations):
            raise TypeError(f"variations must be a jpsi_fast.Variations, got {type(variations).__name__}")
        pset = variations.pdf_set
        if pset is not None and getattr(self.pdf, "fingerprint", None) != pset[0].fingerprint:
            import warnings
            warnings.warn(f"the PDF band of set {pset.name} is centred on the set's central value (member 0 or the "
                          f"replica mean), not on this CrossSection's PDF {self.pdf.name}; use "
                          "CrossSection(pdf=pdf_set[0]) for a consistent central value", UserWarning, stacklevel=3)
        return Layout(channels, states, variations.resolve(self.params), self.params, pset, cl=variations.cl)

    def integrand(self, domain, layout: Layout | None = None, variations=None, control_variate: bool = False):
        """The compiled integrand 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2) [pb per unit cube] over ``domain`` (a
        :class:`jpsi_fast.Domain`) for the components of ``layout`` (default every channel x state). Raises
        ValueError when the domain's cuts leave no phase space at this sqrt(s) or the domain leaves the PDF's
        range (at every factorization scale of the variations, for every PDF-set member). ``variations``: a
        :class:`jpsi_fast.Variations` (instead of ``layout``) to integrate every theory variation in the same
        pass. ``control_variate`` (a Domain with an acceptance; integrals only): the decay-angle control variate of
        :class:`jpsi_fast._xsec_integrand.LabXsecIntegrand`."""
        from ._xsec_integrand import XsecIntegrand
        if variations is not None:
            if layout is not None:
                raise ValueError("give layout or variations, not both")
            layout = self.layout(variations=variations)
        if getattr(domain, "acceptance", None) is not None:
            return self._lab_integrand(domain, layout, control_variate)
        layout = layout if layout is not None else Layout(beam=self.beam_polarization)
        domain.check(self.params)
        self._check_pdf_range(domain, layout)
        return XsecIntegrand(self, domain, layout)

    def _lab_integrand(self, domain, layout, control_variate=False):
        """The in-acceptance integrand (docs/physics.md §13): sigma_U per channel, decayed in the lab frame."""
        from ._xsec_integrand import LabXsecIntegrand
        if self.params.beams is None:
            raise ValueError("a Domain with an acceptance needs the lab frame: give Params(beams=jpsi_fast.Beams(...)) "
                             "or a preset such as Params(beams='18x275')")
        if self.beam_polarization is not None:
            raise ValueError("lab-frame decays (Domain.acceptance, events) need unpolarized beams: the off-diagonal "
                             "density-matrix elements are derived for unpolarized beams only (docs/physics.md §12); "
                             "set Beams(electron_polarization=0, proton_polarization=0)")
        channels = None if layout is None else layout.channels
        if layout is not None and (tuple(layout.states) != ("U",) or layout.n_variations > 1
                                   or layout.beam != (0.0, 0.0)):
            raise ValueError("in acceptance (Domain.acceptance) the integrand gives sigma_U per channel for unpolarized "
                             "beams (the decay distribution uses the full density matrix, docs/physics.md §12): use "
                             "states=('U',), no variations and no beam polarization")
        public = Layout(channels, ("U",))
        density = Layout(public.channels, ("U", "L", "Sp0", "Spm"))
        domain.check(self.params)
        self._check_pdf_range(domain, public)
        return LabXsecIntegrand(self, domain, public, density, domain.acceptance.lepton[1], bool(control_variate))

    def _check_pdf_range(self, domain, layout=None):
        (xa, xb), (qa, qb) = domain.effective_ranges(self.params)
        for pdf, xi_f in self._pdfs_and_scales(layout):
            if getattr(pdf, "extrapolate", None) == "nearest":
                continue
            (xlo, xhi), (qlo, qhi) = pdf.x_range, self._q_range(pdf, xi_f)
            if xa < xlo or xb > xhi:
                raise ValueError(f"Domain.x = {domain.x}: inside the cuts x reaches [{xa:.6g}, {xb:.6g}], beyond the "
                                 f"x range [{xlo:g}, {xhi:g}] of PDF {pdf.name} (narrow Domain.x or use "
                                 "extrapolate='nearest')")
            if qa < qlo or qb > qhi:
                raise ValueError(f"Domain.Q = {domain.Q} GeV: inside the cuts Q reaches [{qa:.6g}, {qb:.6g}] GeV, "
                                 f"beyond the Q range [{qlo:g}, {qhi:g}] GeV of PDF {pdf.name} at mu_F = "
                                 f"{xi_f * self.params.mu_f_factor:g} Q (narrow Domain.Q or use extrapolate='nearest')")

    def _pdfs_and_scales(self, layout):
        """(PDF, xi_F) pairs a layout evaluates: the own PDF at every xi_F, the set's members at xi_F = 1."""
        if layout is None:
            return [(self.pdf, 1.0)]
        out = [(self.pdf, xi) for xi in sorted({v.xi_f for v in layout.variations if v.member is None})]
        if layout.pdf_set is not None:
            out.append((layout.pdf_set[0], 1.0))                          # members share one range
        return out

    def _q_range(self, pdf=None, xi_f=1.0):
        """Range of Q [GeV] whose factorization scale mu_F = xi_F mu_f_factor Q lies in the PDF's Q range."""
        lo, hi = (pdf or self.pdf).Q_range
        f = xi_f * self.params.mu_f_factor
        return lo / f, hi / f

    def evaluate(self, x, z, Q, PT, channels=None, states=None, n_threads=None, variations=None, lambda_e=None,
                 S_N=None) -> Result:
        """dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] at Bjorken x, J/psi energy fraction z, Q [GeV], P_T [GeV].

        Inputs broadcast like NumPy (any real dtype / layout; converted once). ``channels``: names from
        :data:`CHANNELS` (default all); ``states``: from :data:`ALL_STATES` (default U, L, T; the density-matrix
        elements S00, Spp, Sp0, Spm of docs/physics.md §12 on request, for :meth:`Result.lambdas`; asking for Sp0
        or Spm adds the off-diagonal convolutions). Points with y = Q^2/(x s) > 1 are
        kinematically forbidden and give exactly 0 (docs/physics.md §1). ``n_threads``: None = OpenMP default,
        negative counts back from the core count; results do not depend on it. ``variations``: a
        :class:`jpsi_fast.Variations` -- every theory variation is evaluated in the same pass (docs/physics.md
        §10) and the result has :meth:`Result.band`.

        ``lambda_e``, ``S_N``: electron and proton beam polarizations in [-1, 1] (+-1: helicities; docs/physics.md
        §11): the states U, L, T, S00, Spp then hold F_UU + lambda_e S_N F_LL, and the default states add U_LL,
        L_LL, T_LL (the F_LL parts, for :meth:`Result.A_LL`; so the helicity PDFs' range applies whenever
        lambda_e or S_N is given) and, when a beam is polarized, V = sigma(+1) - sigma(-1), the J/psi vector
        polarization (theory only: J/psi -> l+ l- does not see it). Helicity PDFs: ``self.helicity()``.

        Raises ValueError naming the argument when a value is outside 0 < x < 1, 0 < z < 1, Q > 0, P_T >= 0
        (or NaN/inf) -- numerically: x, z >= 1e-9, 1e-3 <= Q <= 1e6 GeV, P_T <= 1e6 GeV (jpsi_fast.params), where
        every channel is finite -- or outside the PDF's range where y <= 1; TypeError for non-real input.
        """
        beam = None
        if lambda_e is not None or S_N is not None:
            beam = check_beam((0.0 if lambda_e is None else lambda_e, 0.0 if S_N is None else S_N))
        elif self.beam_polarization is not None:
            beam = self.beam_polarization
        if states is None:
            states = STATES + (() if beam is None else POLARIZED_DEFAULT_STATES
                               + (("V",) if beam != (0.0, 0.0) else ()))
        layout = self.layout(channels, states, variations, beam=beam)
        nthr = resolve_n_threads(n_threads)
        args = {n: as_float_array(n, v) for n, v in (("x", x), ("z", z), ("Q", Q), ("PT", PT))}
        try:
            bcast = np.broadcast_arrays(*args.values())
        except ValueError:
            raise ValueError(f"x, z, Q, PT cannot be broadcast together: shapes "
                             f"{[a.shape for a in args.values()]}") from None
        shape = bcast[0].shape
        for name, a in args.items():                # inputs smaller than the result (or an empty result) are
            if a.size < bcast[0].size or bcast[0].size == 0:     # checked here, full-size ones in the parallel loop
                lo, hi, lo_open, hi_open, unit = _ARG_RANGES[name]
                check_interval(name, a, lo, hi, lo_open=lo_open, hi_open=hi_open, unit=unit)
        flat = [np.ascontiguousarray(a).reshape(-1) for a in bcast]
        n = flat[0].size
        derived = layout.n_variations == 1            # with variations: base components, derived on demand
        values = np.empty((layout.n_components, n) if derived else (n, layout.n_base))
        cfg = self.kernel_config(layout, derived=derived)
        for start in range(0, n, EVALUATE_BLOCK):
            code, index = _kernels.evaluate_into(cfg, self.pdf.core, *flat, values, start,
                                                 min(n, start + EVALUATE_BLOCK), nthr, not derived)
            if code:
                self._raise_kinematic_error(code, index, flat, layout)
        if derived:
            return Result(values.reshape(layout.shape + shape), layout, inputs=tuple(bcast))
        return Result(None, layout, inputs=tuple(bcast), base=values.reshape(shape + (layout.n_base,)))

    def _raise_kinematic_error(self, code, index, flat, layout=None):
        if code == _kernels.NO_MEMORY:
            raise MemoryError("the kernels could not allocate their per-point scratch memory (a layout with very "
                              "many variations)")
        name, allowed = _kernels.kinematic_errors()[code]
        arr = flat[("x", "z", "Q", "PT").index(name)]
        where = f" (first invalid point at flat index {index})"
        if code in _kernels.HELICITY_RANGE:
            hel = self.helicity()
            f = self.params.mu_f_factor
            lo, hi = hel.x_range if name == "x" else (hel.Q_range[0] / f, hel.Q_range[1] / f)
            allowed = f"[{lo:g}, {hi:g}]{' GeV' if name == 'Q' else ''} of the helicity PDF {hel.name} where y <= 1"
        elif code >= 5:
            pairs = self._pdfs_and_scales(layout)
            xlo, xhi = max(p.x_range[0] for p, _ in pairs), min(p.x_range[1] for p, _ in pairs)
            qlo = max(self._q_range(p, xi)[0] for p, xi in pairs)
            qhi = min(self._q_range(p, xi)[1] for p, xi in pairs)
            lo, hi = (xlo, xhi) if code == 5 else (qlo, qhi)
            names = sorted({p.name for p, _ in pairs})
            scales = "" if len(pairs) == 1 else " at every factorization scale of the variations"
            allowed = (f"[{lo:g}, {hi:g}]{' GeV' if code == 6 else ''} of PDF {', '.join(names)}{scales} where "
                       "y <= 1 (or use extrapolate='nearest')")
        raise ValueError(f"{name} must be finite and in {allowed}; got {float(arr[index])!r}{where}")

    def __repr__(self):
        return f"<CrossSection sqrt_s={self.params.sqrt_s} GeV tmd_pdf={self.params.tmd_pdf} pdf={self.pdf.name}>"
