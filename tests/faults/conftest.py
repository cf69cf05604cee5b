from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from integrations.ghl.sandbox.signing import SigningKeys
from tests.faults.world import FaultRig, baseline_view, rig_make, sandboxes_served


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys.generate()


@pytest.fixture
def make_rig(signing_keys) -> Callable[[], FaultRig]:
    return lambda: rig_make(signing_keys)


@pytest.fixture
def rig(in_practice, make_rig) -> FaultRig:
    """Sandboxes wired to practice A (active) through its stored credentials."""
    rig = make_rig()
    rig.connect(in_practice)
    return rig


@pytest.fixture
def baseline(in_practice, make_rig) -> dict[str, Any]:
    """The CRM after the week with no fault: every scenario must end equal to it."""
    return baseline_view(make_rig, in_practice)


@pytest.fixture
def served(signing_keys):
    """Both sandboxes served over real HTTP, for tests that run other processes: one
    Nextech practice (`served_practice` connects practices to it) and the CRM sandbox."""
    with sandboxes_served(signing_keys) as served:
        yield served
