"""Shared fixtures for the server tests."""

from __future__ import annotations


import pytest


from tests.thread_check import no_threads_left_behind  # noqa: E402,F401  (autouse)

from tests.legacy_era import legacy_era  # noqa: E402,F401  (pins the legacy wire)
