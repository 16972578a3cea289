"""Closed-form analyses behind the chapters (no training): ε and empty maps (Eq. 5), volume bias."""
