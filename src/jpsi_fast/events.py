"""What an experiment consumes (docs/physics.md §13): beams and the lab frame, decayed J/psi events, files for
detector simulation (HepMC3, LHE, Parquet) and expected rates.

* :class:`jpsi_fast.Beams` (head-on e p beams, EIC presets) lives in :mod:`jpsi_fast.params`; ``Params(beams=...)``.
* :class:`EventGenerator` samples e p -> e J/psi(-> l+ l-) X in the lab frame: the 7-dimensional in-acceptance
  integrand (x, z, Q, P_T, phi_h and the l+ decay angles, docs/physics.md §13) is sampled (unweighted by default)
  with an importance-sampling map adapted once to the lab-frame integrand without cuts (smooth in the angles), so
  the decay angles follow the density matrix of the channel sum at each point and the acceptance of
  ``Domain.acceptance`` is applied event by event; the exact four-vectors with the masses come from the compiled
  kinematics (:func:`jpsi_fast._lab.lab_kinematics_array`).
* :func:`write_events` streams them to a file (temporary name, renamed when complete) in bounded memory.
* :func:`expected_counts` turns a histogram in acceptance into event counts for a luminosity.

Each event is attributed to one production channel at random with the probabilities of the channels' decay
densities at its point and angles (so per-channel distributions of an unweighted sample are right); its decay was
drawn from the density matrix of the channel sum. Random numbers (the sampler's and the lab azimuth of e' / the
channel choice) are keyed by (seed, stream), never by thread: the events do not depend on ``n_threads`` or on
the batch size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import (DECAY_LEPTONS, M_ELECTRON, M_PROTON, PB_INV_PER_FB_INV, Beams,  # noqa: F401 (re-export)
                     check_decay)

__all__ = ["Beams", "EventGenerator", "LabEvents", "FrameTransform", "FRAMES", "write_events", "expected_counts",
           "rates_table", "CountTarget",
           "lab_kinematics", "lambda_theta_information", "DENSITY_ELEMENTS"]

#: kernel states whose per-channel values give the decay density (docs/physics.md §12)
DENSITY_ELEMENTS = ("U", "L", "Sp0", "Spm")
#: events per stream of the per-event uniforms (lab azimuth of e', channel choice)
UNIFORM_CHUNK = 4096
#: stream tag of those uniforms (distinct from the sampler's purposes)
UNIFORM_TAG = 0x6A707369
#: adaptation of the events' map: iterations x evaluations (the unweighting efficiency grows with the iterations:
#: 8 % after 5, 20 % after 10 at 18x275 GeV in acceptance; benchmarks/bench_events.py)
ADAPT_ITERATIONS = 10
ADAPT_NEVAL = 200_000
#: batches waiting for the writer thread of write_events
WRITE_QUEUE = 2
#: chunk k of a chunked production is the sampler's generation CHUNK_CALL_BASE + k (stream keys are uint32, and
#: ordinary generations count 1, 2, ... from below, so the two never share streams)
CHUNK_CALL_BASE = 2 ** 31
MAX_CHUNKS = 2 ** 31 - 1


def lab_kinematics(beams, x, Q, z, PT, phi_e, phi_h, cos_theta, phi, M=3.1, decay="mumu", n_threads=1) -> dict:
    """Exact lab-frame four-vectors [E, px, py, pz] (GeV) of e p -> e J/psi(-> l+ l-) X (docs/physics.md §13).

    Inputs broadcast like NumPy: x, Q [GeV], z, P_T [GeV], the lab azimuth phi_e of e', the Trento azimuth phi_h
    of the J/psi about q, and the l+ helicity-frame angles (cos theta, phi) of docs/physics.md §12. ``M``: J/psi
    mass [GeV] (the cross section's Params.M); ``decay``: "mumu" or "ee". Returns a dict of (..., 4) arrays
    beam_e, beam_p, e_out, gamma, jpsi, lep_plus, lep_minus, X and the (...) bool ``valid`` (False where the point
    is kinematically forbidden with the masses; those rows are NaN).
    """
    from ._lab import lab_kinematics_array
    from ._openmp_helpers import resolve_n_threads
    from .params import check_beams
    beams = check_beams(beams)
    if beams is None:
        raise TypeError("beams must be a jpsi_fast.Beams or a preset name like '18x275', got None")
    n_threads = resolve_n_threads(n_threads)
    check_decay(decay)
    arrs = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, Q, z, PT, phi_e, phi_h, cos_theta, phi)))
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrs]
    for name, a, lo, hi in (("x", flat[0], 0.0, 1.0), ("z", flat[2], 0.0, 1.0)):
        if not np.all((a > lo) & (a < hi)):
            raise ValueError(f"{name} must be in ({lo:g}, {hi:g})")
    if not np.all(flat[1] > 0) or not np.all(flat[3] >= 0) or not np.all(np.abs(flat[6]) <= 1):
        raise ValueError("Q must be > 0, PT >= 0 and |cos_theta| <= 1")
    if not all(np.all(np.isfinite(a)) for a in flat):
        raise ValueError("lab_kinematics: every input must be finite")
    out = lab_kinematics_array(beams.electron_energy, beams.proton_energy, M_ELECTRON, M_PROTON, float(M),
                               DECAY_LEPTONS[decay][1], *flat, n_threads=n_threads)
    return {k: v.reshape(shape + v.shape[1:]) for k, v in out.items()}


#: frames of FrameTransform: the gamma*-proton c.m. frame and the Breit frame (docs/physics.md §13.2)
FRAMES = ("gamma_p", "breit")


def _vec(a):
    import vector
    return vector.array({"E": a[:, 0], "px": a[:, 1], "py": a[:, 2], "pz": a[:, 3]})


def _arr(v):
    return np.stack([np.asarray(v.E), np.asarray(v.px), np.asarray(v.py), np.asarray(v.pz)], axis=-1)


class FrameTransform:
    """Per-event Lorentz transformation from the lab to the gamma*-proton c.m. frame (``"gamma_p"``) or the Breit
    frame (``"breit"``), with scikit-hep ``vector`` (``pip install "jpsi_fast[hep]"``).

    Both frames have the virtual photon along +z and the proton along -z, and the incoming electron in the x-z plane
    with p_x > 0 (so the J/psi azimuth there is phi_h, Trento); gamma_p: the total three-momentum of q + P vanishes;
    breit: q = (0, 0, 0, Q). Built from the lab four-vectors (n, 4) [E, px, py, pz] of the beam electron ``k``, the
    proton ``P`` and the virtual photon ``q``; :meth:`forward` / :meth:`inverse` map (n, 4) arrays.
    """

    def __init__(self, k, P, q, frame="gamma_p"):
        if frame not in FRAMES:
            raise ValueError(f"frame must be one of {FRAMES}, got {frame!r}")
        self.frame = frame
        k, P, q = (np.asarray(a, dtype=float).reshape(-1, 4) for a in (k, P, q))
        W = _vec(P + q)
        #: boost to the c.m. of q + P
        self.cm = W
        qc, kc = _vec(q).boostCM_of_p4(W), _vec(k).boostCM_of_p4(W)
        self.phi_q, self.theta_q = np.asarray(qc.phi), np.asarray(qc.theta)
        kr = kc.rotateZ(-self.phi_q).rotateY(-self.theta_q)
        self.phi_k = np.asarray(kr.phi)
        qr = qc.rotateZ(-self.phi_q).rotateY(-self.theta_q)
        #: velocity along +z from the c.m. to the Breit frame (q^0 = 0): beta = q^0 / q_z
        self.beta_breit = np.asarray(qr.E) / np.asarray(qr.pz) if frame == "breit" else None

    def forward(self, p):
        """Lab (n, 4) -> frame (n, 4)."""
        import vector
        v = _vec(np.asarray(p, dtype=float).reshape(-1, 4)).boostCM_of_p4(self.cm)
        v = v.rotateZ(-self.phi_q).rotateY(-self.theta_q).rotateZ(-self.phi_k)
        if self.beta_breit is not None:
            v = v.boost_beta3(vector.array({"x": 0 * self.beta_breit, "y": 0 * self.beta_breit,
                                            "z": -self.beta_breit}))
        return _arr(v)

    def inverse(self, p):
        """Frame (n, 4) -> lab (n, 4)."""
        import vector
        v = _vec(np.asarray(p, dtype=float).reshape(-1, 4))
        if self.beta_breit is not None:
            v = v.boost_beta3(vector.array({"x": 0 * self.beta_breit, "y": 0 * self.beta_breit,
                                            "z": self.beta_breit}))
        v = v.rotateZ(self.phi_k).rotateY(self.theta_q).rotateZ(self.phi_q)
        return _arr(v.boost_p4(self.cm))


def per_event_uniforms(seed, call, first, n, k=2) -> np.ndarray:
    """(n, k) uniforms of events first .. first + n - 1 of generation ``call``, from streams of UNIFORM_CHUNK events
    keyed by (seed, call, stream): the same numbers for an event whatever the batches it is produced in."""
    if n == 0:
        return np.empty((0, k))
    c0, c1 = first // UNIFORM_CHUNK, (first + n - 1) // UNIFORM_CHUNK
    parts = [np.random.default_rng([int(seed), UNIFORM_TAG, int(call), c]).random((UNIFORM_CHUNK, k))
             for c in range(c0, c1 + 1)]
    u = np.concatenate(parts)
    off = first - c0 * UNIFORM_CHUNK
    return u[off:off + n]


class LabEvents:
    """A batch of decayed events in the lab frame.

    Attributes
    ----------
    columns : dict name -> (n,) array: x, z, Q [GeV], PT [GeV], y, phi_h, cos_theta, phi (l+ helicity-frame
        angles), phi_e (lab azimuth of e'), the lab observables of docs/physics.md §13 (jpsi_eta, jpsi_rapidity,
        jpsi_pt, jpsi_E, e_eta, e_theta [rad], e_pt, e_E, lep_plus_eta, lep_plus_pt, lep_plus_E, lep_minus_eta,
        lep_minus_pt, lep_minus_E; GeV).
    p4 : dict name -> (n, 4) [E, px, py, pz] GeV: beam_e, beam_p, e_out, gamma, jpsi, lep_plus, lep_minus, X.
    channel : (n,) int, index into ``channels`` (the production channel the event is attributed to).
    weight : (n,) event weights [pb] including the branching ratio B(J/psi -> l+ l-).
    variation_weights : None or (n, n_variations) [pb], named ``variation_names`` (central first).
    first : index of the batch's first event in the run.
    """

    def __init__(self, columns, p4, channel, weight, channels, first=0, variation_weights=None,
                 variation_names=()):
        self.columns = columns
        self.p4 = p4
        self.channel = np.asarray(channel)
        self.weight = np.asarray(weight)
        self.channels = tuple(channels)
        self.first = int(first)
        self.variation_weights = variation_weights
        self.variation_names = tuple(variation_names)

    def __len__(self):
        return len(self.weight)

    def __getattr__(self, name):
        cols = self.__dict__.get("columns", {})
        if name in cols:
            return cols[name]
        raise AttributeError(f"LabEvents has no attribute or column {name!r} (columns: {tuple(cols)})")

    def in_frame(self, frame="gamma_p") -> dict:
        """The four-vectors in the gamma*-proton c.m. frame ("gamma_p") or the Breit frame ("breit"):
        {name: (n, 4)} (:class:`FrameTransform`)."""
        t = FrameTransform(self.p4["beam_e"], self.p4["beam_p"], self.p4["gamma"], frame)
        return {name: t.forward(v) for name, v in self.p4.items()}

    def __repr__(self):
        return f"<LabEvents {len(self)} events from #{self.first}, channels {self.channels}>"


class EventGenerator:
    """Decayed J/psi events in the lab frame of ``xs.params.beams`` (docs/physics.md §13).

    Parameters
    ----------
    xs : a :class:`jpsi_fast.CrossSection` whose Params have ``beams``.
    domain : a :class:`jpsi_fast.Domain`; its ``acceptance`` (default :class:`jpsi_fast.Acceptance` () -- the lab
        frame and the decay, no cut) is applied event by event, and its decay ("mumu", "ee") sets the leptons.
    seed : random seed (sampler streams, azimuths, channel choice): the events depend only on it.
    n_threads : OpenMP threads (None: all cores); never changes the events.
    neval : evaluations per adaptation iteration of the map; ``warmup`` iterations.
    variations : a :class:`jpsi_fast.Variations`: every event also carries one weight per theory variation
        (f(variation)/f(central) at its point and angles, f the decay density summed over channels).

    :meth:`adapt` (called by the first generation) adapts the importance-sampling map once; the generator then
    pickles with it, so batches can be produced anywhere with identical results.
    """

    def __init__(self, xs, domain=None, seed=0, n_threads=None, neval=ADAPT_NEVAL, warmup=ADAPT_ITERATIONS,
                 variations=None):
        from .integrate import Acceptance, Domain, Integrator
        if getattr(xs.params, "beams", None) is None:
            raise ValueError("events need the lab frame: CrossSection(Params(beams=jpsi_fast.Beams(...))) or a preset "
                             "such as Params(beams='18x275')")
        domain = Domain() if domain is None else domain
        if not isinstance(domain, Domain):
            raise TypeError(f"domain must be a jpsi_fast.Domain, got {domain!r}")
        if domain.acceptance is None:
            domain = domain.replace(acceptance=Acceptance())
        self.xs = xs
        self.domain = domain
        self.seed = int(seed)
        self.neval = int(neval)
        self.warmup = int(warmup)
        self.variations = variations
        # the map adapts to the lab integrand without cuts (smooth); events sample the one in acceptance with it
        self.integrator = Integrator(domain.replace(acceptance=Acceptance(decay=domain.acceptance.decay)),
                                     seed=self.seed, n_threads=n_threads)
        self.integrand = xs.integrand(domain)
        self.n_threads = self.integrator.n_threads
        self.lepton_pdg, self.lepton_mass, self.branching_ratio = domain.acceptance.lepton
        self.channels = self.integrand.layout.channels
        #: (sigma [pb], error [pb]) in acceptance before the branching ratio, set by the generation
        self.sigma = (math.nan, math.nan)
        #: the map has been adapted
        self.adapted = False
        #: (sigma [pb], error [pb]) in acceptance from :meth:`integrate_in_acceptance`, for weighted events;
        #: computed by the first weighted generation (or set by a chunked production before shipping)
        self.sigma_acceptance = None

    @property
    def beams(self) -> Beams:
        return self.xs.params.beams

    def adapt(self):
        """Adapt the importance-sampling map once (``warmup`` iterations of ``neval``) to the lab-frame integrand
        without cuts; later generations reuse it."""
        if not self.adapted:
            self.integrator.integrate(self.xs, nitn=1, neval=self.neval, warmup=self.warmup)
            self.adapted = True
        return self

    def _decorate(self, ev, call, first):
        """LabEvents of the sampler's Events ``ev`` (observables of the lab integrand) of generation ``call``."""
        u = per_event_uniforms(self.seed, call, first, len(ev))
        if not ev.unweighted:                    # weighted points outside the acceptance (weight 0) are no events
            keep = ev.weight != 0
            u, ev.points, ev.weight = u[keep], ev.points[keep], ev.weight[keep]
        n = len(ev.weight)
        cols = {name: ev.points[:, j] for j, name in enumerate(ev.names) if not name.startswith("decay_density_")}
        cols["phi_e"] = 2.0 * math.pi * u[:, 0]
        kin = lab_kinematics(self.beams, cols["x"], cols["Q"], cols["z"], cols["PT"], cols["phi_e"], cols["phi_h"],
                             cols["cos_theta"], cols["phi"], M=self.xs.params.M, decay=self.domain.acceptance.decay,
                             n_threads=self.n_threads)
        if not np.all(kin.pop("valid")):
            raise RuntimeError("an event the integrand accepted is kinematically forbidden: please report")
        dens = np.maximum(np.stack([ev.points[:, ev.names.index(f"decay_density_{c}")] for c in self.channels]), 0.0)
        cum = np.cumsum(dens, axis=0)
        total = cum[-1]
        channel = np.minimum((cum < u[:, 1] * total).sum(axis=0), len(self.channels) - 1).astype(np.int16)
        weight = ev.weight * self.branching_ratio
        var_w, names = None, ()
        if self.variations is not None:
            from ._lab import decay_density_array
            r = self.xs.evaluate(cols["x"], cols["z"], cols["Q"], cols["PT"], states=DENSITY_ELEMENTS,
                                 variations=self.variations, n_threads=self.n_threads)
            vals = r.values                                              # (n_var, n_ch, 4, n)
            nv, nc = vals.shape[:2]
            vd = decay_density_array(*(np.ascontiguousarray(vals[:, :, e].reshape(-1)) for e in range(4)),
                                     np.tile(cols["cos_theta"], nv * nc), np.tile(cols["phi"], nv * nc))
            per_var = vd.reshape(nv, nc, n).sum(axis=1)
            ratio = np.divide(per_var, per_var[0], out=np.zeros_like(per_var), where=per_var[0] > 0)
            var_w = (weight[None, :] * ratio).T
            names = tuple(v.name for v in r.layout.variations)
        return LabEvents(cols, kin, channel, weight, self.channels, first, var_w, names)

    def iter_events(self, n: int, batch: int = 100_000, unweighted: bool = True, progress=None, chunk=None):
        """Yield n events in :class:`LabEvents` batches of ``batch`` (bounded memory); unweighted events all have
        weight sigma B / n [pb], sigma from the sampler's trial run. Weighted: n sampled points whose weights sum to
        an estimate of sigma B; the points outside the acceptance (weight 0) are not events and are dropped, so
        fewer than n events come out; ``sigma`` then comes from :meth:`integrate_in_acceptance`. Generations are
        numbered (the sampler's call counter), so consecutive calls give independent events. The concatenated
        batches do not depend on ``batch``.

        ``chunk`` (0 .. MAX_CHUNKS - 1): produce chunk ``chunk`` of a chunked production instead -- its random
        streams are keyed by (seed, chunk) alone, so the adapted generator, shipped to any process or Dask worker,
        gives the same events for that chunk (:func:`jpsi_fast.distributed.write_event_chunks`)."""
        from ._validate import integer
        n = integer("n", n, 1, 10 ** 12, strict=True)
        batch = integer("batch", batch, 1, 10 ** 9, strict=True)
        call = None if chunk is None else CHUNK_CALL_BASE + integer("chunk", chunk, 0, MAX_CHUNKS - 1, strict=True)
        self.adapt()
        if not unweighted:
            if self.sigma_acceptance is None:
                self.sigma_acceptance = self.integrate_in_acceptance()
            self.sigma = self.sigma_acceptance
        first = 0
        for ev in self.integrator.iter_events(self.integrand, n, batch, unweighted=unweighted, warmup=0,
                                              progress=progress, call=call):
            if unweighted:
                self.sigma = (ev.sigma, ev.sigma_error)
            m = len(ev)
            yield self._decorate(ev, self.integrator._sample_calls if call is None else call, first)
            first += m

    def integrate_in_acceptance(self, nitn=6) -> tuple:
        """(sigma_U, error) in acceptance [pb, before the branching ratio] from the control-variate integrand
        (docs/physics.md §13.4), with its own Integrator (the events' map is left as it is)."""
        from .integrate import Integrator
        integ = Integrator(self.domain, seed=self.seed, n_threads=self.n_threads)
        tot = integ.integrate(self.xs, nitn=nitn, neval=self.neval, warmup=self.warmup // 2).total("U")
        return tot.mean, tot.sdev

    def generate(self, n: int, unweighted: bool = True, progress=None) -> LabEvents:
        """n events in one :class:`LabEvents`."""
        return next(self.iter_events(n, n, unweighted, progress))


def write_events(path, xs, n: int, fmt: str = "auto", domain=None, seed: int = 0, unweighted: bool = True,
                 batch: int = 100_000, n_threads=None, variations=None, progress=None, neval: int = 200_000) -> dict:
    """Generate n decayed events (:class:`EventGenerator`) and stream them to ``path`` as HepMC3 (".hepmc",
    ".hepmc3", optionally ".gz"/".bz2"/".xz"), LHE (".lhe", ".lhe.gz") or Parquet (".parquet"); ``fmt``
    overrides the suffix ("hepmc3", "hepmc3.gz", "lhe", "lhe.gz", "parquet"). The file appears under its name only
    when complete. Returns a summary dict (path, format, events, sigma_pb, sigma_error_pb, branching_ratio,
    seconds, events_per_second)."""
    import time
    from ._eventio import infer_format
    from pathlib import Path
    fmt = infer_format(path) if fmt == "auto" else fmt
    if not Path(path).parent.is_dir():
        raise ValueError(f"path: the folder {Path(path).parent} does not exist")
    t0 = time.perf_counter()
    gen = EventGenerator(xs, domain, seed=seed, n_threads=n_threads, variations=variations, neval=neval)
    summary = write_generation(path, fmt, gen, n, batch, unweighted, progress)
    dt = time.perf_counter() - t0
    return dict(summary, seconds=dt, events_per_second=summary["events"] / dt)


def write_generation(path, fmt, gen, n, batch=100_000, unweighted=True, progress=None, chunk=None) -> dict:
    """Stream one generation of ``gen`` (:meth:`EventGenerator.iter_events`; ``chunk`` for chunk k of a chunked
    production) to ``path`` in format ``fmt``, atomically, with the run information (beams, sigma x B, channel and
    variation names). Returns (path, format, events, sigma_pb, sigma_error_pb, branching_ratio)."""
    from ._eventio import RunInfo, open_writer
    it = gen.iter_events(n, batch, unweighted, progress, chunk=chunk)
    first = next(it)                    # the cross section is known after the first batch
    sigma, err = gen.sigma
    b = gen.beams
    attributes = {"branching_ratio": gen.branching_ratio, "sqrt_s": b.sqrt_s,
                  "acceptance": str(gen.domain.acceptance), "seed": gen.seed}
    if chunk is not None:
        attributes["chunk"] = int(chunk)
    info = RunInfo(beams_pdg=(11, 2212), beam_energies=(b.electron_energy, b.proton_energy),
                   lepton_pdg=gen.lepton_pdg, sigma_pb=sigma * gen.branching_ratio,
                   sigma_error_pb=err * gen.branching_ratio, channel_names=gen.channels,
                   variation_names=first.variation_names[1:] if first.variation_names else (), n_events=n,
                   unweighted=unweighted, attributes=attributes)
    with open_writer(path, fmt, info) as w:
        _write_overlapped(w, first, it)
        written = w.n_written
    return dict(path=str(path), format=fmt, events=written, sigma_pb=sigma * gen.branching_ratio,
                sigma_error_pb=err * gen.branching_ratio, branching_ratio=gen.branching_ratio)


def _write_overlapped(writer, first, batches):
    """Write ``first`` and the ``batches`` in order, formatting/compressing batch k in a background thread while
    batch k + 1 is generated (at most WRITE_QUEUE batches wait: bounded memory). The file does not depend on the
    timing; an exception on either side stops both and propagates."""
    import queue
    import threading
    q = queue.Queue(maxsize=WRITE_QUEUE)
    failure = []
    abort = threading.Event()                      # the producer failed (or Ctrl-C): write nothing more

    def consume():
        try:
            while True:
                item = q.get()
                if item is None or abort.is_set():
                    break
                writer.write(_file_batch(item))
        except BaseException as exc:              # noqa: BLE001 - handed to the producer
            failure.append(exc)
        while item is not None:                    # let the producer finish putting
            item = q.get()

    t = threading.Thread(target=consume, name="jpsi_fast-event-writer", daemon=True)
    t.start()
    try:
        q.put(first)
        for ev in batches:
            if failure:
                break
            q.put(ev)
    except BaseException:
        abort.set()
        raise
    finally:
        q.put(None)
        t.join()
    if failure:
        raise failure[0]


def _file_batch(ev):
    """EventBatch for the writers: the central weight first, the variations (without the central one) named."""
    from ._eventio import EventBatch
    var = None if ev.variation_weights is None else ev.variation_weights[:, 1:]
    return EventBatch(ev.p4, ev.channel, ev.weight, var, event_number0=ev.first)


def expected_counts(h, lumi_fb: float, branching_ratio: float | None = None, decay: str = "mumu",
                    lambda_theta=None) -> dict:
    """Expected events per bin of a histogram of sigma_U [pb per bin, before the branching ratio] -- typically
    in acceptance (a Domain with an Acceptance) -- for an integrated luminosity ``lumi_fb`` [fb^-1]:
    N = sigma B L (docs/physics.md §13.5), B = B(J/psi -> l+ l-) of ``decay`` (PDG) unless given.

    Returns dict of arrays over the histogram's kinematic axes: ``counts``; ``stat_error`` = 1/sqrt(N), the
    relative statistical precision of the bin's cross section; ``lambda_theta`` (given, or from the histogram's
    own U and L when it has them, else 0) and ``lambda_theta_error`` = 1/sqrt(N I(lambda_theta)), the precision of
    a fit of the cos theta distribution of N events with the Fisher information at full decay-angle acceptance
    (:func:`lambda_theta_information`; a detector's angular acceptance makes it larger).
    """
    from ._validate import real
    lumi_fb = real("lumi_fb", lumi_fb, 0.0, 1e9, "fb^-1")
    if branching_ratio is None:
        branching_ratio = DECAY_LEPTONS[check_decay(decay)][2]
    branching_ratio = real("branching_ratio", branching_ratio, 0.0, 1.0)
    sigma, _ = h.total("U")
    counts = sigma * branching_ratio * lumi_fb * PB_INV_PER_FB_INV
    if lambda_theta is None:
        lambda_theta = np.nan_to_num(lambda_theta_of(h)) if "L" in h.states else np.zeros_like(counts)
    lambda_theta = np.broadcast_to(np.asarray(lambda_theta, dtype=float), counts.shape)
    info = lambda_theta_information(lambda_theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(counts > 0, 1.0 / np.sqrt(counts), np.inf)
        lam_err = np.where(counts > 0, 1.0 / np.sqrt(counts * info), np.inf)
    return dict(counts=counts, stat_error=rel, lambda_theta=lambda_theta, lambda_theta_error=lam_err)


@dataclass(frozen=True)
class CountTarget:
    """"Enough events for a measurement" at a phase-space point (the region mapper's ``target="large"`` with
    ``count_target=``, state U): the expected J/psi -> l+ l- events in a measurement cell of size ``cell`` =
    (dx, dz, dQ [GeV], dP_T [GeV]) around the point, N = dsigma_U/(dx dQ^2 dz dP_T^2) x dx dz (2 Q dQ)
    (P_T,hi^2 - P_T,lo^2) x B x L with P_T,lo = max(0, P_T - dP_T/2), P_T,hi = P_T,lo + dP_T (the cell's own
    dP_T^2, exact at P_T -> 0; full acceptance; docs/physics.md §13.5), must reach ``min_counts`` for ``lumi_fb``
    [fb^-1]."""

    lumi_fb: float = 10.0
    min_counts: float = 100.0
    cell: tuple = (0.05, 0.1, 2.0, 0.5)
    decay: str = "mumu"

    def __post_init__(self):
        from ._validate import real
        object.__setattr__(self, "lumi_fb", real("CountTarget.lumi_fb", self.lumi_fb, 1e-12, 1e9, "fb^-1"))
        object.__setattr__(self, "min_counts", real("CountTarget.min_counts", self.min_counts, 1e-12, 1e15))
        try:
            cell = tuple(float(c) for c in self.cell)
        except (TypeError, ValueError):
            raise ValueError(f"CountTarget.cell must be 4 positive widths (dx, dz, dQ, dP_T), got "
                             f"{self.cell!r}") from None
        if len(cell) != 4 or not all(math.isfinite(c) and c > 0 for c in cell):
            raise ValueError(f"CountTarget.cell must be 4 positive widths (dx, dz, dQ, dP_T), got {self.cell!r}")
        object.__setattr__(self, "cell", cell)
        check_decay(self.decay, "CountTarget.decay")

    def counts(self, sigma, X) -> np.ndarray:
        """Expected events in the cell around points X (n, 4: x, z, Q, P_T) with dsigma/(dx dQ^2 dz dP_T^2)
        ``sigma`` [pb/GeV^4]."""
        X = np.asarray(X, dtype=float)
        dx, dz, dQ, dPT = self.cell
        pt_lo = np.maximum(X[:, 3] - 0.5 * dPT, 0.0)
        d_pt2 = (pt_lo + dPT) ** 2 - pt_lo ** 2
        return (np.asarray(sigma) * dx * dz * 2.0 * X[:, 2] * dQ * d_pt2 * DECAY_LEPTONS[self.decay][2]
                * self.lumi_fb * PB_INV_PER_FB_INV)


def lambda_theta_of(h) -> np.ndarray:
    """lambda_theta = (sigma_U - 3 sigma_L)/(sigma_U + sigma_L) of the channel sum per kinematic bin of a histogram
    with the states U and L (docs/physics.md §1); NaN where sigma_U = 0."""
    sigma_u, _ = h.total("U")
    sigma_l, _ = h.total("L")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sigma_u > 0, (sigma_u - 3 * sigma_l) / (sigma_u + sigma_l), np.nan)


def lambda_theta_information(lam, n_nodes: int = 64) -> np.ndarray:
    """Fisher information per event of lambda_theta in W(cos theta) = (1 + lambda cos^2)/(2 (1 + lambda/3)) at
    full acceptance: I = int dc W (d ln W / d lambda)^2 (64-point Gauss-Legendre: 1e-12 relative for
    -0.9 <= lambda <= 1, less accurate as lambda -> -1, where W vanishes at cos theta = +-1)."""
    c, w = np.polynomial.legendre.leggauss(n_nodes)
    lam = np.clip(np.asarray(lam, dtype=float), -0.999, 1.0)[..., None]
    W = (1 + lam * c * c) / (2 * (1 + lam / 3))
    score = c * c / (1 + lam * c * c) - 1 / (3 + lam)
    return (w * W * score * score).sum(axis=-1)


def rates_table(xs, domain, lumi_fb, z_edges, pt_edges, nitn=6, neval=200_000, warmup=4, seed=0, n_threads=None,
                min_counts=100.0) -> dict:
    """Expected J/psi -> l+ l- events per (z, P_T) bin in the acceptance of ``domain`` (docs/physics.md §13.5) for
    ``lumi_fb`` [fb^-1] at ``xs.params.beams``: sigma_U in acceptance per channel (the lab-frame integrand), the
    acceptance (ratio to the full-solid-angle cross section of the same bin), the counts N = sigma B L, their
    relative precision 1/sqrt(N), lambda_theta of the bin (channel sum, full solid angle) and its statistical
    precision from N events (:func:`expected_counts`), the dominant mechanism in acceptance and whether N >=
    ``min_counts`` ("measurable").

    Returns dict(columns (for a CSV / Parquet table), text (a printable table), grid (arrays over (z, P_T): counts,
    dominant (channel index), acceptance, lambda_theta, lambda_theta_error), z_edges, pt_edges, channels, lumi_fb,
    beams, acceptance, sigma_acc_pb, sigma_acc_error_pb).
    """
    from ._validate import real
    from .integrate import Integrator
    if domain.acceptance is None:
        raise ValueError("rates_table: give a Domain with an acceptance (jpsi_fast.Acceptance)")
    lumi_fb = real("lumi_fb", lumi_fb, 0.0, 1e9, "fb^-1")
    min_counts = real("min_counts", min_counts, 0.0, 1e15)
    for name, e in (("z_edges", z_edges), ("pt_edges", pt_edges)):
        e = np.asarray(e, dtype=float)
        if e.ndim != 1 or len(e) < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            raise ValueError(f"{name} must be >= 2 finite increasing edges, got {e.tolist()}")
    axes = [("z", np.asarray(z_edges, dtype=float)), ("PT", np.asarray(pt_edges, dtype=float))]
    h_acc = Integrator(domain, seed=seed, n_threads=n_threads).histogram(xs, axes=axes, nitn=nitn, neval=neval,
                                                                         warmup=warmup)
    h_full = Integrator(domain.replace(acceptance=None), seed=seed, n_threads=n_threads).histogram(
        xs, axes=axes, nitn=nitn, neval=neval, warmup=warmup, states=("U", "L"))
    sig_acc, sig_acc_err = h_acc.total("U")
    sig_full, _ = h_full.total("U")
    lam = lambda_theta_of(h_full)
    with np.errstate(invalid="ignore", divide="ignore"):
        acceptance = np.where(sig_full > 0, sig_acc / sig_full, np.nan)
    rates = expected_counts(h_acc, lumi_fb, decay=domain.acceptance.decay, lambda_theta=np.nan_to_num(lam))
    per_channel = h_acc.values()[:, 0]                                   # (n_channels, n_z, n_pt)
    dominant = np.where(sig_acc > 0, per_channel.argmax(axis=0), -1)
    channels = h_acc.channels
    cols = {k: [] for k in ("z_lo", "z_hi", "PT_lo", "PT_hi", "sigma_acc_pb", "sigma_acc_error_pb", "acceptance",
                            "counts", "stat_error", "lambda_theta", "lambda_theta_error", "dominant", "measurable")}
    rows = []
    for i in range(len(z_edges) - 1):
        for j in range(len(pt_edges) - 1):
            n_ev = rates["counts"][i, j]
            vals = (z_edges[i], z_edges[i + 1], pt_edges[j], pt_edges[j + 1], sig_acc[i, j], sig_acc_err[i, j],
                    acceptance[i, j], n_ev, rates["stat_error"][i, j], lam[i, j], rates["lambda_theta_error"][i, j],
                    channels[dominant[i, j]] if dominant[i, j] >= 0 else "", bool(n_ev >= min_counts))
            for k, v in zip(cols, vals):
                cols[k].append(v)
            if n_ev > 0:
                rows.append(f"  {z_edges[i]:4.2f}-{z_edges[i + 1]:4.2f}  {pt_edges[j]:4.2f}-{pt_edges[j + 1]:4.2f}"
                            f"  {sig_acc[i, j]:10.3e}  {acceptance[i, j]:5.3f}  {n_ev:10.3g}  "
                            f"{rates['stat_error'][i, j]:8.2g}  {lam[i, j]:+6.3f} +- "
                            f"{rates['lambda_theta_error'][i, j]:<7.2g}  {cols['dominant'][-1]:>10}  "
                            f"{'yes' if n_ev >= min_counts else 'no'}")
    tot, tot_err = float(sig_acc.sum()), float(np.sqrt((sig_acc_err ** 2).sum()))
    br = domain.acceptance.lepton[2]
    head = (f"expected J/psi -> {domain.acceptance.decay} events for {lumi_fb:g} fb^-1 at {xs.params.beams}, "
            f"{domain.acceptance} (B = {br:g}); sigma_U in acceptance {tot:.4g} +- {tot_err:.2g} pb -> "
            f"{tot * br * lumi_fb * PB_INV_PER_FB_INV:,.0f} events\n"
            "     z        P_T [GeV]  sigma_acc [pb]  accep.      N      dN/N   lambda_theta (+- stat)   dominant  "
            f"N >= {min_counts:g}")
    grid = dict(counts=rates["counts"], dominant=dominant, acceptance=acceptance, lambda_theta=lam,
                lambda_theta_error=rates["lambda_theta_error"])
    return dict(columns={k: np.asarray(v) for k, v in cols.items()}, text="\n".join([head] + rows), grid=grid,
                z_edges=np.asarray(z_edges, dtype=float), pt_edges=np.asarray(pt_edges, dtype=float),
                channels=channels, lumi_fb=lumi_fb, beams=xs.params.beams, acceptance=domain.acceptance,
                sigma_acc_pb=tot, sigma_acc_error_pb=tot_err, min_counts=min_counts)
