"""Book tooling: what builds and re-runs the site, apart from the library a user imports for training (no
module outside this package imports it, a tested rule).

* :mod:`dicecore.book.params` — the chapters' papermill parameters, their profiles, devices and seeds;
* :mod:`dicecore.book.chapters` — re-running a chapter (``dicecore run``);
* :mod:`dicecore.book.provenance` — the box at the top of each chapter page;
* :mod:`dicecore.book.style` — the plot style of the figures;
* :mod:`dicecore.book.reader` — how Jupyter Book reads a chapter (``nb_custom_formats`` in ``_config.yml``:
  :func:`~dicecore.book.reader.read_chapter`);
* :mod:`dicecore.book.sitecheck` — the browser check of the built site.
"""

from dicecore.book.reader import inputs_digest, read_chapter

__all__ = ["read_chapter", "inputs_digest"]
