from __future__ import annotations

import pytest

from integrations.clock import SimulatedClock
from integrations.ghl.sandbox.signing import SigningKeys
from tests.support.rig import EngineRig


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys.generate()


@pytest.fixture
def rig(in_practice, signing_keys) -> EngineRig:
    rig = EngineRig(clock=SimulatedClock(), keys=signing_keys)
    rig.crm_setup()
    return rig
