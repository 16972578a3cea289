"""The API reference (book/api.md) shows every module of the package, each through its ``__all__``."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from sphinx.pycode import ModuleAnalyzer

import dicecore

ROOT = Path(__file__).resolve().parent.parent
API = (ROOT / "book" / "api.md").read_text()
MODULES = ["dicecore"] + [m.name for m in pkgutil.walk_packages(dicecore.__path__, "dicecore.")]


@pytest.mark.parametrize("name", MODULES)
def test_every_module_is_on_the_api_page(name):
    assert re.search(rf"^\.\. automodule:: {re.escape(name)}$", API, flags=re.M), f"{name} is missing from book/api.md"


def test_members_follow_each_modules_all():
    """No hand-written member lists: autodoc takes a module's ``__all__``, so a new name cannot be forgotten."""
    assert not re.search(r":members: \S", API)
    assert set(re.findall(r"^\.\. automodule:: (\S+)$", API, flags=re.M)) == set(MODULES)


@pytest.mark.parametrize("name", [m for m in MODULES if not hasattr(importlib.import_module(m), "__path__")])
def test_every_public_name_is_documented(name):
    """Each module declares ``__all__``; each of its names has a docstring (or a ``#:`` comment for a
    constant), since autodoc leaves undocumented members out of the page."""
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name}: no __all__"
    comments = {attr for scope, attr in ModuleAnalyzer.for_module(name).find_attr_docs() if scope == ""}
    missing = []
    for attr in module.__all__:
        obj = getattr(module, attr)
        if getattr(obj, "__module__", None) not in (name, None) and (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # documented where it is defined
        if inspect.isfunction(obj) or inspect.isclass(obj) or hasattr(obj, "__wrapped__"):
            if not (obj.__doc__ or "").strip():
                missing.append(attr)
        elif attr not in comments:
            missing.append(attr)
    assert not missing, f"{name}: no docstring or #: comment for {missing}"


@pytest.mark.parametrize("name", [m for m in MODULES if not hasattr(importlib.import_module(m), "__path__")])
def test_constant_comments_do_not_open_with_a_colon(name):
    """Napoleon reads ``#: Sudre et al., Table 1: the median …`` as a type named "Sudre et al., Table 1",
    which the nitpicky build then cannot resolve; such a first line needs a dash, not a colon."""
    import re

    public = set(importlib.import_module(name).__all__)
    bad = [attr for (scope, attr), lines in ModuleAnalyzer.for_module(name).find_attr_docs().items()
           if scope == "" and attr in public and lines and re.search(r"^[^`]*?[^:]: ", lines[0])]
    assert not bad, f"{name}: the #: comment of {bad} opens with 'text: …'"
