"""Cross sections dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X (docs/physics.md §4-5) and their result object."""
from __future__ import annotations

import numpy as np

from . import _kernels
from ._openmp_helpers import resolve_n_threads
from ._validate import as_float_array, check_interval
from .components import CHANNEL_LABELS, CHANNELS, STATES, Layout, channel_shares, dominant_channel
from .params import PT_MAX, Q_RANGE, X_MIN, Z_MIN, Params
from .pdf import PDF, default_pdf

__all__ = ["CHANNELS", "STATES", "CHANNEL_LABELS", "CrossSection", "Result"]

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
        """(n_channels, ...) values of one state, deriving U = L + T or T = U - L when needed."""
        v = self._central
        if state in self.states:
            return v[:, self._st(state)]
        have = set(self.states)
        if state == "U" and {"L", "T"} <= have:
            return v[:, self._st("L")] + v[:, self._st("T")]
        if state == "T" and {"U", "L"} <= have:
            return v[:, self._st("U")] - v[:, self._st("L")]
        raise KeyError(f"state {state!r} cannot be formed from {self.states}")

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

    def lambda_theta(self, channel=None):
        """Polar-anisotropy parameter lambda_theta = (sigma_T - 2 sigma_L)/(sigma_T + 2 sigma_L) (docs/physics.md
        §1) of the channel sum (or of one ``channel``); NaN where the cross section is 0 (y > 1)."""
        L = self._state_values("L")
        T = self._state_values("T")
        if channel is None:
            L, T = L.sum(axis=0), T.sum(axis=0)
        else:
            L, T = L[self._ch(channel)], T[self._ch(channel)]
        den = T + 2 * L
        return np.divide(T - 2 * L, den, out=np.full_like(den, np.nan), where=den > 0)

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
    """Component weights of the sum over ``channels`` of ``state`` of one variation; U = L + T and T = U - L are
    formed when the layout lacks the state itself."""
    have = layout.states
    if state in have:
        return layout.weights(channels, state, variation)
    if state == "U" and {"L", "T"} <= set(have):
        return layout.weights(channels, "L", variation) + layout.weights(channels, "T", variation)
    if state == "T" and {"U", "L"} <= set(have):
        return layout.weights(channels, "U", variation) - layout.weights(channels, "L", variation)
    raise ValueError(f"state {state!r} cannot be formed from the states {have} of this result")


class CrossSection:
    """dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X in pb/GeV^4 (docs/physics.md §4-5), compiled kernels.

    Parameters
    ----------
    params : Params, optional
        Model parameters (default ``Params()``).
    pdf : PDF, optional
        Collinear PDFs (default: tabulated GRV94 LO).

    A value object: picklable (the PDF is re-read on unpickling), equal cross sections have equal :meth:`key`.
    """

    def __init__(self, params: Params | None = None, pdf: PDF | None = None):
        self.params = params if params is not None else Params()
        if not isinstance(self.params, Params):
            raise TypeError(f"params must be a jpsi_fast.Params, got {type(self.params).__name__}")
        self.pdf = pdf if pdf is not None else default_pdf()
        if not isinstance(self.pdf, PDF):
            raise TypeError(f"pdf must be a jpsi_fast.pdf.PDF (GRV94LO, LHAGrid), got {type(self.pdf).__name__}")

    def __reduce__(self):
        return (CrossSection, (self.params, self.pdf))

    def key(self):
        """A value identifying the cross section: (Params, the PDF's key)."""
        return (self.params, self.pdf.key())

    def kernel_config(self, layout: Layout | None = None, derived: bool = False) -> "_kernels.KernelConfig":
        """The C parameter block writing the base components of ``layout`` (default all channels x states), or
        with ``derived`` every component."""
        layout = layout if layout is not None else Layout()
        members = None if layout.pdf_set is None else layout.pdf_set.lumi_core(self.charges())
        params = getattr(layout, "kernel_params", None) or self.params
        return _kernels.KernelConfig(params, layout, derived, members)

    def charges(self) -> np.ndarray:
        """(7,) squared quark charges summed in the FF channel, in the kernels' parton order (g first, 0)."""
        return np.array([0.0] + [_kernels.QUARK_CHARGE2[p] if p in self.params.flavours else 0.0
                                 for p in _kernels.PARTON_NAMES[1:]])

    def layout(self, channels=None, states=STATES, variations=None) -> Layout:
        """The component layout of these channels x states and, with ``variations`` (a
        :class:`jpsi_fast.Variations`), of every theory variation (docs/physics.md §10)."""
        if variations is None or getattr(variations, "empty", False):
            return Layout(channels, states)
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

    def integrand(self, domain, layout: Layout | None = None, variations=None):
        """The compiled integrand 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2) [pb per unit cube] over ``domain`` (a
        :class:`jpsi_fast.Domain`) for the components of ``layout`` (default every channel x state). Raises
        ValueError when the domain's cuts leave no phase space at this sqrt(s) or the domain leaves the PDF's
        range (at every factorization scale of the variations, for every PDF-set member). ``variations``: a
        :class:`jpsi_fast.Variations` (instead of ``layout``) to integrate every theory variation in the same
        pass."""
        from ._xsec_integrand import XsecIntegrand
        if variations is not None:
            if layout is not None:
                raise ValueError("give layout or variations, not both")
            layout = self.layout(variations=variations)
        layout = layout if layout is not None else Layout()
        domain.check(self.params)
        self._check_pdf_range(domain, layout)
        return XsecIntegrand(self, domain, layout)

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

    def evaluate(self, x, z, Q, PT, channels=None, states=STATES, n_threads=None, variations=None) -> Result:
        """dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] at Bjorken x, J/psi energy fraction z, Q [GeV], P_T [GeV].

        Inputs broadcast like NumPy (any real dtype / layout; converted once). ``channels``: names from
        :data:`CHANNELS` (default all); ``states``: from :data:`STATES`. Points with y = Q^2/(x s) > 1 are
        kinematically forbidden and give exactly 0 (docs/physics.md §1). ``n_threads``: None = OpenMP default,
        negative counts back from the core count; results do not depend on it. ``variations``: a
        :class:`jpsi_fast.Variations` -- every theory variation is evaluated in the same pass (docs/physics.md
        §10) and the result has :meth:`Result.band`.

        Raises ValueError naming the argument when a value is outside 0 < x < 1, 0 < z < 1, Q > 0, P_T >= 0
        (or NaN/inf) -- numerically: x, z >= 1e-9, 1e-3 <= Q <= 1e6 GeV, P_T <= 1e6 GeV (jpsi_fast.params), where
        every channel is finite -- or outside the PDF's range where y <= 1; TypeError for non-real input.
        """
        layout = self.layout(channels, states, variations)
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
        if code >= 5:
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
