"""Mutation fuzzing of the lhagrid1 reader over the real NNPDF3.1 LO member (docs/physics.md §6).

Property: every mutant of the member file is either rejected with PDFFileError (a ValueError naming the file and
line), or loads and gives values IDENTICAL to the original at a fixed set of (pid, x, Q) probes. The member lies in
a set directory beside a .info with the set's ranges and flavours, as LHAPDF sets do (that is what lets a file cut
exactly at a subgrid boundary be told from a smaller grid).

Mutations are corruptions a download, an editor or a faulty writer can make: truncation at any byte, deleted,
duplicated, swapped (structural) lines, characters replaced by ones that cannot belong to a number, non-finite
numbers, non-UTF-8 bytes, duplicate flavour ids, knots out of order, a broken subgrid boundary, blank lines,
whitespace and line-ending changes. Not generated: changes that make another valid file (a digit changed, two
value lines of one subgrid swapped), which no reader can detect.

Default: 300 mutants (~20 s); ``-m slow``: 5,000. Run with ``-s`` to see the counts per mutation.
"""
from collections import Counter

import numpy as np
import pytest

from jpsi_fast.pdf import LHAGrid, PDFFileError

SET = "NNPDF31_lo_as_0118"
INFO = """SetDesc: "NNPDF3.1 LO, alphas(MZ)=0.118 (test copy of member 0)"
Authors: NNPDF Collaboration
Format: lhagrid1
DataVersion: 1
NumMembers: 1
Particle: 2212
Flavors: [-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5]
OrderQCD: 0
ForcePositive: 0
ErrorType: replicas
XMin: 1.000000e-09
XMax: 1.000000e+00
QMin: 1.650000e+00
QMax: 1.000000e+05
"""
PROBE_PIDS = [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 21]
PROBE_X = [1e-9, 3.3e-7, 1e-4, 0.0123, 0.1, 0.37, 0.8, 0.999, 0.99999]
PROBE_Q = [1.65, 2.0, 4.92, 5.0, 10.0, 91.2, 1e3, 1e5]
DEFAULT_MUTANTS = 300
SLOW_MUTANTS = 5000
SEED = 20240611

#: replacements that can never be part of a number, an id or a separator (ASCII and multi-byte UTF-8)
BAD_CHARS = [b"x", b"O", b"l", b"I", b"a", b"n", b"_", b",", b";", b"#", b"/", b"*", b"(", b"\x00", b"\x0c", b"\x1c",
             "\u00e9".encode(), "\u0661".encode(), "\u00a0".encode(), "\u2009".encode(), "\uff11".encode()]
NON_FINITE = [b"nan", b"NaN", b"inf", b"-inf", b"+Infinity", b"1e999", b"-1.0e+400"]
NON_UTF8 = [b"\xff", b"\xfe", b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]


class Mutator:
    """Seeded mutations of an lhagrid1 member file (bytes)."""

    def __init__(self, raw: bytes):
        self.raw = raw
        self.lines = raw.split(b"\n")            # the last element is b"" after the final newline
        seps = [i for i, line in enumerate(self.lines) if line.strip() == b"---"]
        self.seps = seps
        self.knot_lines = [s + k for s in seps[:-1] for k in (1, 2)]
        self.flavour_lines = [s + 3 for s in seps[:-1]]
        self.structural = sorted(set(range(seps[0])) | set(seps) | set(self.knot_lines) | set(self.flavour_lines))
        self.value_lines = [i for i in range(seps[0] + 1, seps[-1]) if i not in set(self.structural)]
        self.ops = [getattr(self, name) for name in sorted(dir(self)) if name.startswith("op_")]

    def mutate(self, rng):
        op = self.ops[rng.integers(len(self.ops))]
        return op.__name__[3:], op(rng, list(self.lines))

    @staticmethod
    def join(lines):
        return b"\n".join(lines)

    def any_line(self, rng):
        return int(rng.integers(len(self.lines) - 1))

    def op_truncate_bytes(self, rng, lines):
        return self.raw[:int(rng.integers(len(self.raw) + 1))]

    def op_truncate_after_separator(self, rng, lines):
        s = self.seps[int(rng.integers(len(self.seps)))]
        return self.join(lines[:s + 1]) + b"\n"

    def op_delete_line(self, rng, lines):
        pool = self.structural if rng.random() < 0.5 else range(len(lines) - 1)
        del lines[int(rng.choice(pool))]
        return self.join(lines)

    def op_duplicate_line(self, rng, lines):
        pool = self.structural if rng.random() < 0.5 else range(len(lines) - 1)
        i = int(rng.choice(pool))
        lines.insert(i, lines[i])
        return self.join(lines)

    def op_swap_structural_line(self, rng, lines):
        i = int(rng.choice(self.structural))
        j = self.any_line(rng)
        lines[i], lines[j] = lines[j], lines[i]
        return self.join(lines)

    def op_replace_char(self, rng, lines):
        i = int(rng.choice(self.structural)) if rng.random() < 0.4 else self.any_line(rng)
        line = lines[i]
        if not line:
            return self.join(lines)
        k = int(rng.integers(len(line)))
        lines[i] = line[:k] + BAD_CHARS[rng.integers(len(BAD_CHARS))] + line[k + 1:]
        return self.join(lines)

    def op_insert_char(self, rng, lines):
        i = self.any_line(rng)
        k = int(rng.integers(len(lines[i]) + 1))
        lines[i] = lines[i][:k] + BAD_CHARS[rng.integers(len(BAD_CHARS))] + lines[i][k:]
        return self.join(lines)

    def op_non_finite(self, rng, lines):
        i = int(rng.choice(self.knot_lines)) if rng.random() < 0.2 else int(rng.choice(self.value_lines))
        tokens = lines[i].split()
        tokens[int(rng.integers(len(tokens)))] = NON_FINITE[rng.integers(len(NON_FINITE))]
        lines[i] = b" ".join(tokens)
        return self.join(lines)

    def op_non_utf8(self, rng, lines):
        k = int(rng.integers(len(self.raw) + 1))
        return self.raw[:k] + NON_UTF8[rng.integers(len(NON_UTF8))] + self.raw[k:]

    def op_duplicate_flavour(self, rng, lines):
        i = int(rng.choice(self.flavour_lines))
        tokens = lines[i].split()
        a, b = rng.choice(len(tokens), 2, replace=False)
        tokens[a] = tokens[b]
        lines[i] = b" ".join(tokens)
        return self.join(lines)

    def op_flavour_order(self, rng, lines):
        i = int(rng.choice(self.flavour_lines))
        tokens = lines[i].split()
        a, b = rng.choice(len(tokens), 2, replace=False)
        tokens[a], tokens[b] = tokens[b], tokens[a]
        lines[i] = b" ".join(tokens)
        return self.join(lines)

    def op_swap_knots(self, rng, lines):
        i = int(rng.choice(self.knot_lines))
        tokens = lines[i].split()
        a = int(rng.integers(len(tokens) - 1))
        tokens[a], tokens[a + 1] = tokens[a + 1], tokens[a]
        lines[i] = b" ".join(tokens)
        return self.join(lines)

    def op_subgrid_boundary(self, rng, lines):
        i = self.knot_lines[3]                   # Q knots of the second subgrid: its first knot is shared
        tokens = lines[i].split()
        tokens[0] = repr(float(tokens[0]) * (1 + rng.choice([-1e-3, 1e-6, 1e-12]))).encode()
        lines[i] = b" ".join(tokens)
        return self.join(lines)

    def op_blank_line(self, rng, lines):
        lines.insert(int(rng.integers(len(lines))), b" " * int(rng.integers(3)))
        return self.join(lines)

    def op_whitespace(self, rng, lines):
        kind = int(rng.integers(4))
        if kind == 0:
            return self.raw.replace(b"\n", b"\r\n")
        if kind == 1:
            return self.raw.rstrip(b"\n")
        if kind == 2:
            return self.raw + b"\n  \n"
        i = self.any_line(rng)
        lines[i] = lines[i].replace(b" ", rng.choice([b"  ", b"\t", b" \t "]), 1) + b" "
        return self.join(lines)


