"""Cross sections dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X (SPEC sections 4-5) and their result object."""
from __future__ import annotations

import numpy as np

from . import _kernels
from ._openmp_helpers import resolve_n_threads
from ._validate import as_float_array, normalise_choice
from .params import Params
from .pdf import PDF, default_pdf

__all__ = ["CHANNELS", "STATES", "CrossSection", "Result"]

#: channel names: quark fragmentation (3S1[8], SPEC 4) and photon-gluon fusion 1S0[8], 3PJ[8], 3S1[1] (SPEC 5)
CHANNELS = ("ff", "pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1")
#: J/psi polarisation states: U summed over helicities, L helicity 0, T helicities +-1 (= U - L)
STATES = ("U", "L", "T")
CHANNEL_LABELS = {"ff": r"$q\to J/\psi$ (${}^3S_1^{[8]}$)", "pgf_1s0_8": r"PGF ${}^1S_0^{[8]}$",
                  "pgf_3pj_8": r"PGF ${}^3P_J^{[8]}$", "pgf_3s1_1": r"PGF ${}^3S_1^{[1]}$"}


class Result:
    """Cross sections per channel and polarisation state.

    ``values[c, s, ...]`` is dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4 for channel ``channels[c]`` and state
    ``states[s]`` at the broadcast shape of the inputs. Multiply by 4 Q P_T for dsigma/(dx dQ dz dP_T)
    (:meth:`per_dQ_dPT`).
    """

    def __init__(self, values, channels, states, inputs=None):
        self.values = values
        self.channels = tuple(channels)
        self.states = tuple(states)
        self.inputs = inputs

    @property
    def shape(self):
        return self.values.shape[2:]

    def __getitem__(self, key):
        """``r["ff", "U"]`` -> array; ``r["ff"]`` -> (n_states, ...) array."""
        if isinstance(key, tuple):
            ch, st = key
            return self.values[self._ch(ch), self._st(st)]
        return self.values[self._ch(key)]

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
        if state in self.states:
            return self.values[:, self._st(state)]
        have = set(self.states)
        if state == "U" and {"L", "T"} <= have:
            return self.values[:, self._st("L")] + self.values[:, self._st("T")]
        if state == "T" and {"U", "L"} <= have:
            return self.values[:, self._st("U")] - self.values[:, self._st("L")]
        raise KeyError(f"state {state!r} cannot be formed from {self.states}")

    def total(self, state="U"):
        """Sum over the result's channels for one state [pb/GeV^4]."""
        return self._state_values(state).sum(axis=0)

    def fractions(self, state="U"):
        """(n_channels, ...) share of each channel in the total of ``state`` (0 where the total is 0)."""
        v = self._state_values(state)
        tot = v.sum(axis=0)
        return np.divide(v, tot, out=np.zeros_like(v), where=tot > 0)

    def dominant(self, state="U"):
        """Index into :attr:`channels` of the channel with the largest share; -1 where every channel is 0
        (y > 1)."""
        v = self._state_values(state)
        return np.where(v.sum(axis=0) > 0, np.argmax(v, axis=0), -1)

    def dominant_names(self, state="U"):
        """Like :meth:`dominant` but channel names ("none" where every channel is 0)."""
        names = np.array(self.channels + ("none",))
        return names[self.dominant(state)]

    def lambda_theta(self, channel=None):
        """Polar-anisotropy parameter lambda_theta = (sigma_T - 2 sigma_L)/(sigma_T + 2 sigma_L) of the channel
        sum (or of one ``channel``); NaN where the cross section is 0 (y > 1)."""
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

    def __repr__(self):
        return f"<Result channels={self.channels} states={self.states} shape={self.shape} [pb/GeV^4]>"


class CrossSection:
    """dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X in pb/GeV^4 (SPEC sections 4-5), compiled kernels.

    Parameters
    ----------
    params : Params, optional
        Model parameters (default ``Params()``).
    pdf : PDF, optional
        Collinear PDFs (default: tabulated GRV94 LO).
    """

    def __init__(self, params: Params | None = None, pdf: PDF | None = None):
        self.params = params if params is not None else Params()
        if not isinstance(self.params, Params):
            raise TypeError(f"params must be a jpsi_fast.Params, got {type(self.params).__name__}")
        self.pdf = pdf if pdf is not None else default_pdf()
        if not isinstance(self.pdf, PDF):
            raise TypeError(f"pdf must be a jpsi_fast.pdf.PDF (GRV94LO, LHAGrid), got {type(self.pdf).__name__}")
        self._configs = {}

    def kernel_config(self, channels=CHANNELS) -> "_kernels.KernelConfig":
        """The C parameter block for a tuple of channel names (cached)."""
        key = tuple(channels)
        if key not in self._configs:
            self._configs[key] = _kernels.KernelConfig(self.params, [CHANNELS.index(c) for c in key])
        return self._configs[key]

    def evaluate(self, x, z, Q, PT, channels=None, states=STATES, n_threads=None) -> Result:
        """dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] at Bjorken x, J/psi energy fraction z, Q [GeV], P_T [GeV].

        Inputs broadcast like NumPy (any real dtype / layout; converted once). ``channels``: names from
        :data:`CHANNELS` (default all); ``states``: from :data:`STATES`. Points with y = Q^2/(x s) > 1 are
        kinematically forbidden and give exactly 0. ``n_threads``: None = OpenMP default, negative counts
        back from the core count; results do not depend on it.

        Raises ValueError naming the argument when a value is outside 0 < x < 1, 0 < z < 1, Q > 0, P_T >= 0
        (or NaN/inf), or outside a PDF grid's range.
        """
        channels = normalise_choice("channels", channels, CHANNELS, CHANNELS)
        states = normalise_choice("states", states, STATES, STATES)
        nthr = resolve_n_threads(n_threads)
        x, z, Q, PT = (as_float_array(n, v) for n, v in (("x", x), ("z", z), ("Q", Q), ("PT", PT)))
        xb, zb, Qb, Pb = np.broadcast_arrays(x, z, Q, PT)
        shape = xb.shape
        flat = [np.ascontiguousarray(a).reshape(-1) for a in (xb, zb, Qb, Pb)]
        out = np.empty((len(channels), len(states), flat[0].size))
        code, index = _kernels.evaluate_into(
            self.kernel_config(channels), self.pdf.core, *flat,
            np.array([CHANNELS.index(c) for c in channels], dtype=np.intc),
            np.array([STATES.index(s) for s in states], dtype=np.intc), out, nthr)
        if code:
            self._raise_kinematic_error(code, index, flat)
        return Result(out.reshape((len(channels), len(states)) + shape), channels, states, inputs=(xb, zb, Qb, Pb))

    def _raise_kinematic_error(self, code, index, flat):
        name, allowed = _kernels.KINEMATIC_ERRORS[code]
        arr = flat[("x", "z", "Q", "PT").index(name)]
        nbad = "" if code >= 5 else f" (first of the invalid points at flat index {index})"
        if code >= 5:
            lo, hi = (self.pdf.x_range if code == 5 else self.pdf.Q_range)
            allowed = f"[{lo}, {hi}]{' GeV' if code == 6 else ''} of PDF grid {self.pdf.name} (or use extrapolate='nearest')"
        raise ValueError(f"{name} must be finite and in {allowed}; got {float(arr[index])!r}{nbad}")

    def __repr__(self):
        return f"<CrossSection sqrt_s={self.params.sqrt_s} GeV tmd_pdf={self.params.tmd_pdf} pdf={self.pdf.name}>"
