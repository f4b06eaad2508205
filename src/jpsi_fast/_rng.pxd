# Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11, "Parallel random numbers: as easy as
# 1, 2, 3"). A stream is keyed by the 64-bit seed and addressed by a 128-bit counter, so any chunk or
# hypercube of any iteration regenerates its numbers independently of which thread runs it.
from libc.stdint cimport uint32_t, uint64_t

cdef struct Philox:
    uint32_t key[2]
    uint32_t ctr[4]
    double buf[2]
    int nbuf


cdef inline void philox_round(uint32_t* c, uint32_t* k) noexcept nogil:
    cdef uint64_t p0 = <uint64_t>0xD2511F53 * c[0]
    cdef uint64_t p1 = <uint64_t>0xCD9E8D57 * c[2]
    cdef uint32_t hi0 = <uint32_t>(p0 >> 32), lo0 = <uint32_t>p0
    cdef uint32_t hi1 = <uint32_t>(p1 >> 32), lo1 = <uint32_t>p1
    c[0] = hi1 ^ c[1] ^ k[0]
    c[1] = lo1
    c[2] = hi0 ^ c[3] ^ k[1]
    c[3] = lo0


cdef inline void philox_block(const uint32_t* ctr, const uint32_t* key, uint32_t* out) noexcept nogil:
    """Philox4x32 with 10 rounds: 4 random 32-bit words for counter ``ctr`` under ``key``."""
    cdef uint32_t k[2]
    cdef int r
    k[0] = key[0]
    k[1] = key[1]
    out[0] = ctr[0]
    out[1] = ctr[1]
    out[2] = ctr[2]
    out[3] = ctr[3]
    for r in range(10):
        philox_round(out, k)
        k[0] += <uint32_t>0x9E3779B9
        k[1] += <uint32_t>0xBB67AE85


cdef inline void philox_init(Philox* g, uint64_t seed, uint32_t purpose, uint32_t iteration,
                             uint64_t index) noexcept nogil:
    """Stream for (seed, purpose, iteration, index); counter word 0 counts blocks within the stream."""
    g.key[0] = <uint32_t>seed
    g.key[1] = <uint32_t>(seed >> 32)
    g.ctr[0] = 0
    g.ctr[1] = (purpose << 24) ^ iteration
    g.ctr[2] = <uint32_t>index
    g.ctr[3] = <uint32_t>(index >> 32)
    g.nbuf = 0


cdef inline double philox_uniform(Philox* g) noexcept nogil:
    """Uniform double in [0, 1) with 53 random bits."""
    cdef uint32_t w[4]
    if g.nbuf == 0:
        philox_block(g.ctr, g.key, w)
        g.ctr[0] += 1
        g.buf[0] = ((w[0] >> 5) * 67108864.0 + (w[1] >> 6)) * (1.0 / 9007199254740992.0)
        g.buf[1] = ((w[2] >> 5) * 67108864.0 + (w[3] >> 6)) * (1.0 / 9007199254740992.0)
        g.nbuf = 2
    g.nbuf -= 1
    return g.buf[g.nbuf]
