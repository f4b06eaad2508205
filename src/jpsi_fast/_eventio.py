"""Event-file writers: HepMC3 ASCII (plain, .gz, .bz2, .xz), Les Houches Event files (plain, .gz) and Parquet.

Batches of decayed events (:class:`EventBatch`, NumPy arrays) are streamed to a file with bounded memory::

    run = RunInfo(sigma_pb=12.3, sigma_error_pb=0.1, channel_names=CHANNELS, n_events=10**6)
    with open_writer("events.hepmc3.gz", "auto", run) as w:
        for batch in batches:
            w.write(batch)

Every writer writes to a hidden temporary file in the destination directory (``.<name>.<random>.tmp``) and renames it
to ``path`` only when the ``with`` block ends without an exception (or :meth:`EventWriter.close` is called); on any
exception (or :meth:`EventWriter.discard`) the temporary files are removed and no file named ``path`` appears (an
existing file of that name is left untouched).

Event record conventions
------------------------
Particles (``PARTICLES``, in this order in both records; four-momenta in the lab frame, GeV):

============  ===========  ==========  =============================  =======================================
name          PDG id       HepMC3 id   HepMC3 status                  LHE status (mothers)
============  ===========  ==========  =============================  =======================================
beam_e        11           1           4 (beam)                       -1 incoming (0 0)
beam_p        2212         2           4 (beam)                       -1 incoming (0 0)
e_out         11           3           1 (final state)                1 (1 2)
gamma         22           4           13 (the space-like photon)     -2 space-like propagator (1 1)
jpsi          443          5           2 (decayed)                    2 decayed resonance (1 2)
lep_plus      -lepton_pdg  6           1                              1 (5 5: the J/psi)
lep_minus     +lepton_pdg  7           1                              1 (5 5)
X             90           8           11 (documentation, untracked)  1 (1 2)
============  ===========  ==========  =============================  =======================================

``lepton_pdg`` is 13 (mu) or 11 (e): l- has +lepton_pdg, l+ has -lepton_pdg. ``X`` is the unsimulated hadronic
remainder (four-momentum balance only); PDG id 90 is reserved for generator-internal pseudo-particles, so the records
are not meant to be showered or hadronised as they are.  The mass written with each particle is the invariant mass of
its four-vector, signed: ``m = sign(m^2) sqrt(|m^2|)`` (the space-like photon has ``m = -Q``).

Numbers are written with 17 significant digits, correctly rounded (``%+.16e``): every float64 reads back exactly.
Fields are fixed width within a block of events (sign always written, ``+1.8000000000000000e+01``), which lets the
writers format whole blocks with NumPy instead of one event at a time.

HepMC3 (``hepmc3``, ``hepmc3.gz``, ``hepmc3.bz2``, ``hepmc3.xz``; the Asciiv3 format, read back with ``pyhepmc.open``
or any HepMC3 >= 3.0 reader):

* units GEV and MM; three vertices, all at the origin (the J/psi decays at its production point):
  v1 (id -1): beam_e -> e_out + gamma;  v2 (id -2): gamma + beam_p -> jpsi + X;
  v3 (id -3): jpsi -> lep_plus + lep_minus.
* run info: tool ``T <generator name>|<version>|...``; weight names ``"default"`` then the run's variation names;
  attributes ``channel_names`` (comma separated), ``lepton_pdg``, ``beam_energies`` (comma separated, GeV),
  ``sigma_pb``, ``sigma_error_pb``, ``n_events``, ``unweighted`` (0/1) and the run's own ``attributes`` (strings as
  they are, anything else as JSON).
* each event: ``event_number``; its weights list in that order (pb); ``GenCrossSection`` = (sigma_pb,
  sigma_error_pb, n_events, n_events) [pb] (one value pair: HepMC3 readers apply it to every weight); the event
  attribute ``channel`` = the channel index into ``channel_names`` (an integer string, zero-padded to a common width
  when there are more than ten channels).

LHE (``lhe``, ``lhe.gz``; version 3.0, read back with ``pylhe.LHEFile.fromfile``):

* ``<header>``: ``<initrwgt>`` listing the variation names (``<weight id="name">name</weight>``) and
  ``<jpsi_fast_run>`` holding the run info as JSON.
* ``<init>``: beams (11, 2212) with their energies, PDF groups/sets 0, IDWTUP = 3 for an unweighted run and -4 for a
  weighted one; one process per channel, ``LPRUP`` = channel index + 1, ``XSECUP``/``XERRUP`` [pb] = sigma_pb and
  sigma_error_pb shared out in proportion to the channel's sum of event weights in the file, ``XMAXUP`` = the largest
  |weight| of the channel [pb].  The ``<init>`` block is therefore written when the file is closed: the events go to
  a second temporary file that is appended behind the header (an in-kernel copy).
* each event: ``NUP`` = 8, ``IDPRUP`` = channel index + 1, ``XWGTUP`` = the event weight [pb], ``SCALUP`` = Q of the
  virtual photon [GeV], ``AQEDUP`` = ``AQCDUP`` = -1 (not provided); colour lines 0, ``VTIMUP`` 0, ``SPINUP`` 9;
  the variation weights as ``<rwgt><wgt id='name'>value</wgt>...</rwgt>`` [pb].
* The event records are formatted with NumPy (pylhe 2.1 builds one dataclass per particle and writes the ``<wgt>``
  values with 5 significant digits); pylhe reads them back.

Parquet (``parquet``, pyarrow; one row per event, one row group per ~64k events, zstd compression):

* columns ``event_number`` (int64), ``channel`` (int16, index into ``channel_names``), ``weight`` [pb], one
  ``weight_<name>`` [pb] per variation, then ``<particle>_E``, ``_px``, ``_py``, ``_pz`` [GeV] for each name in
  ``PARTICLES``;
* schema metadata: ``jpsi_fast.run_info`` (JSON: generator, beams, energies, lepton, cross section, channel and
  variation names, number of events, attributes, particles and their PDG ids), ``jpsi_fast.units`` (JSON: GeV, pb),
  ``jpsi_fast.channel_names`` (JSON list); the ``channel`` field carries ``channel_names`` too.

Compression: gzip level 1 (independent gzip members per block of events, compressed by background threads: a
multi-member gzip file, as bgzip writes; gunzip, Python's gzip and zlib's gzread read it whole), bzip2 level 9 and
xz preset 1 (one stream, compressed by one background thread).  These codecs, not the formatting, bound the
throughput of compressed files.

HepMC3 events are written without pyhepmc: building them with ``GenEvent.from_hepevt`` and ``WriterAscii`` costs
~30-50 us per event in pyhepmc 2.16 (~2e4 events/s; WriterAscii.write_event alone 20-35 us), the NumPy
formatting ~3-4 us.  Reading the files back needs
pyhepmc / pylhe (``pip install "jpsi_fast[hep]"``); Parquet needs pyarrow (``pip install "jpsi_fast[data]"``).
"""
from __future__ import annotations

