"""Warm worker processes for API-direct downloads (see :mod:`.pool` for why processes)."""
