"""What every test shares: one set of keys for the whole run, given in the environment, and
how property tests treat a busy machine.

Escalon keeps its keys outside the database (`escalon.keys`). The tests give them the way an
operator may, in `ESCALON_KEYS`, so the API, the CLI and the worker processes the tests start
all sign and seal with the same key, and no test writes a key file into the working tree.
Tests of the key file itself pass `keys=None` to their settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from escalon import keys

os.environ.setdefault("ESCALON_KEYS", keys.encode_secret(keys.new_master_key().secret))

# Property tests judge what the code does, never how fast a busy machine generates examples or
# runs one: the speed of the code is measured in bench/, where it is compared, not guessed.
settings.register_profile("escalon", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("escalon")
