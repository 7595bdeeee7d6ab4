"""Every docstring example in the package runs and shows what it claims (doctest)."""
import doctest
import importlib
import pkgutil

import pytest

import rairpredict

MODULES = sorted(m.name for m in pkgutil.walk_packages(rairpredict.__path__, "rairpredict."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):  # globals: a copy of the module namespace, as --doctest-modules
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"


def test_public_modules_are_documented():
    undocumented = [n for n in MODULES if not (importlib.import_module(n).__doc__ or "").strip()]
    assert not undocumented, undocumented


def test_the_package_has_runnable_examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    n = sum(len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name), name))
    assert n >= 150, n
