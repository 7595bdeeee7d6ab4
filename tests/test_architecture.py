"""Data flows one way: no package imports a package at its own or a later layer.

raw cohort -> canonical table -> labels/features -> model -> scores/explanations
-> report; the experiment layer orchestrates them all, the CLI sits on top.
"""
import ast
from pathlib import Path

import pytest

import rairpredict

PACKAGE = Path(rairpredict.__file__).parent

#: Layer of every top-level module; a module may import strictly lower layers only.
LAYERS = {
    "__init__": 0, "errors": 0, "reference": 0, "resources": 0, "configfile": 0,
    "_workers": 0,  # joblib worker processes that leave Ctrl-C to the caller (training and evaluation)
    "cohort": 1,
    "simulation": 2.5,  # a producer of canonical tables; times its events with the label definitions

    "labels": 2,
    "features": 3,
    "models": 4,
    "evaluation": 5, "explain": 5, "tracking": 5,
    "scoring": 6,
    "report": 7,
    "experiment": 8,
    "cli": 9, "__main__": 10,
    "configs": 9,  # example scripts shipped with the configs (configs/examples/*/make_extract.py)
}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rairpredict"):
            parts = node.module.split(".")
            if len(parts) > 1:
                yield parts[1], node.lineno
            else:  # from rairpredict import x
                yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "rairpredict" and len(parts) > 1:
                    yield parts[1], node.lineno


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_top_level_module_has_a_layer():
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in MODULES}
    assert tops <= set(LAYERS), tops - set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_point_upstream_only(path):
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    bad = [(target, line) for target, line in _imports(path)
           if target != own and target in LAYERS and target != "__version__"
           and LAYERS[target] >= LAYERS[own] and LAYERS[target] > 0]
    assert not bad, f"{path.name} imports downstream/peer packages {bad}"


def test_the_check_catches_a_downstream_import(tmp_path):
    fake = tmp_path / "calibration.py"
    fake.write_text("from rairpredict.labels import add_labels\nimport rairpredict.scoring._frame\n"
                    "from rairpredict import tracking\n")
    assert sorted(_imports(fake)) == [("labels", 1), ("scoring", 2), ("tracking", 3)]
    assert all(LAYERS[t] > LAYERS["cohort"] for t, _ in _imports(fake))
