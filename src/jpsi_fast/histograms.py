"""Histograms of the cross sections as :class:`hist.Hist` objects (scikit-hep ``hist``, weighted storage).

:meth:`jpsi_fast.Integrator.histogram` returns a :class:`Histogram`: a ``hist.Hist`` whose first axes are the
categories ``channel`` and ``state`` (J/psi state or density-matrix element; docs/physics.md §1, §12), then
``variation`` when theory variations were filled (docs/physics.md §10), then the kinematic axes -- any observable
of the integrand (x, z, Q, PT, y; in the lab frame also phi_h, cos_theta, phi and the lab quantities of
docs/physics.md §13), or for the (z, Q)-bin histograms of §7 an integer ``bin`` axis (the :class:`jpsi_fast.Bin`
boxes, ``h.bins``) and a ``PT`` axis. Each cell holds the cross section in the bin [pb] (value) and its Monte Carlo
variance [pb^2] (variance), as for any histogram of weighted events, so slicing, projecting, ``mplhep.histplot``
and ``uhi`` tools work unchanged; :attr:`Histogram.widths` turns them into differential cross sections.

The methods that need correlations between components (channel sums with errors, decay parameters, A_LL, theory
bands) read the Monte Carlo covariance of the base components kept per kinematic bin, so they work on the histogram
as filled (not on a slice or projection of it).
"""
from __future__ import annotations

import numpy as np
import hist

__all__ = ["Histogram", "CATEGORY_AXES"]

#: names of the category axes a Histogram may have before its kinematic axes
CATEGORY_AXES = ("channel", "state", "variation")


