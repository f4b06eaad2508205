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
``pgf_3pj_8``, ``pgf_3s1_1``. States (docs/physics.md §1): ``U`` summed over the J/psi helicities, ``L`` helicity
0, ``T`` helicities +-1 summed (= U - L).
"""
from __future__ import annotations

import numpy as np

__all__ = ["CHANNELS", "STATES", "KERNEL_ELEMENTS", "CHANNEL_LABELS", "Layout", "GenericLayout", "channel_shares",
           "dominant_channel"]

#: physics channels, in kernel order
CHANNELS = ("ff", "pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1")
#: J/psi polarisation states offered to users
STATES = ("U", "L", "T")
#: states the kernels compute directly (kernel element order)
KERNEL_ELEMENTS = ("U", "L")
#: every other state as a linear combination of kernel elements
DERIVED_STATES = {"T": {"U": 1.0, "L": -1.0}}
#: plot labels of the channels
CHANNEL_LABELS = {"ff": r"$q\to J/\psi$ (${}^3S_1^{[8]}$)", "pgf_1s0_8": r"PGF ${}^1S_0^{[8]}$",
                  "pgf_3pj_8": r"PGF ${}^3P_J^{[8]}$", "pgf_3s1_1": r"PGF ${}^3S_1^{[1]}$"}


def _names(value, allowed, what):
    """A tuple of distinct names from ``allowed`` (a single string allowed; None -> all)."""
    if value is None:
        return tuple(allowed)
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items:
        raise ValueError(f"{what} must name at least one of {allowed}")
    for item in items:
        if item not in allowed:
            raise ValueError(f"{what}: unknown {item!r}; allowed: {allowed}")
    if len(set(items)) != len(items):
        raise ValueError(f"{what} has duplicates: {items}")
    return items


def channel_shares(values, axis=0):
    """Each channel's share of the channel sum along ``axis`` (0 where the sum is 0, e.g. y > 1)."""
    v = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    tot = v.sum(axis=0)
    return np.moveaxis(np.divide(v, tot, out=np.zeros_like(v), where=tot > 0), 0, axis)


def dominant_channel(values, axis=0):
    """Index of the channel with the largest value along ``axis``; -1 where every channel is 0 (y > 1)."""
    v = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    return np.where(v.sum(axis=0) > 0, np.argmax(v, axis=0), -1)


class Layout:
    """Components = channels x states of the physics integrand (channel-major, state fastest).

    Parameters
    ----------
    channels : names from :data:`CHANNELS` (default all), in any order.
    states : names from :data:`STATES` (default all).

    The kernels write ``base`` = channels x (the kernel elements the states need); components are
    ``derive @ base``. Two layouts are equal when their channels and states are.
    """

    def __init__(self, channels=None, states=None):
        self.channels = _names(channels, CHANNELS, "channels")
        self.states = _names(states, STATES, "states")
        need = set()
        for s in self.states:
            need.update(DERIVED_STATES[s] if s in DERIVED_STATES else (s,))
        self.elements = tuple(e for e in KERNEL_ELEMENTS if e in need)
        self.base = tuple((c, e) for c in self.channels for e in self.elements)
        self.names = tuple(f"{c}:{s}" for c in self.channels for s in self.states)
        ne = len(self.elements)
        self.derive = np.zeros((len(self.names), len(self.base)))
        for ci in range(len(self.channels)):
            for si, s in enumerate(self.states):
                terms = DERIVED_STATES.get(s, {s: 1.0})
                for e, w in terms.items():
                    self.derive[ci * len(self.states) + si, ci * ne + self.elements.index(e)] = w
        #: base components whose covariance is always accumulated together (one block per channel)
        self.blocks = tuple(tuple(range(ci * ne, (ci + 1) * ne)) for ci in range(len(self.channels)))
        #: base components with a full covariance (default: all)
        self.tracked = tuple(range(len(self.base)))

    # ---------------------------------------------------------------- sizes and indices
    @property
    def n_components(self) -> int:
        return len(self.names)

    @property
    def n_base(self) -> int:
        return len(self.base)

    @property
    def shape(self) -> tuple:
        """(n_channels, n_states): the shape of the component axis when unflattened."""
        return (len(self.channels), len(self.states))

    def index(self, channel, state) -> int:
        """Flat component index of (channel, state)."""
        if channel not in self.channels:
            raise KeyError(f"channel {channel!r} not in this layout; have {self.channels}")
        if state not in self.states:
            raise KeyError(f"state {state!r} not in this layout; have {self.states}")
        return self.channels.index(channel) * len(self.states) + self.states.index(state)

    def weights(self, channels=None, state="U") -> np.ndarray:
        """(n_components,) 0/1 weights selecting ``state`` of the given channels (default all): their sum."""
        w = np.zeros(self.n_components)
        for c in (self.channels if channels is None else _names(channels, self.channels, "channels")):
            w[self.index(c, state)] = 1.0
        return w

    def base_weights(self, component_weights) -> np.ndarray:
        """Base-component weights of a linear combination of components: w_base = w @ derive."""
        return np.asarray(component_weights, dtype=float) @ self.derive

    def kernel_terms(self, derived: bool = False):
        """What the kernels write per point, as sparse linear combinations of their (channel, element) values
        indexed ``len(KERNEL_ELEMENTS) * channel + element``: (offsets (n_out + 1,), sources, coefficients).
        ``derived=False``: the base components (the integrand); True: every component (pointwise results)."""
        slot = [len(KERNEL_ELEMENTS) * CHANNELS.index(c) + KERNEL_ELEMENTS.index(e) for c, e in self.base]
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
        """Split the component axis of ``values`` into (channel, state)."""
        values = np.moveaxis(np.asarray(values), axis, 0)
        return values.reshape(self.shape + values.shape[1:])

    def __eq__(self, other):
        return isinstance(other, Layout) and (self.channels, self.states) == (other.channels, other.states)

    def __hash__(self):
        return hash((self.channels, self.states))

    def __reduce__(self):
        return (Layout, (self.channels, self.states))

    def __repr__(self):
        return f"Layout(channels={self.channels}, states={self.states})"


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