import json
import math
import os
import re
import uuid
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping

import numpy as np

__all__ = ["PARTICLES", "FORMATS", "PDG_X", "EventBatch", "RunInfo", "EventWriter", "open_writer", "infer_format"]

#: particle names of an event, in the order of the HepMC3 and LHE records
PARTICLES = ("beam_e", "beam_p", "e_out", "gamma", "jpsi", "lep_plus", "lep_minus", "X")
#: the formats :func:`open_writer` writes
FORMATS = ("hepmc3", "hepmc3.gz", "hepmc3.bz2", "hepmc3.xz", "lhe", "lhe.gz", "parquet")
#: PDG id of the hadronic remainder X (reserved for generator-internal pseudo-particles)
PDG_X = 90
#: approximate file size per event [bytes] (decayed J/psi events without variation weights; benchmarks/results/
#: events.md), for size warnings
BYTES_PER_EVENT = {"hepmc3": 1220, "hepmc3.gz": 340, "hepmc3.bz2": 300, "hepmc3.xz": 300, "lhe": 1180,
                   "lhe.gz": 345, "parquet": 185}

_DEFAULT_CHANNELS = ("ff", "pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1")   # components.CHANNELS (checked in the tests)
_GENERATOR_DESCRIPTION = "J/psi production in SIDIS, e p -> e J/psi X, J/psi -> l+ l-"
#: events formatted at a time (bounds the memory: ~1.3 kB of text and ~1 kB of temporaries per event)
_BLOCK = 8192


class _ChannelSums:
    """Per-channel sums of event weights, added up in fixed blocks of _BLOCK consecutive events (counted from the
    first event), so the totals -- and the LHE header -- do not depend on how the events were batched."""

    def __init__(self, n_channels):
        self._total = np.zeros(n_channels)
        self._channel = np.empty(0, dtype=np.int64)
        self._weight = np.empty(0)

    def add(self, channel, weight):
        self._channel = np.concatenate([self._channel, np.asarray(channel, dtype=np.int64)])
        self._weight = np.concatenate([self._weight, np.asarray(weight, dtype=float)])
        full = len(self._weight) // _BLOCK * _BLOCK
        for a in range(0, full, _BLOCK):
            self._add_block(self._channel[a:a + _BLOCK], self._weight[a:a + _BLOCK])
        self._channel, self._weight = self._channel[full:], self._weight[full:]

    def _add_block(self, channel, weight):
        self._total += np.bincount(channel, weights=weight, minlength=len(self._total))

    def totals(self) -> np.ndarray:
        """The sums so far (the incomplete last block included)."""
        out = self._total.copy()
        if len(self._weight):
            out += np.bincount(self._channel, weights=self._weight, minlength=len(out))
        return out
#: rows per Parquet row group
_ROW_GROUP = 65536
_GZIP_LEVEL = 1
_BZ2_LEVEL = 9
_XZ_PRESET = 1
#: variation names: printable, no white space (HepMC3 weight-name separator), no backslash (HepMC3 escape);
#: channel names: no comma either (the HepMC3 attribute lists them comma separated)
_VARIATION_RE = re.compile(r"^[^\s\\]+$")
_CHANNEL_RE = re.compile(r"^[^\s\\,]+$")
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")


