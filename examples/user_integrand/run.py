"""Integrate, histogram-free, and sample the user-written integrand (after building it, see README.md)."""
import math

import jpsi_fast as jf
from gaussian_peak import GaussianPeak

peak = GaussianPeak(dim=4, centre=0.3, width=0.02)
integ = jf.Integrator([(0.0, 1.0)] * 4, seed=1)
res = integ.integrate(peak, nitn=10, neval=50_000, warmup=5)
print(res.summary())
exact = (0.5 * (math.erf(0.7 / (0.02 * math.sqrt(2))) + math.erf(0.3 / (0.02 * math.sqrt(2))))) ** 4
print(f"exact integral {exact:.10f}; first moment / integral = {res[1].mean / res[0].mean:.5f} (centre 0.3)")
events = integ.sample(peak, 10_000)
print(f"10,000 events, mean u0 = {events.points[:, 0].mean():.4f}, efficiency {events.efficiency:.3f}")
