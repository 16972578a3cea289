"""Data: deterministic phantoms (default) and loaders for the public datasets' layouts."""
