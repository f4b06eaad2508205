"""Named LDME sets and the within-set LDME uncertainty (docs/physics.md §10.1).

Values in GeV^3, as the reference Params fields: ldme_3s1_1 = <O(3S1[1])>,
ldme_3s1_8 = <O(3S1[8])>, ldme_1s0_8 = <O(1S0[8])>, ldme_3p0_8_reduced = <O(3P0[8])>/m_c^2
(the package uses <O(3P0[8])> = (M/2)^2 * ldme_3p0_8_reduced).  docs/physics.md tabulates the octets in
units of 1e-2 GeV^3.
"""

import dataclasses
import warnings

import numpy as np

from ._params import DEFAULTS, get_param


def _set(s1, s8, s0, p0):
    return {"ldme_3s1_1": s1, "ldme_3s1_8": s8, "ldme_1s0_8": s0, "ldme_3p0_8_reduced": p0}


#: name -> LDME values [GeV^3] (docs/physics.md §10.1 table)
LDME_SETS = {
    "chao2012": _set(1.16, 0.30e-2, 8.9e-2, 0.56e-2),
    "chao2012_set2": _set(1.16, 1.4e-2, 0.0e-2, 2.4e-2),
    "chao2012_set3": _set(1.16, 0.0e-2, 11.0e-2, 0.0e-2),
    "bckl2014": _set(1.16, 1.1e-2, 9.9e-2, 0.49e-2),
    "sharma_vitev2013": _set(1.2, 0.13e-2, 1.8e-2, 1.8e-2),
    "pythia8": _set(1.16, 1.19e-2, 1.0e-2, 1.0e-2),
    "bk2011_a": _set(1.32, 0.224e-2, 4.97e-2, -0.716e-2),
    "bk2011_b": _set(1.32, 0.168e-2, 3.04e-2, -0.404e-2),
    "gwwz2013": _set(1.16, -0.46e-2, 9.7e-2, -0.95e-2),
}


def _unc(s8, s0, p0):
    return {"ldme_3s1_1": 0.0, "ldme_3s1_8": s8, "ldme_1s0_8": s0, "ldme_3p0_8_reduced": p0}


_NO_UNCERTAINTY = {"ldme_3s1_1": 0.0, "ldme_3s1_8": 0.0, "ldme_1s0_8": 0.0, "ldme_3p0_8_reduced": 0.0}

#: name -> the quoted +- of each LDME [GeV^3]; an unquoted one is 0
LDME_SET_UNCERTAINTIES = {
    "chao2012": _unc(0.12e-2, 0.98e-2, 0.21e-2),
    "chao2012_set2": dict(_NO_UNCERTAINTY),
    "chao2012_set3": dict(_NO_UNCERTAINTY),
    "bckl2014": _unc(1.0e-2, 2.2e-2, 0.44e-2),
    "sharma_vitev2013": _unc(0.13e-2, 0.87e-2, 0.87e-2),
    "pythia8": dict(_NO_UNCERTAINTY),
    "bk2011_a": _unc(0.059e-2, 0.44e-2, 0.089e-2),
    "bk2011_b": _unc(0.046e-2, 0.35e-2, 0.072e-2),
    "gwwz2013": _unc(0.13e-2, 0.9e-2, 0.25e-2),
}

#: channel -> the LDME it is proportional to
CHANNEL_LDME = {"ff": "ldme_3s1_8", "pgf_1s0_8": "ldme_1s0_8", "pgf_3pj_8": "ldme_3p0_8_reduced",
                "pgf_3s1_1": "ldme_3s1_1"}


def _check_name(name):
    if name not in LDME_SETS:
        raise ValueError(f"unknown LDME set {name!r}; expected one of {tuple(LDME_SETS)}")


def ldme_set_params(name, params=None, allow_negative_ldme=False):
    """A reference Params equal to ``params`` (None -> DEFAULTS; duck-typed objects are copied
    field by field) with the LDMEs of set ``name``.

    A set with a negative LDME raises ValueError naming the set and the element, unless
    allow_negative_ldme=True, which warns (UserWarning) and returns the set as published.
    """
    _check_name(name)
    values = LDME_SETS[name]
    negative = [k for k, v in values.items() if v < 0]
    if negative:
        msg = (f"LDME set {name!r} has negative elements {negative} (NLO fit): the corresponding LO "
               f"channels become negative")
        if not allow_negative_ldme:
            raise ValueError(msg + "; pass allow_negative_ldme=True to use it anyway")
        warnings.warn(msg, UserWarning, stacklevel=2)
    base = {f.name: get_param(params, f.name) for f in dataclasses.fields(DEFAULTS)}
    base.update(values)
    return dataclasses.replace(DEFAULTS, **base)


def ldme_set_half_width(values_per_channel, name):
    """Within-set LDME uncertainty delta sigma = sqrt(sum_n (c_n delta_n)^2) (docs/physics.md §10.1).

    values_per_channel: {channel: value or array} of the observable's contribution of each
    channel, computed WITH the LDMEs of set ``name`` (missing channels contribute nothing).
    The observable is linear in the LDMEs, so c_n = d sigma / d LDME_n = (channel n's value) /
    LDME_n; delta_n = LDME_SET_UNCERTAINTIES[name].  A channel whose LDME is 0 in the set while
    its quoted uncertainty is not cannot be handled (ValueError); an LDME with no quoted
    uncertainty contributes 0.  Returns an array (numpy broadcasting over the values).
    """
    _check_name(name)
    total = 0.0
    for channel, value in values_per_channel.items():
        if channel not in CHANNEL_LDME:
            raise ValueError(f"unknown channel {channel!r}; expected one of {tuple(CHANNEL_LDME)}")
        key = CHANNEL_LDME[channel]
        delta = LDME_SET_UNCERTAINTIES[name][key]
        if delta == 0.0:
            continue
        ldme = LDME_SETS[name][key]
        if ldme == 0.0:
            raise ValueError(f"set {name!r}: {key} is 0 but has uncertainty {delta}: the derivative "
                             f"cannot be taken from the channel value")
        c_n = np.asarray(value, dtype=float) / ldme
        total = total + (c_n * delta) ** 2
    return np.sqrt(np.asarray(total, dtype=float))[()]