class Histogram(hist.Hist):
    """A ``hist.Hist`` of cross sections [pb per bin] with the Monte Carlo covariance of its components.

    Build it with :meth:`jpsi_fast.Integrator.histogram`. Beyond the ``hist`` API: :attr:`channels`,
    :attr:`states`, :attr:`kinematic_axes`, :attr:`widths`, :meth:`dsigma`, :meth:`total`, :meth:`band`,
    :meth:`lambdas`, :meth:`A_LL`, :meth:`plot`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not hasattr(self, "layout"):
            #: the component layout the histogram was filled with (jpsi_fast.components.Layout or GenericLayout)
            self.layout = None
            #: per kinematic bin the base components [pb], shape kinematic shape + (n_base,)
            self.base_values = None
            #: (n_pairs, 2) base-component pairs with accumulated covariance
            self.pairs = None
            #: their covariance per kinematic bin [pb^2], shape kinematic shape + (n_pairs,)
            self.pair_cov = None
            #: the (z, Q) boxes of a ``bin`` axis (tuple of jpsi_fast.Bin), else None
            self.bins = None
            #: integrand evaluations that filled it
            self.neval = 0
            #: (axis names, values) as filled: the covariance methods refuse a histogram that was changed since
            self.filled = None

    # ------------------------------------------------------------------ structure
    @property
    def channels(self) -> tuple:
        return tuple(self.axes["channel"])

    @property
    def states(self) -> tuple:
        return tuple(self.axes["state"])

    @property
    def variations(self) -> tuple:
        """Names of the theory variations (central first), () without a variation axis."""
        return tuple(self.axes["variation"]) if "variation" in self.axes.name else ()

    @property
    def kinematic_axes(self) -> tuple:
        """Names of the axes after the categories."""
        return tuple(n for n in self.axes.name if n not in CATEGORY_AXES)

    @property
    def kinematic_shape(self) -> tuple:
        return tuple(self.axes[n].size for n in self.kinematic_axes)

    @property
    def widths(self) -> np.ndarray:
        """Product of the widths of the continuous kinematic axes per kinematic bin (1 for integer/category
        axes): ``values / widths`` is the differential cross section, e.g. dsigma/dP_T [pb/GeV]."""
        w = np.ones(self.kinematic_shape)
        for d, n in enumerate(self.kinematic_axes):
            ax = self.axes[n]
            if ax.traits.continuous:
                shape = [1] * len(self.kinematic_shape)
                shape[d] = ax.size
                w = w * np.asarray(ax.widths).reshape(shape)
        return w

    @property
    def pt_edges(self) -> np.ndarray:
        """Edges of the ``PT`` axis [GeV]."""
        return np.asarray(self.axes["PT"].edges)

    def _check_filled(self):
        if (self.base_values is None or self.filled is None or tuple(self.axes.name) != self.filled[0]
                or not np.array_equal(self.values(), self.filled[1])):
            raise ValueError("this method needs the histogram as filled by Integrator.histogram (its component "
                             "covariance is kept per bin), not a slice, projection or arithmetic result of it")

    def _index(self, channel, state, variation=0):
        """Indices into the category axes (no variation index without a variation axis)."""
        if state not in self.states:
            raise ValueError(f"state {state!r} not in this histogram's states {self.states}")
        idx = [self.channels.index(channel), self.states.index(state)]
        if self.variations:
            idx.append(variation)
        return tuple(idx)

    def dsigma(self, channel, state="U", variation=0) -> tuple:
        """(values, errors) of one channel and state per kinematic bin, divided by :attr:`widths` (e.g.
        dsigma/dP_T in pb/GeV)."""
        if channel not in self.channels:
            raise ValueError(f"channel {channel!r} not in this histogram's channels {self.channels}")
        view = self.view(flow=False)[self._index(channel, state, variation)]
        return view["value"] / self.widths, np.sqrt(view["variance"]) / self.widths

    # ------------------------------------------------------------------ combinations with covariance
    def _combinations(self, W, sum_over=()):
        """(values, covariance) per kinematic bin of the linear combinations W (k, n_base) of the base components
        [pb]: kinematic shape + (k,) and + (k, k); summed over the kinematic axes ``sum_over`` (the small
        correlation between bins is neglected)."""
        from .integrate import _pair_matrix, _project_cov
        self._check_filled()
        C = _pair_matrix(self.pairs, np.moveaxis(self.pair_cov, -1, 0), self.base_values.shape[-1])
        values, cov = self.base_values @ W.T, _project_cov(W, C)
        axes = tuple(self.kinematic_axes.index(a) for a in _names(sum_over, self.kinematic_axes))
        if axes:
            values, cov = values.sum(axis=axes), cov.sum(axis=axes)
        return values, cov

    def total(self, state="U", differential=False) -> tuple:
        """(values, errors) per kinematic bin of the channel sum of ``state`` (central variation) [pb], with the
        channels' covariance; ``differential``: divided by :attr:`widths`."""
        from .components import Layout
        from .xsec import _state_weights
        self._check_filled()
        if isinstance(self.layout, Layout):
            w = self.layout.base_weights(_state_weights(self.layout, None, state, 0))
            value, var = self._combinations(w[None])
            value, var = value[..., 0], var[..., 0, 0]
        else:
            view = self.view(flow=False)[:, self.states.index(state)]
            value, var = view["value"].sum(axis=0), view["variance"].sum(axis=0)
        err = np.sqrt(np.maximum(var, 0.0))
        return (value / self.widths, err / self.widths) if differential else (value, err)

    def band(self, source="total", *, state="U", cl=None, differential=False) -> tuple:
        """(central, low, high) per kinematic bin of the channel sum of ``state`` for a theory-variation ``source``
        (docs/physics.md §10.4) [pb]; Monte Carlo errors: :meth:`total`."""
        from .variations import layout_band
        if not self.variations:
            raise ValueError("this histogram has no theory variations: fill it with variations=jpsi_fast.Variations()")
        self._check_filled()
        view = self.view(flow=False)[:, self._index(self.channels[0], state)[1]]
        per_var = view["value"].sum(axis=0)                      # (n_variations, kinematic...)
        out = layout_band(self.layout, per_var, source, cl)
        return tuple(o / self.widths for o in out) if differential else out

    def lambdas(self, channel=None, sum_over=()) -> tuple:
        """Dilepton decay parameters (docs/physics.md §12) per kinematic bin from the binned density-matrix
        elements of the channel sum (or ``channel``: a name or a sequence; matrices added, never lambdas
        averaged), errors propagated with the elements' covariance: (values, errors), dicts ``theta``, ``phi``,
        ``thetaphi``, ``tilde`` of arrays over the kinematic axes not in ``sum_over`` (e.g. ``sum_over="PT"``).
        Needs the states Sp0, Spm (``states=("U", "L", "Sp0", "Spm")``)."""
        from .components import Layout
        from .integrate import _density_base_weights
        from .xsec import decay_lambdas_with_errors
        if not isinstance(self.layout, Layout):
            raise ValueError("this histogram has no density-matrix elements: fill it with a cross section and states "
                             "including 'Sp0', 'Spm'")
        return decay_lambdas_with_errors(*self._combinations(_density_base_weights(self.layout, channel), sum_over))

    def A_LL(self, state="U", channel=None, sum_over=()) -> tuple:
        """Double-spin asymmetry F_LL / F_UU (docs/physics.md §11) of ``state`` (U, L or T) of the channel sum,
        ``channel`` or a sequence of channels per kinematic bin, errors from the Monte Carlo covariance: (values,
        errors). Needs the states ``state`` and ``state + "_LL"`` (``states=("U", "U_LL"), beam=...``)."""
        from .components import Layout
        from .integrate import ratio_with_error
        from .xsec import a_ll_weights
        if not isinstance(self.layout, Layout):
            raise ValueError("A_LL needs a cross-section histogram with the states X and X_LL")
        W = np.array([self.layout.base_weights(w) for w in a_ll_weights(self.layout, channel, state)])
        return ratio_with_error(*self._combinations(W, sum_over))

    def plot(self, path=None, states=("U", "L"), fig=None):
        """dsigma/d(axis) per channel and state: one panel per (z, Q) bin for a ``bin`` x ``PT`` histogram (see
        :func:`jpsi_fast.plotting.plot_histogram`); returns the figure, saved to ``path`` when given."""
        from .plotting import plot_histogram
        return plot_histogram(self, path=path, states=states, fig=fig)


def _names(value, allowed):
    items = () if value is None else ((value,) if isinstance(value, str) else tuple(value))
    bad = [v for v in items if v not in allowed]
    if bad:
        raise ValueError(f"sum_over: {bad} are not kinematic axes of this histogram {allowed}")
    return items


def dense_axis(spec, observable_names):
    """A hist axis (Regular or Variable, no flow bins needed) from ``spec``: a ``hist.axis.Regular`` /
    ``hist.axis.Variable`` named after an observable, or a (name, edges) pair; ValueError naming ``axes``
    otherwise."""
    if isinstance(spec, (hist.axis.Regular, hist.axis.Variable)):
        ax = spec
    elif isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        edges = np.asarray(spec[1], dtype=float)
        if edges.ndim != 1 or len(edges) < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise ValueError(f"axes: the edges of {spec[0]!r} must be >= 2 finite increasing numbers")
        ax = hist.axis.Variable(edges, name=spec[0], label=spec[0], underflow=False, overflow=False)
    else:
        raise ValueError(f"axes: each axis is a hist.axis.Regular / Variable named after an observable, or a "
                         f"(name, edges) pair; got {spec!r}")
    if ax.name not in observable_names:
        raise ValueError(f"axes: {ax.name!r} is not an observable of this integrand {observable_names}")
    if not np.all(np.isfinite(ax.edges)):
        raise ValueError(f"axes: the edges of {ax.name!r} must be finite")
    return ax
