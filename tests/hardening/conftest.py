"""Shared fixtures."""

from tests.legacy_era import legacy_era  # noqa: E402,F401  (pins the legacy wire)
