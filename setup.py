"""Build the Cython extensions of jpsi_fast, with OpenMP where the compiler has it.

OpenMP flags are chosen per compiler by compiling a tiny test program:
``-fopenmp`` (gcc, clang), ``-Xpreprocessor -fopenmp -lomp`` (Apple clang + libomp), ``/openmp`` (MSVC).
If none works the extensions are built without OpenMP (``prange`` then runs serially).
Set ``JPSI_FAST_OPENMP=0`` to force a build without OpenMP.
"""
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

MODULES = ["_openmp_helpers", "_pdf", "_fragmentation", "_kernels", "_integrand", "_lab", "_xsec_integrand", "_vegas"]
OMP_TEST = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel reduction(+:n)\nn+=1;\nreturn n>0?0:1;}\n"


def _openmp_candidates(compiler_type):
    if compiler_type == "msvc":
        return [(["/openmp"], [])]
    if sys.platform == "darwin":
        prefix = os.environ.get("LIBOMP_PREFIX", "/opt/homebrew/opt/libomp")
        inc, lib = f"-I{prefix}/include", f"-L{prefix}/lib"
        return [(["-fopenmp"], ["-fopenmp"]),
                (["-Xpreprocessor", "-fopenmp", inc], [lib, "-lomp"]),
                (["-Xpreprocessor", "-fopenmp", "-I/usr/local/opt/libomp/include"],
                 ["-L/usr/local/opt/libomp/lib", "-lomp"])]
    return [(["-fopenmp"], ["-fopenmp"])]


def _compiles(compiler, cflags, ldflags):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "omp_test.c"
        src.write_text(OMP_TEST)
        try:
            objs = compiler.compile([str(src)], output_dir=tmp, extra_postargs=cflags)
            compiler.link_executable(objs, str(Path(tmp) / "omp_test"), extra_postargs=ldflags)
        except Exception:
            return False
    return True


class BuildExt(build_ext):
    def build_extensions(self):
        ctype = self.compiler.compiler_type
        # -fno-trapping-math lets the vectorizer if-convert the selects of the SIMD kernel (_simd.h); like
        # -fno-math-errno it changes no value. -ffp-contract=off: no fused multiply-adds, so the AVX2/AVX-512
        # paths round every operation as the scalar kernel does (they differ from it by the exp rounding only)
        opt = ["/O2"] if ctype == "msvc" else ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"]
        omp_c, omp_l = [], []
        if os.environ.get("JPSI_FAST_OPENMP", "1") != "0":
            for cflags, ldflags in _openmp_candidates(ctype):
                if _compiles(self.compiler, cflags, ldflags):
                    omp_c, omp_l = cflags, ldflags
                    break
        print(f"jpsi_fast: OpenMP {'enabled: ' + ' '.join(omp_c) if omp_c else 'disabled'}")
        simd = []              # without OpenMP, `#pragma omp simd` alone (no runtime library) where supported
        if not omp_c and ctype != "msvc" and _compiles(self.compiler, ["-fopenmp-simd"], []):
            simd = ["-fopenmp-simd", "-DJF_OPENMP_SIMD=1"]
        for ext in self.extensions:
            ext.extra_compile_args = opt + omp_c + simd
            ext.extra_link_args = list(omp_l)
            ext.define_macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                                 ("JPSI_FAST_OPENMP", "1" if omp_c else "0")]
        super().build_extensions()


extensions = [Extension(f"jpsi_fast.{m}", [f"src/jpsi_fast/{m}.pyx"], include_dirs=[np.get_include()])
              for m in MODULES]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3, "boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False, "nonecheck": False},
    ),
    cmdclass={"build_ext": BuildExt},
)