def _set_dir(tmp_path):
    d = tmp_path / SET
    d.mkdir()
    (d / f"{SET}.info").write_text(INFO)
    return d / f"{SET}_0000.dat"


def _probe(pdf):
    pid, x, Q = np.meshgrid(PROBE_PIDS, PROBE_X, PROBE_Q, indexing="ij")
    return pdf.xfxQ(pid, x, Q)


def run_fuzz(tmp_path, nnpdf_path, n_mutants, seed=SEED):
    """Counts (tried, rejected, accepted identical, accepted different) and per-mutation tallies."""
    raw = nnpdf_path.read_bytes()
    member = _set_dir(tmp_path)
    member.write_bytes(raw)
    original = _probe(LHAGrid(member))
    mut = Mutator(raw)
    rng = np.random.default_rng(seed)
    tally, different = Counter(), []
    for k in range(n_mutants):
        name, data = mut.mutate(rng)
        member.write_bytes(data)
        try:
            pdf = LHAGrid(member)
        except PDFFileError as exc:
            assert str(member) in str(exc), exc         # names the file (and a line, checked in test_pdf.py)
            tally[name, "rejected"] += 1
            continue
        try:
            same = np.array_equal(_probe(pdf), original)
        except ValueError:                              # loaded, but a probe inside the set's range is refused
            same = False
        tally[name, "identical" if same else "DIFFERENT"] += 1
        if not same:
            different.append((k, name))
    counts = {key: sum(v for (_, kind), v in tally.items() if kind == key)
              for key in ("rejected", "identical", "DIFFERENT")}
    return counts, tally, different


def _report(n, counts, tally):
    print(f"\nlhagrid1 fuzz: {n} mutants, {counts['rejected']} rejected (PDFFileError), {counts['identical']} "
          f"accepted with identical values, {counts['DIFFERENT']} accepted with different values")
    for name in sorted({name for name, _ in tally}):
        print(f"  {name:24s} " + "  ".join(f"{kind} {tally[name, kind]}" for kind in ("rejected", "identical",
                                                                                     "DIFFERENT")))


def test_fuzz_lhagrid_reader(tmp_path, nnpdf_path):
    counts, tally, different = run_fuzz(tmp_path, nnpdf_path, DEFAULT_MUTANTS)
    _report(DEFAULT_MUTANTS, counts, tally)
    assert not different, f"mutants loaded with different values: {different[:10]}"
    assert counts["rejected"] > DEFAULT_MUTANTS // 2                # the corpus mostly corrupts


@pytest.mark.slow
def test_fuzz_lhagrid_reader_many(tmp_path, nnpdf_path):
    counts, tally, different = run_fuzz(tmp_path, nnpdf_path, SLOW_MUTANTS, seed=SEED + 1)
    _report(SLOW_MUTANTS, counts, tally)
    assert not different, f"mutants loaded with different values: {different[:10]}"


def test_mutator_covers_every_mutation(nnpdf_path):
    """The seeded corpus uses every mutation operator (a new operator cannot silently drop out)."""
    mut = Mutator(nnpdf_path.read_bytes())
    rng = np.random.default_rng(SEED)
    names = {mut.mutate(rng)[0] for _ in range(DEFAULT_MUTANTS)}
    assert names == {op.__name__[3:] for op in mut.ops}
