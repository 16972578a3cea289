"""Sphinx extension of the dicecore book: cross-references that resolve, and the chapters as notebooks to download.

The book builds nitpicky (``nitpicky: true`` in ``_config.yml``, warnings as errors), so every ``{py:…}``
reference and every type in a signature must resolve or the build fails. Two kinds would not on their own:

* **types of other libraries** (``torch.Tensor``, ``numpy.ndarray``, ``pandas.DataFrame``, ``os.PathLike``
  …): intersphinx would fetch their inventories from the web, which the build machines cannot reach, so
  :data:`EXTERNAL` maps each to its page in that library's documentation;
* **names re-exported by a package** (``dicecore.losses.dice_loss`` is documented where it is defined,
  ``dicecore.losses.dice.dice_loss``): :func:`resolve` imports the name and points the reference at the
  object's defining module; a type alias in a signature (``WeightLike``) points at its entry as data.

Every chapter page also offers its executed notebook: the ``.ipynb`` MyST-NB wrote while executing the
chapter is copied beside the page's sources and listed first in the page's download menu (the theme's own
"ipynb" entry). Its ``parameters`` cell keeps its tag, so ``papermill chapter.ipynb out.ipynb -p profile
paper`` runs it; the build-only digest in its ``kernelspec`` is removed.
"""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

from docutils import nodes

PYTORCH = "https://pytorch.org/docs/stable/"
NUMPY = "https://numpy.org/doc/stable/reference/"
PANDAS = "https://pandas.pydata.org/docs/reference/api/"
PYTHON = "https://docs.python.org/3/library/"

#: Types of other libraries, by the names autodoc and the docstrings use, and their documentation pages.
EXTERNAL = {
    "torch.Tensor": PYTORCH + "tensors.html#torch.Tensor",
    "torch.device": PYTORCH + "tensor_attributes.html#torch.device",
    "torch.dtype": PYTORCH + "tensor_attributes.html#torch.dtype",
    "torch.Generator": PYTORCH + "generated/torch.Generator.html",
    "torch._C.Generator": PYTORCH + "generated/torch.Generator.html",
    "torch.nn.Module": PYTORCH + "generated/torch.nn.Module.html",
    "torch.nn.modules.module.Module": PYTORCH + "generated/torch.nn.Module.html",
    "Module": PYTORCH + "generated/torch.nn.Module.html",
    "numpy.ndarray": NUMPY + "generated/numpy.ndarray.html",
    "np.ndarray": NUMPY + "generated/numpy.ndarray.html",
    "numpy.random.Generator": NUMPY + "random/generator.html",
    "numpy.random._generator.Generator": NUMPY + "random/generator.html",
    "pandas.DataFrame": PANDAS + "pandas.DataFrame.html",
    "pd.DataFrame": PANDAS + "pandas.DataFrame.html",
    "pandas.Series": PANDAS + "pandas.Series.html",
    "os.PathLike": PYTHON + "os.html#os.PathLike",
    "pathlib.Path": PYTHON + "pathlib.html#pathlib.Path",
    "concurrent.futures.Executor": PYTHON + "concurrent.futures.html#concurrent.futures.Executor",
    "concurrent.futures._base.Executor": PYTHON + "concurrent.futures.html#concurrent.futures.Executor",
    "matplotlib.figure.Figure": "https://matplotlib.org/stable/api/_as_gen/matplotlib.figure.Figure.html",
    "matplotlib.axes.Axes": "https://matplotlib.org/stable/api/_as_gen/matplotlib.axes.Axes.html",
}


def _canonical(target: str):
    """``dicecore.losses.dice_loss`` → ``dicecore.losses.dice.dice_loss`` (where the object is defined)."""
    module, _, name = target.rpartition(".")
    if not module.startswith("dicecore"):
        return None
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    home = getattr(obj, "__module__", None)
    if not isinstance(home, str) or home == module:
        return None
    return f"{home}.{getattr(obj, '__qualname__', name)}"


def resolve(app, env, node, contnode):
    """``missing-reference``: another library's type → its page; a re-exported dicecore name → its definition."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if target in EXTERNAL:
        ref = nodes.reference("", "", internal=False, refuri=EXTERNAL[target], reftitle=target)
        ref.append(contnode)
        return ref
    domain = env.get_domain("py")
    module = node.get("py:module")
    if module and f"{module}.{target}" in domain.objects:  # a type alias in a signature: documented as data
        canonical = f"{module}.{target}"
    else:
        canonical = _canonical(target)
    if canonical is None or canonical not in domain.objects:
        return None
    node = node.deepcopy()
    node["reftarget"] = canonical
    return domain.resolve_xref(env, node["refdoc"], app.builder, "obj", canonical, node, contnode)


def _is_chapter(app, pagename: str) -> bool:
    return pagename.startswith("notebooks/") and (Path(app.srcdir) / f"{pagename}.py").is_file()


def offer_notebook(app, pagename, templatename, context, doctree):
    """``html-page-context`` (before the theme builds its buttons): the page's ``.ipynb`` in its download menu."""
    if _is_chapter(app, pagename):
        context["ipynb_source"] = f"{pagename}.ipynb"


def copy_notebooks(app, exception):
    """``build-finished``: the executed chapters, as MyST-NB wrote them, beside the pages' sources."""
    if exception is not None or app.builder.format != "html":
        return
    executed = Path(app.outdir).parent / "jupyter_execute"
    for docname in app.env.found_docs:
        if not _is_chapter(app, docname):
            continue
        source = executed / f"{docname}.ipynb"
        if not source.is_file():
            raise FileNotFoundError(f"{source}: the executed notebook of {docname} is missing; rebuild with --all.")
        nb = json.loads(source.read_text(encoding="utf-8"))
        nb.get("metadata", {}).get("kernelspec", {}).pop("dicecore_inputs", None)
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".ipynb.tmp")
        tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        shutil.move(tmp, target)


def setup(app):
    app.connect("missing-reference", resolve)
    app.connect("html-page-context", offer_notebook, priority=400)  # the theme's buttons: priority 501
    app.connect("build-finished", copy_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
