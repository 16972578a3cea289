"""Book tooling: what builds and re-runs the site, apart from the library a user imports for training.

:func:`~dicecore.book.reader.read_chapter` is how Jupyter Book reads a chapter (``nb_custom_formats`` in ``_config.yml``).
"""

from dicecore.book.reader import inputs_digest, read_chapter

__all__ = ["read_chapter", "inputs_digest"]
