"""Hypothesis profiles for the fuzz tests: bounded and repeatable by default, long with FUZZ=long.

The profiles are applied per test (`@settings(PROFILE)`), not loaded globally, so the rest
of the suite keeps Hypothesis's own defaults.
"""

import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("FUZZ") == "long"

# The same examples on every run, so a CI failure is reproducible and the suite stays
# within its time budget (make test runs this folder on SQLite and on PostgreSQL).
settings.register_profile(
    "fuzz-ci", derandomize=True, database=None, deadline=None, print_blob=True,
    # Examples go through real databases and HTTP; slowness is expected, not a smell.
    suppress_health_check=[HealthCheck.too_slow])
# make fuzz: fresh random examples each run, a few minutes in all.
settings.register_profile(
    "fuzz-long", derandomize=False, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])

PROFILE = settings.get_profile("fuzz-long" if LONG else "fuzz-ci")


def examples(default: int, long: int) -> int:
    """How many examples a test runs in this mode."""
    return long if LONG else default
