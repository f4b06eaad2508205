"""Shared by the benchmark scripts: the default Domain, one generator of random phase-space points, the physics
integrand as a vegas batch integrand (with the Domain's own compiled cuts), the location of ../shared test data and a
timer. Nothing here re-implements physics or cuts."""
import os
import time
from pathlib import Path

import numpy as np

import jpsi_fast as jf

#: the default phase-space region (docs/physics.md §7)
DOMAIN = jf.Domain()
#: ../shared beside the checkout (test data; optional)
SHARED = Path(os.environ.get("JPSI_FAST_SHARED", Path(__file__).resolve().parents[2] / "shared"))
NNPDF = SHARED / "pdfsets" / "NNPDF31_lo_as_0118_0000.dat"


def best_time(fn, repeat=3):
    """Best wall time [s] of ``repeat`` calls of fn() after one warm-up call (table builds, page faults)."""
    fn()
    times = []
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def interleaved_best(fns, rounds):
    """Best wall time [s] of each callable over ``rounds`` round-robin calls (after one warm-up call each)."""
    best = {name: float("inf") for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def domain_points(n, seed=0, domain=DOMAIN):
    """(x, z, Q, PT): n points uniform in the domain's box (cuts not applied), the kernels' benchmark input."""
    rng = np.random.default_rng(seed)
    lo, hi = domain.bounds.T
    X = lo + (hi - lo) * rng.random((n, 4))
    return tuple(np.ascontiguousarray(c) for c in X.T)


def vegas_integrand(xs, backend, n_threads=2, counter=None, domain=DOMAIN):
    """F(X[n, 4]) -> [n] for vegas (an lbatchintegrand) over the domain's box: 4 Q P_T x the channel sum of
    dsigma_U on the points inside the Domain's cuts (Domain.contains), 0 elsewhere. backend: "reference" (pure
    NumPy, jpsi_fast.reference) or "compiled" (CrossSection.evaluate). ``counter``: optional
    [points sampled, points evaluated], incremented per call."""
    import vegas

    params = xs.params
    if backend == "reference":
        from jpsi_fast import reference

        def dsigma_u(x, z, Q, PT):
            return reference.evaluate(x, z, Q, PT, params=params, states=("U",)).values.sum(axis=0)[0]
    elif backend == "compiled":
        def dsigma_u(x, z, Q, PT):
            return xs.evaluate(x, z, Q, PT, states="U", n_threads=n_threads).values.sum(axis=0)[0]
    else:
        raise ValueError(f"backend must be 'reference' or 'compiled', got {backend!r}")

    @vegas.lbatchintegrand
    def f(X):
        x, z, Q, PT = (np.ascontiguousarray(c) for c in X.T)
        m = domain.contains(x, z, Q, PT, params)
        out = np.zeros(len(X))
        if counter is not None:
            counter[0] += len(X)
            counter[1] += int(np.count_nonzero(m))
        if m.any():
            out[m] = 4.0 * Q[m] * PT[m] * dsigma_u(x[m], z[m], Q[m], PT[m])
        return out

    return f


def report(lines, output=None):
    """Print a markdown report (a list of lines) and, with ``output``, write it to that file."""
    text = "\n".join(lines) + "\n"
    print(text)
    if output:
        Path(output).write_text(text)