def _require(module, extra):
    """Import an optional dependency or raise an ImportError that says how to install it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{module} is needed for this event format: pip install \"jpsi_fast[{extra}]\" "
                          f"(or pip install {module.split('.')[0]})") from exc


# ---------------------------------------------------------------------------------------------------------------
# containers
# ---------------------------------------------------------------------------------------------------------------

def _finite_array(value, name, shape_tail, n=None):
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an array of numbers ({exc})") from None
    if a.ndim != 1 + len(shape_tail) or tuple(a.shape[1:]) != tuple(shape_tail):
        want = "(n" + "".join(f", {k}" for k in shape_tail) + ")"
        raise ValueError(f"{name}: expected shape {want}, got {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{name}: has {a.shape[0]} events, expected {n} (the length of the other arrays)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: contains non-finite values")
    return np.ascontiguousarray(a)


class EventBatch:
    """A batch of decayed events (a plain container; the arrays are checked and converted to float64 / int64).

    p4[name]          : (n, 4) float64 [E, px, py, pz] in GeV in the lab frame, for every name in ``PARTICLES``
    channel           : (n,) int, index into the run's channel names
    weight            : (n,) float64, event weight [pb]
    variation_weights : None or (n, n_var) float64 [pb], named by the run's variation names
    event_number0     : number of the first event of the batch (events are numbered consecutively)
    """

    __slots__ = ("p4", "channel", "weight", "variation_weights", "event_number0", "n")

    def __init__(self, p4: dict, channel: np.ndarray, weight: np.ndarray, variation_weights=None, event_number0=0):
        if not isinstance(p4, Mapping):
            raise ValueError(f"p4: expected a mapping of particle name -> (n, 4) array, got {type(p4).__name__}")
        missing = [k for k in PARTICLES if k not in p4]
        extra = [k for k in p4 if k not in PARTICLES]
        if missing or extra:
            raise ValueError(f"p4: needs exactly the keys {PARTICLES}; missing {missing}, unknown {extra}")
        n = None
        conv = {}
        for k in PARTICLES:
            conv[k] = _finite_array(p4[k], f"p4[{k!r}]", (4,), n)
            n = conv[k].shape[0]
        self.p4 = conv
        self.n = n
        self.weight = _finite_array(weight, "weight", (), n)
        ch = np.asarray(channel)
        if ch.ndim != 1 or ch.shape[0] != n:
            raise ValueError(f"channel: expected shape ({n},), got {ch.shape}")
        if n and ch.dtype.kind not in "iu":
            raise ValueError(f"channel: expected integer channel indices, got dtype {ch.dtype}")
        ch = ch.astype(np.int64)
        if n and ch.min() < 0:
            raise ValueError("channel: negative channel index")
        self.channel = ch
        if variation_weights is None:
            self.variation_weights = None
        else:
            vw = np.asarray(variation_weights)
            if vw.ndim != 2:
                raise ValueError(f"variation_weights: expected shape (n, n_var), got {np.shape(vw)}")
            self.variation_weights = _finite_array(vw, "variation_weights", (vw.shape[1],), n)
        if isinstance(event_number0, (bool, np.bool_)) or not isinstance(event_number0, (int, np.integer)) \
                or event_number0 < 0:
            raise ValueError(f"event_number0: expected an integer >= 0, got {event_number0!r}")
        self.event_number0 = int(event_number0)

    def __len__(self):
        return self.n

    def __repr__(self):
        nv = 0 if self.variation_weights is None else self.variation_weights.shape[1]
        return f"EventBatch(n={self.n}, n_var={nv}, event_number0={self.event_number0})"


def _check_names(names, arg, allow_empty, pattern):
    if isinstance(names, str):
        raise ValueError(f"{arg}: expected a sequence of names, got a string")
    try:
        names = tuple(names)
    except TypeError:
        raise ValueError(f"{arg}: expected a sequence of names") from None
    if not names and not allow_empty:
        raise ValueError(f"{arg}: needs at least one name")
    for s in names:
        if not isinstance(s, str) or not s.isprintable() or not pattern.match(s):
            what = "no white space, backslash or comma" if pattern is _CHANNEL_RE else "no white space or backslash"
            raise ValueError(f"{arg}: invalid name {s!r} (printable, non-empty, {what})")
    if len(set(names)) != len(names):
        raise ValueError(f"{arg}: duplicate names in {names}")
    return names


def _finite(value, arg, minimum=None, strict=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{arg}: expected a number, got {value!r}") from None
    if not math.isfinite(v) or (minimum is not None and (v <= minimum if strict else v < minimum)):
        raise ValueError(f"{arg}: expected a finite number{'' if minimum is None else f' >= {minimum}'}, got {value!r}")
    return v


def _pair(value, arg, what):
    """``value`` as a tuple of two items; ValueError naming ``arg`` otherwise."""
    try:
        items = tuple(value)
    except TypeError:
        raise ValueError(f"{arg}: expected {what}, got {value!r}") from None
    if len(items) != 2:
        raise ValueError(f"{arg}: expected {what}, got {value!r}")
    return items


def _integer(value, arg):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{arg}: expected an integer, got {value!r}")
    return int(value)


class RunInfo:
    """What the writers record about the run: beams, lepton, cross section [pb], channel and variation names.

    Variation names (the weights ``weight_<name>``, HepMC3 weight names, LHE ``<wgt id>``) are printable, without
    white space or backslash, and not "default" (e.g. ``scale:0.5,2``, ``pdf:3``); channel names also without commas.
    ``attributes``: JSON-serialisable values under keys ``[A-Za-z_][A-Za-z0-9_.:-]*``."""

    def __init__(self, beams_pdg=(11, 2212), beam_energies=(18.0, 275.0), lepton_pdg=13, sigma_pb=0.0,
                 sigma_error_pb=0.0, channel_names=_DEFAULT_CHANNELS, variation_names=(), n_events=0,
                 unweighted=True, generator=("jpsi_fast", "0.1.0"), attributes: dict = {}):
        self.beams_pdg = tuple(_integer(b, "beams_pdg") for b in _pair(beams_pdg, "beams_pdg", "two PDG ids"))
        self.beam_energies = tuple(_finite(e, "beam_energies", 0.0, strict=True)
                                   for e in _pair(beam_energies, "beam_energies", "two energies [GeV]"))
        lep = _integer(lepton_pdg, "lepton_pdg")
        if lep not in (11, 13):
            raise ValueError(f"lepton_pdg: expected 11 (e) or 13 (mu), got {lepton_pdg!r}")
        self.lepton_pdg = lep
        self.sigma_pb = _finite(sigma_pb, "sigma_pb")
        self.sigma_error_pb = _finite(sigma_error_pb, "sigma_error_pb", 0.0)
        self.channel_names = _check_names(channel_names, "channel_names", False, _CHANNEL_RE)
        self.variation_names = _check_names(variation_names, "variation_names", True, _VARIATION_RE)
        if "default" in self.variation_names:
            raise ValueError("variation_names: 'default' is the name of the nominal weight")
        self.n_events = _integer(n_events, "n_events")
        if self.n_events < 0:
            raise ValueError(f"n_events: expected an integer >= 0, got {n_events!r}")
        if not isinstance(unweighted, (bool, np.bool_)):
            raise ValueError(f"unweighted: expected True or False, got {unweighted!r}")
        self.unweighted = bool(unweighted)
        try:
            gname, gversion = generator
        except (TypeError, ValueError):
            raise ValueError(f"generator: expected (name, version), got {generator!r}") from None
        for g in (gname, gversion):
            if not isinstance(g, str) or not g or any(c in g for c in "\n\r|<>&\"'"):
                raise ValueError(f"generator: invalid name or version {g!r}")
        self.generator = (gname, gversion)
        if not isinstance(attributes, Mapping):
            raise ValueError(f"attributes: expected a dict, got {type(attributes).__name__}")
        attrs = {}
        for k, v in attributes.items():
            if not isinstance(k, str) or not _KEY_RE.match(k) or k in _RESERVED_ATTRIBUTES:
                raise ValueError(f"attributes: invalid or reserved key {k!r}")
            try:
                json.dumps(v, allow_nan=False)
            except (TypeError, ValueError):
                raise ValueError(f"attributes: value of {k!r} is not JSON serialisable: {v!r}") from None
            attrs[k] = v
        self.attributes = attrs

    def pdg_ids(self):
        """PDG id of each particle name."""
        return {"beam_e": self.beams_pdg[0], "beam_p": self.beams_pdg[1], "e_out": 11, "gamma": 22, "jpsi": 443,
                "lep_plus": -self.lepton_pdg, "lep_minus": self.lepton_pdg, "X": PDG_X}

    def to_dict(self):
        return {"generator": {"name": self.generator[0], "version": self.generator[1]},
                "beams_pdg": list(self.beams_pdg), "beam_energies_gev": list(self.beam_energies),
                "lepton_pdg": self.lepton_pdg, "sigma_pb": self.sigma_pb, "sigma_error_pb": self.sigma_error_pb,
                "channel_names": list(self.channel_names), "variation_names": list(self.variation_names),
                "n_events": self.n_events, "unweighted": self.unweighted, "attributes": dict(self.attributes),
                "particles": list(PARTICLES), "pdg_ids": self.pdg_ids()}

    def to_json(self):
        return json.dumps(self.to_dict(), sort_keys=True)

    def __repr__(self):
        return (f"RunInfo(sigma_pb={self.sigma_pb!r}, channel_names={self.channel_names!r}, "
                f"variation_names={self.variation_names!r}, n_events={self.n_events})")


_RESERVED_ATTRIBUTES = frozenset({"channel_names", "lepton_pdg", "beam_energies", "sigma_pb", "sigma_error_pb",
                                  "n_events", "unweighted", "channel"})


# ---------------------------------------------------------------------------------------------------------------
# vectorised number formatting
# ---------------------------------------------------------------------------------------------------------------

_P10 = np.array([float(10 ** k) for k in range(23)])        # exact powers of ten
_SPLIT = 134217729.0                                         # 2^27 + 1 (Dekker's split)
_E16, _E17 = 10 ** 16, 10 ** 17
_FW = 24            # one float field: "+d.dddddddddddddddde+XX" and a separating space (3-digit exponents: 25)


def _u32(rows):
    a = np.ascontiguousarray(np.asarray(rows, dtype=np.uint8).reshape(-1, 4))
    return a.view(np.uint32).reshape(-1)


def _tables():
    i = np.arange(10000)
    d4 = np.stack([i // 1000, i // 100 % 10, i // 10 % 10, i % 10], 1) + 48
    i = np.arange(1000)
    d3e = np.stack([i // 100 + 48, i // 10 % 10 + 48, i % 10 + 48, np.full(1000, ord("e"))], 1)
    g = np.arange(200)                                      # sign * 100 + two leading digits
    w0 = np.stack([np.where(g >= 100, ord("-"), ord("+")), g % 100 // 10 + 48, np.full(200, ord(".")),
                   g % 10 + 48], 1)
    e = np.arange(-99, 100)
    ex = np.stack([np.where(e < 0, ord("-"), ord("+")), abs(e) // 10 + 48, abs(e) % 10 + 48, np.full(199, 32)], 1)
    return _u32(d4), _u32(d3e), _u32(w0), _u32(ex)


_T4, _T3E, _TW0, _TEXP = _tables()


def _format_floats(x):
    """Format float64 values as fixed-width text fields: ``(m, w)`` uint8, each ``%+.16e`` (17 significant digits,
    correctly rounded, so every value reads back exactly) and a trailing space; w = 24, or 25 when some exponent
    needs three digits.

    Values with 1e-28 <= |x| < 1e17 (and zeros) are formatted with integer arithmetic, in cache-sized blocks:
    N = round(|x| 10^(16-e)) with 10^(16-e) = 10^a 10^b, a, b <= 22 exact doubles, and the products split
    error-free (Dekker); the others (rare) with Python's ``%+.16e``.
    """
    x = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    m = x.size
    out = np.empty((m, _FW), np.uint8)
    o32 = out.view(np.uint32)
    slow = [_format_block(x[a:a + _SUB], o32[a:a + _SUB]) + a for a in range(0, m, _SUB)]
    slow = np.concatenate(slow) if slow else np.zeros(0, np.int64)
    if slow.size == 0:
        return out
    texts = ["%+.16e" % v for v in x[slow].tolist()]
    wide = any(len(s) > 23 for s in texts)
    if wide:
        out = _widen(out)
    for i, s in zip(slow.tolist(), texts):
        mant, ex = s.split("e")
        out[i] = np.frombuffer(f"{mant}e{int(ex):+0{4 if wide else 3}d} ".encode(), np.uint8)
    return out


_SUB = 8192
_P10H = _SPLIT * _P10 - (_SPLIT * _P10 - _P10)              # Dekker halves of the powers of ten
_P10L = _P10 - _P10H


def _two_product_error(a, p, sh, sl):
    """err with a * s = p + err exactly, p = fl(a * s), s = sh + sl split (Dekker; no FMA in NumPy)."""
    t = a * _SPLIT
    ah = t - a
    np.subtract(t, ah, out=ah)
    al = a - ah
    err = ah * sh
    err -= p
    ah *= sl
    err += ah
    sh = sh * al
    err += sh
    al *= sl
    err += al
    return err


def _scaled_integer(ax, k):
    """round(ax 10^k) as int64 for 1e16 <= ax 10^k < ~1e17, k in [0, 44]: 10^k = 10^ka 10^kb (ka, kb <= 22, exact
    doubles), each product split error-free; the low part of the second one, err * 10^kb, is rounded (relative
    1e-16: only an exact tie could round the other way).  Out-of-range k or products give values outside
    [1e16, 1e17), which send the element to the slow path."""
    ka = np.minimum(k, 22)
    p = ax * _P10[ka]
    err = _two_product_error(ax, p, _P10H[ka], _P10L[ka])
    small = np.flatnonzero(k > 22)
    if small.size:
        kb = k[small] - 22
        p1 = p[small]
        p2 = p1 * _P10[kb]
        e2 = _two_product_error(p1, p2, _P10H[kb], _P10L[kb])
        e2 += err[small] * _P10[kb]
        p[small] = p2
        err[small] = e2
    big = p >= 9e18
    p[big] = 0.0                                            # not representable: rejected by the range check
    n = p.astype(np.int64)
    n += np.rint(err, out=err).astype(np.int64)             # p >= 1e16 > 2^53 is an integer
    return n


def _format_block(x, o32):
    """_format_floats on one block: fills o32 ((m, 6) uint32 view of the fields); returns the indices of the values
    left to the slow path."""
    bits = x.view(np.int64)
    # log2|x| >= e + f for |x| = 2^e (1 + f) (normal x): floor((e + f) log10 2) is the decimal exponent or, for ~1 %
    # of the values (log10|x| less than 0.026 above an integer), one less
    lg = (bits & 0xFFFFFFFFFFFFF).astype(np.float64)
    lg *= 2.0 ** -52
    lg += ((bits >> 52) & 0x7FF) - 1023
    lg *= 0.30102999566398120
    e10 = np.floor(lg, out=lg).astype(np.int64)
    fast = (e10 >= -28) & (e10 <= 16)
    ax = np.abs(x)
    ax[~fast] = 1.0
    e10[~fast] = 0
    n = _scaled_integer(ax, 16 - e10)
    up = np.flatnonzero(n >= _E17)                          # the exponent estimate was one too low
    if up.size:
        e10[up] += 1
        n[up] = _scaled_integer(ax[up], np.maximum(16 - e10[up], 0))
        fast[up] &= e10[up] <= 16
        np.minimum(e10, 16, out=e10)
    ok = (n >= _E16) & (n < _E17)
    fast &= ok
    n[~ok] = _E16
    zero = (bits << 1) == 0                                 # +-0: digits 0, exponent 0
    n[zero] = 0
    e10[zero] = 0
    fast |= zero
    tmp = np.empty_like(n)
    g = n // 10 ** 15
    np.multiply(g, 10 ** 15, out=tmp)
    n -= tmp
    g += (bits >> 63) & 100                                 # the sign
    o32[:, 0] = _TW0[g]
    for j, scale in ((1, 10 ** 11), (2, 10 ** 7), (3, 1000)):
        np.floor_divide(n, scale, out=g)
        np.multiply(g, scale, out=tmp)
        n -= tmp
        o32[:, j] = _T4[g]
    o32[:, 4] = _T3E[n]
    e10 += 99
    o32[:, 5] = _TEXP[e10]
    return np.flatnonzero(~fast)


def _widen(out):
    """24-byte fields -> 25-byte fields with a three-digit exponent."""
    w = np.empty((out.shape[0], _FW + 1), np.uint8)
    w[:, :21] = out[:, :21]
    w[:, 21] = 48
    w[:, 22:] = out[:, 21:]
    return w


def _format_scalar(v):
    return _format_floats(np.array([v], dtype=np.float64)).tobytes().decode().rstrip()


def _format_ints(v, width):
    """Non-negative integers as zero-padded fixed-width text: (n, width) uint8."""
    v = np.asarray(v, dtype=np.int64).copy()
    out = np.empty((v.size, width), np.uint8)
    for k in range(width - 1, -1, -1):
        q = v // 10
        out[:, k] = (v - q * 10) + 48
        v = q
    return out


def _digit_runs(start, stop):
    """Split [start, stop) into runs of integers with the same number of decimal digits."""
    while start < stop:
        d = len(str(start))
        hi = min(stop, 10 ** d)
        yield start, hi, d
        start = hi


class _F:
    """A float field of a record template."""


class _I:
    """An integer field of a record template."""

    def __init__(self, name):
        self.name = name


_FLOAT = _F()


class _Template:
    """A record (one event's text) of literals and fixed-width fields, laid out once per field width."""

    def __init__(self, tokens, widths, fw):
        proto = bytearray()
        fgroups = []            # [offset, first column, length in bytes]
        islots = []             # (offset, name, width)
        col = 0
        prev_float = False
        for tok in tokens:
            if isinstance(tok, str):
                b = tok.encode()
                if prev_float and b[:1] == b" ":
                    b = b[1:]                       # the float field ends in a space already
                elif prev_float and b[:1] in (b"\n", b"<"):
                    fgroups[-1][2] -= 1             # the literal replaces the field's trailing space
                    del proto[-1]
                proto += b
                prev_float = False
            elif tok is _FLOAT:
                if prev_float:
                    fgroups[-1][2] += fw
                else:
                    fgroups.append([len(proto), col, fw])
                proto += b" " * fw
                col += 1
                prev_float = True
            else:
                w = widths[tok.name]
                islots.append((len(proto), tok.name, w))
                proto += b"0" * w
                prev_float = False
        self.proto = np.frombuffer(bytes(proto), np.uint8)
        self.length = len(proto)
        self.fgroups = [tuple(g) for g in fgroups]
        self.islots = islots
        self.n_floats = col

    def render(self, fields, ints):
        """fields: (n * n_floats, fw) uint8 from _format_floats; ints: name -> (n,) int64.  Returns (n, length)."""
        fw = fields.shape[1]
        n = fields.shape[0] // self.n_floats
        f2 = fields.reshape(n, self.n_floats * fw)
        rec = np.empty((n, self.length), np.uint8)
        rec[:] = self.proto
        for off, c0, ln in self.fgroups:
            rec[:, off:off + ln] = f2[:, c0 * fw:c0 * fw + ln]
        for off, name, w in self.islots:
            rec[:, off:off + w] = _format_ints(ints[name], w)
        return rec


def _masses(p):
    """Signed invariant masses of (n, 4) [E, px, py, pz]."""
    m2 = p[:, 0] * p[:, 0] - (p[:, 1] * p[:, 1] + p[:, 2] * p[:, 2] + p[:, 3] * p[:, 3])
    return np.copysign(np.sqrt(np.abs(m2)), m2)


def _particle_columns(batch, a, b, cols, base):
    """Fill cols[:, base + 5 j : base + 5 j + 5] with px, py, pz, E, m of particle j for events [a, b)."""
    for j, name in enumerate(PARTICLES):
        p = batch.p4[name][a:b]
        c = base + 5 * j
        cols[:, c] = p[:, 1]
        cols[:, c + 1] = p[:, 2]
        cols[:, c + 2] = p[:, 3]
        cols[:, c + 3] = p[:, 0]
        cols[:, c + 4] = _masses(p)


# ---------------------------------------------------------------------------------------------------------------
# byte sinks: plain or compressed, compression in background threads
# ---------------------------------------------------------------------------------------------------------------

def _gzip_member(data):
    c = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


class _Sink:
    """Ordered byte sink.  ``codec`` None, "gz", "bz2" or "xz".  gz: every write becomes an independent gzip member,
    compressed by a pool of threads; bz2 / xz: one stream, compressed by one background thread.  At most a few
    blocks are in flight (bounded memory); errors of the threads surface at the next write or at close."""

    def __init__(self, path, codec):
        self._f = open(path, "wb")
        self._codec = codec
        self._pending = deque()
        self._pool = None
        if codec is None:
            return
        if codec == "gz":
            workers = max(1, min(4, (os.cpu_count() or 2) - 1))
            self._fn = _gzip_member
        else:
            workers = 1
            if codec == "bz2":
                import bz2
                self._comp = bz2.BZ2Compressor(_BZ2_LEVEL)
            else:
                import lzma
                self._comp = lzma.LZMACompressor(format=lzma.FORMAT_XZ, preset=_XZ_PRESET)
            self._fn = self._comp.compress
        self._max_pending = workers + 1
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jpsi_fast-eventio")

    def write(self, data):
        if self._pool is None:
            self._f.write(data)
            return
        self._pending.append(self._pool.submit(self._fn, data))
        self._drain(self._max_pending)

    def _drain(self, keep):
        while len(self._pending) > keep:
            self._f.write(self._pending.popleft().result())

    def close(self):
        if self._pool is not None:
            if self._codec in ("bz2", "xz"):
                self._pending.append(self._pool.submit(self._comp.flush))
            self._drain(0)
            self._pool.shutdown()
            self._pool = None
        self._f.close()

    def abort(self):
        if self._pool is not None:
            for fut in self._pending:
                fut.cancel()
            self._pool.shutdown(wait=True)
            self._pool = None
        self._pending.clear()
        self._f.close()


# ---------------------------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------------------------

_SUFFIXES = ((".hepmc3.gz", "hepmc3.gz"), (".hepmc.gz", "hepmc3.gz"), (".hepmc3.bz2", "hepmc3.bz2"),
             (".hepmc.bz2", "hepmc3.bz2"), (".hepmc3.xz", "hepmc3.xz"), (".hepmc.xz", "hepmc3.xz"),
             (".hepmc3", "hepmc3"), (".hepmc", "hepmc3"), (".lhe.gz", "lhe.gz"), (".lhe", "lhe"),
             (".parquet", "parquet"))


def infer_format(path) -> str:
    """The format (one of FORMATS) of an event-file name from its suffix; ValueError for an unknown suffix."""
    name = os.path.basename(os.fsdecode(os.fspath(path)))
    low = name.lower()
    for suffix, fmt in _SUFFIXES:
        if low.endswith(suffix):
            return fmt
    raise ValueError(f"cannot infer the event-file format from the suffix of {name!r} (known suffixes: "
                     + ", ".join(s for s, _ in _SUFFIXES) + ")")


def open_writer(path, fmt, run_info) -> "EventWriter":
    """Open a streaming event writer: ``fmt`` one of FORMATS or "auto" (from the suffix of ``path``).

    Use as a context manager: the file appears at ``path`` when the block ends without an exception."""
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        raise ValueError(f"path: expected a path, got {path!r}") from None
    if not path or os.path.isdir(path):
        raise ValueError(f"path: {path!r} is a directory or empty")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(f"path: the directory {directory!r} does not exist")
    if not isinstance(fmt, str):
        raise ValueError(f"fmt: expected one of {FORMATS} or 'auto', got {fmt!r}")
    f = fmt.lower()
    if f == "auto":
        try:
            f = infer_format(path)
        except ValueError as exc:
            raise ValueError(f"fmt: 'auto': {exc}") from None
    if f not in FORMATS:
        raise ValueError(f"fmt: expected one of {FORMATS} or 'auto', got {fmt!r}")
    if not isinstance(run_info, RunInfo):
        raise ValueError(f"run_info: expected a RunInfo, got {type(run_info).__name__}")
    if f == "parquet":
        return _ParquetWriter(path, f, run_info)
    if f.startswith("lhe"):
        return _LHEWriter(path, f, run_info)
    return _HepMC3Writer(path, f, run_info)


class EventWriter:
    """Streams EventBatches to ``path`` (through a temporary file renamed at :meth:`close`).

    ``with open_writer(...) as w: w.write(batch)``: leaving the block normally closes and renames, an exception
    discards everything.  ``n_written`` counts the events written so far."""

    def __init__(self, path, fmt, run_info):
        self.path = path
        self.fmt = fmt
        self.run_info = run_info
        self.n_written = 0
        self.closed = False
        d, base = os.path.split(os.path.abspath(path))
        tag = uuid.uuid4().hex[:12]
        self._tmp = os.path.join(d, f".{base}.{tag}.tmp")
        self._tmps = [self._tmp]
        self._nvar = len(run_info.variation_names)
        self._nch = len(run_info.channel_names)
        try:
            self._open()
        except BaseException:
            self.closed = True
            self._remove_tmps()
            raise

    # subclasses: _open(), _write(batch), _finish() (complete self._tmp), _abort() (release resources)

    def write(self, batch: EventBatch) -> None:
        if self.closed:
            raise ValueError("write: the writer is closed")
        if not isinstance(batch, EventBatch):
            raise ValueError(f"batch: expected an EventBatch, got {type(batch).__name__}")
        vw = batch.variation_weights
        nv = 0 if vw is None else vw.shape[1]
        if nv != self._nvar and not (batch.n == 0 and vw is None):
            raise ValueError(f"batch.variation_weights: {nv} variation weights per event, the run has "
                             f"{self._nvar} variation names {self.run_info.variation_names}")
        if batch.n == 0:
            return
        if batch.channel.max() >= self._nch:
            raise ValueError(f"batch.channel: index {int(batch.channel.max())} out of range for "
                             f"{self._nch} channel names")
        try:
            self._write(batch)
        except BaseException:
            self.discard()
            raise
        self.n_written += batch.n

    def close(self) -> None:
        """Finish the file and rename it to ``path`` (idempotent)."""
        if self.closed:
            return
        try:
            self._finish()
            with open(self._tmp, "rb+") as fh:            # on disk before the name says complete
                os.fsync(fh.fileno())
            os.replace(self._tmp, self.path)
        except BaseException:
            self.discard()
            raise
        self.closed = True
        self._remove_tmps()

    def discard(self) -> None:
        """Abandon the file: remove the temporary files; no file appears at ``path``."""
        if self.closed:
            return
        self.closed = True
        try:
            self._abort()
        finally:
            self._remove_tmps()

    def _remove_tmps(self):
        for t in self._tmps:
            try:
                os.remove(t)
            except FileNotFoundError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.discard()
        return False

    def __del__(self):
        try:
            if not self.closed:
                self.discard()
        except Exception:
            pass

    def __repr__(self):
        return f"{type(self).__name__}({self.path!r}, fmt={self.fmt!r}, n_written={self.n_written})"


def _hepmc3_escape(s):
    return s.replace("\\", "\\\\").replace("\n", "\\|")


def _attribute_text(v):
    return v if isinstance(v, str) else json.dumps(v, allow_nan=False)


class _HepMC3Writer(EventWriter):
    def _open(self):
        codec = self.fmt.partition(".")[2] or None
        self._sink = _Sink(self._tmp, codec)
        ri = self.run_info
        names = ("default",) + ri.variation_names
        head = ["HepMC::Version 3.02.05", "HepMC::Asciiv3-START_EVENT_LISTING",
                "W " + "\\|".join(names),
                "T " + "\\|".join((ri.generator[0], ri.generator[1], _GENERATOR_DESCRIPTION))]
        attrs = {"channel_names": ",".join(ri.channel_names), "lepton_pdg": str(ri.lepton_pdg),
                 "beam_energies": ",".join(repr(e) for e in ri.beam_energies), "sigma_pb": repr(ri.sigma_pb),
                 "sigma_error_pb": repr(ri.sigma_error_pb), "n_events": str(ri.n_events),
                 "unweighted": str(int(ri.unweighted))}
        attrs.update({k: _attribute_text(v) for k, v in ri.attributes.items()})
        head += [f"A {k} {_hepmc3_escape(v)}" for k, v in attrs.items()]
        self._sink.write(("\n".join(head) + "\n").encode())
        pdg = ri.pdg_ids()
        status = {"beam_e": 4, "beam_p": 4, "e_out": 1, "gamma": 13, "jpsi": 2, "lep_plus": 1, "lep_minus": 1,
                  "X": 11}
        parent = {"beam_e": "0", "beam_p": "0", "e_out": "1", "gamma": "1", "jpsi": "-2", "lep_plus": "5",
                  "lep_minus": "5", "X": "-2"}
        xs = (f"A 0 GenCrossSection {_format_scalar(ri.sigma_pb)} {_format_scalar(ri.sigma_error_pb)} "
              f"{ri.n_events} {ri.n_events}\n")
        tokens = ["E ", _I("evn"), " 3 8\nU GEV MM\nW ", *[_FLOAT] * (1 + self._nvar),
                  "\n" + xs + "A 0 channel ", _I("ch"), "\n"]
        for j, name in enumerate(PARTICLES):
            if name == "jpsi":
                tokens.append("V -2 0 [2,4]\n")
            tokens += [f"P {j + 1} {parent[name]} {pdg[name]} ", *[_FLOAT] * 5, f"{status[name]}\n"]
        self._tokens = tokens
        self._templates = {}
        self._chw = len(str(self._nch - 1))

    def _template(self, evn_digits, fw):
        key = (evn_digits, fw)
        t = self._templates.get(key)
        if t is None:
            t = self._templates[key] = _Template(self._tokens, {"evn": evn_digits, "ch": self._chw}, fw)
        return t

    def _write(self, batch):
        nw = 1 + self._nvar
        e0 = batch.event_number0
        for lo, hi, digits in _digit_runs(e0, e0 + batch.n):
            for a in range(lo - e0, hi - e0, _BLOCK):
                b = min(a + _BLOCK, hi - e0)
                cols = np.empty((b - a, nw + 5 * len(PARTICLES)))
                cols[:, 0] = batch.weight[a:b]
                if self._nvar:
                    cols[:, 1:nw] = batch.variation_weights[a:b]
                _particle_columns(batch, a, b, cols, nw)
                fields = _format_floats(cols)
                rec = self._template(digits, fields.shape[1]).render(
                    fields, {"evn": np.arange(e0 + a, e0 + b, dtype=np.int64), "ch": batch.channel[a:b]})
                self._sink.write(rec)

    def _finish(self):
        self._sink.write(b"HepMC::Asciiv3-END_EVENT_LISTING\n\n")
        self._sink.close()

    def _abort(self):
        self._sink.abort()


def _xml_escape(s, quote=True):
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace('"', "&quot;").replace("'", "&apos;") if quote else s


class _LHEWriter(EventWriter):
    def _open(self):
        self._codec = "gz" if self.fmt == "lhe.gz" else None
        self._body = self._tmp[:-4] + ".body.tmp"
        self._tmps.append(self._body)
        self._sink = _Sink(self._body, self._codec)
        ri = self.run_info
        pdg = ri.pdg_ids()
        lines = {"beam_e": "-1 0 0", "beam_p": "-1 0 0", "e_out": "1 1 2", "gamma": "-2 1 1", "jpsi": "2 1 2",
                 "lep_plus": "1 5 5", "lep_minus": "1 5 5", "X": "1 1 2"}
        tokens = ["<event>\n8 ", _I("proc"), " ", _FLOAT, _FLOAT, "-1 -1\n"]
        for name in PARTICLES:
            tokens += [f"{pdg[name]} {lines[name]} 0 0 ", *[_FLOAT] * 5, "0 9\n"]
        if self._nvar:
            tokens.append("<rwgt>\n")
            for v in ri.variation_names:
                tokens += [f"<wgt id='{_xml_escape(v)}'>", _FLOAT, "</wgt>\n"]
            tokens.append("</rwgt>\n")
        tokens.append("</event>\n")
        self._tokens = tokens
        self._templates = {}
        self._procw = len(str(self._nch))
        self._wsum = _ChannelSums(self._nch)
        self._wmax = np.zeros(self._nch)

    def _write(self, batch):
        nv = self._nvar
        for a in range(0, batch.n, _BLOCK):
            b = min(a + _BLOCK, batch.n)
            cols = np.empty((b - a, 2 + 5 * len(PARTICLES) + nv))
            cols[:, 0] = batch.weight[a:b]
            g = batch.p4["gamma"][a:b]
            cols[:, 1] = np.sqrt(np.maximum(-(g[:, 0] ** 2 - g[:, 1] ** 2 - g[:, 2] ** 2 - g[:, 3] ** 2), 0.0))
            _particle_columns(batch, a, b, cols, 2)
            if nv:
                cols[:, 2 + 5 * len(PARTICLES):] = batch.variation_weights[a:b]
            fields = _format_floats(cols)
            fw = fields.shape[1]
            t = self._templates.get(fw)
            if t is None:
                t = self._templates[fw] = _Template(self._tokens, {"proc": self._procw}, fw)
            ch = batch.channel[a:b]
            self._sink.write(t.render(fields, {"proc": ch + 1}))
        w = batch.weight
        self._wsum.add(batch.channel, w)
        np.maximum.at(self._wmax, batch.channel, np.abs(w))

    def _header(self):
        ri = self.run_info
        out = ['<LesHouchesEvents version="3.0">', "<header>"]
        if ri.variation_names:
            out.append("<initrwgt>")
            out += [f'<weight id="{_xml_escape(v)}">{_xml_escape(v, False)}</weight>' for v in ri.variation_names]
            out.append("</initrwgt>")
        info = ri.to_dict()
        info["n_written"] = self.n_written
        out += [f"<jpsi_fast_run>{_xml_escape(json.dumps(info, sort_keys=True), False)}</jpsi_fast_run>",
                "</header>", "<init>"]
        idwtup = 3 if ri.unweighted else -4
        out.append(f"{ri.beams_pdg[0]} {ri.beams_pdg[1]} {_format_scalar(ri.beam_energies[0])} "
                   f"{_format_scalar(ri.beam_energies[1])} 0 0 0 0 {idwtup} {self._nch}")
        wsum = self._wsum.totals()
        total = wsum.sum()
        share = wsum / total if total != 0 else np.zeros(self._nch)
        for c in range(self._nch):
            out.append(f"{_format_scalar(ri.sigma_pb * share[c])} {_format_scalar(ri.sigma_error_pb * abs(share[c]))} "
                       f"{_format_scalar(self._wmax[c])} {c + 1}")
        out.append(f'<generator name="{_xml_escape(ri.generator[0])}" version="{_xml_escape(ri.generator[1])}">'
                   f"{_xml_escape(_GENERATOR_DESCRIPTION, False)}</generator>")
        out.append("</init>\n")
        return "\n".join(out).encode()

    def _finish(self):
        self._sink.close()
        head = self._header()
        tail = b"</LesHouchesEvents>\n"
        if self._codec == "gz":
            head, tail = _gzip_member(head), _gzip_member(tail)
        with open(self._tmp, "wb") as f:
            f.write(head)
            f.flush()
            _append_file(f, self._body)
            f.write(tail)
        os.remove(self._body)

    def _abort(self):
        self._sink.abort()


def _append_file(dst, src_path):
    """Append the file src_path to the open binary file dst (in-kernel copy where the OS offers one)."""
    with open(src_path, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        copied = 0
        if hasattr(os, "copy_file_range"):
            try:
                while copied < size:
                    k = os.copy_file_range(src.fileno(), dst.fileno(), size - copied)
                    if k == 0:
                        break
                    copied += k
            except OSError:
                pass
        if copied < size:
            src.seek(copied)
            dst.seek(0, os.SEEK_END)
            while True:
                buf = src.read(1 << 24)
                if not buf:
                    break
                dst.write(buf)
    dst.seek(0, os.SEEK_END)


class _ParquetWriter(EventWriter):
    def _open(self):
        pa = _require("pyarrow", "data")
        pq = _require("pyarrow.parquet", "data")
        self._pa = pa
        ri = self.run_info
        chmeta = {b"channel_names": json.dumps(list(ri.channel_names)).encode()}
        small = self._nch <= np.iinfo(np.int16).max
        self._chtype = np.int16 if small else np.int32
        fields = [pa.field("event_number", pa.int64()),
                  pa.field("channel", pa.int16() if small else pa.int32(), metadata=chmeta),
                  pa.field("weight", pa.float64())]
        fields += [pa.field(f"weight_{v}", pa.float64()) for v in ri.variation_names]
        for name in PARTICLES:
            fields += [pa.field(f"{name}_{c}", pa.float64()) for c in ("E", "px", "py", "pz")]
        meta = {"jpsi_fast.run_info": ri.to_json(),
                "jpsi_fast.units": json.dumps({"energy": "GeV", "momentum": "GeV", "weight": "pb",
                                               "cross_section": "pb"}),
                "jpsi_fast.channel_names": json.dumps(list(ri.channel_names))}
        self._schema = pa.schema(fields, metadata=meta)
        self._writer = pq.ParquetWriter(self._tmp, self._schema, compression="zstd", use_dictionary=["channel"],
                                        write_statistics=["event_number", "channel"])
        self._buffer = []
        self._buffered = 0

    def _write(self, batch):
        pa = self._pa
        n = batch.n
        arrays = [pa.array(np.arange(batch.event_number0, batch.event_number0 + n, dtype=np.int64)),
                  pa.array(batch.channel.astype(self._chtype)), pa.array(batch.weight)]
        if self._nvar:
            arrays += [pa.array(np.ascontiguousarray(batch.variation_weights[:, k])) for k in range(self._nvar)]
        for name in PARTICLES:
            p = batch.p4[name]
            arrays += [pa.array(np.ascontiguousarray(p[:, k])) for k in range(4)]
        self._buffer.append(pa.Table.from_arrays(arrays, schema=self._schema))
        self._buffered += n
        if self._buffered >= _ROW_GROUP:
            self._flush()

    def _flush(self):
        if self._buffered:
            table = self._pa.concat_tables(self._buffer)
            self._writer.write_table(table, row_group_size=_ROW_GROUP)
        self._buffer = []
        self._buffered = 0

    def _finish(self):
        self._flush()
        self._writer.close()

    def _abort(self):
        self._buffer = []
        try:
            self._writer.close()
        except Exception:
            pass
