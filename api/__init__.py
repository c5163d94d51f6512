"""Adapters over the :mod:`classifier` library: the ``greentrade`` CLI (and, later, the HTTP API)."""
