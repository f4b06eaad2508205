"""Point designs inside a Domain's cuts: uniform random, scrambled Sobol, a regular grid, sigma-weighted events."""
from __future__ import annotations

import numpy as np

from ..integrate import Integrator

#: below this fraction of the box inside the cuts, rejection sampling is refused (it would take too long)
MIN_ACCEPTANCE = 1e-6


class Designs:
    """Point designs of ``domain`` at the parameters of ``xs`` (the cuts depend on sqrt(s)); ``seed`` fixes the
    sigma-weighted sampler's stream."""

    def __init__(self, xs, domain, seed, n_threads):
        self.xs, self.domain = xs, domain
        self.integrator = Integrator(domain, seed=seed, n_threads=n_threads)
        lo, hi = domain.bounds.T
        box = float(np.prod(hi - lo))
        self.acceptance = domain.volume(xs.params) / box
        if not self.acceptance >= MIN_ACCEPTANCE:
            raise ValueError(f"only a fraction {self.acceptance:.2g} of the Domain's box lies inside its cuts at "
                             f"sqrt_s = {xs.params.sqrt_s:g} GeV: narrow the box (x, Q) to the allowed region")

    def _rejection(self, n, draw):
        lo, hi = self.domain.bounds.T
        out, have = [], 0
        while have < n:
            m = int(min(max(1.2 * (n - have) / self.acceptance, 1000), 1 << 22))
            X = lo + (hi - lo) * draw(m)
            X = X[self.domain.contains(*X.T, self.xs.params)]
            out.append(X)
            have += len(X)
        return np.concatenate(out)[:n]

    def uniform(self, n, rng) -> np.ndarray:
        """n points uniform in the domain's box inside its cuts (rejection sampling)."""
        return self._rejection(n, lambda m: rng.random((m, 4)))

    def sobol(self, n, seed) -> np.ndarray:
        """n points of a scrambled Sobol sequence over the box, inside the cuts."""
        from scipy.stats import qmc
        sob = qmc.Sobol(4, scramble=True, seed=seed)
        return self._rejection(n, lambda m: sob.random(2 ** int(np.ceil(np.log2(max(m, 64))))))

    def sigma(self, n, state) -> np.ndarray:
        """n unweighted events distributed as sigma of ``state`` (the integrator's sampler)."""
        return self.integrator.sample(self.xs, n, adapt_to=state, progress=False).points[:, :4]

    def grid(self, n_target) -> np.ndarray:
        """A uniform grid (cell centres, k per axis) over the box, inside the cuts, with about n_target points:
        the earlier study's design."""
        best = None
        lo, hi = self.domain.bounds.T
        for k in range(2, 200):
            axes = [a + (b - a) * (np.arange(k) + 0.5) / k for a, b in zip(lo, hi)]
            G = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 4)
            G = G[self.domain.contains(*G.T, self.xs.params)]
            if best is None or abs(len(G) - n_target) < abs(len(best) - n_target):
                best = G
            if len(G) > n_target:
                break
        return best
