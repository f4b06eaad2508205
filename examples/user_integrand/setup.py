"""Build the example integrand: ``python setup.py build_ext --inplace`` (needs Cython, a C compiler, NumPy and an
installed jpsi_fast, whose .pxd files it cimports)."""
from Cython.Build import cythonize
from setuptools import Extension, setup

import jpsi_fast

setup(
    name="gaussian_peak_example",
    ext_modules=cythonize([Extension("gaussian_peak", ["gaussian_peak.pyx"])],
                          include_path=[jpsi_fast.get_include()], language_level=3),
)
