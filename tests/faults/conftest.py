from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import catalog_seed
from integrations.nextech.sandbox.state import PracticeConfig
from integrations.sandbox_kit.transport import BackgroundServer
from tests.faults.world import SERVED_GUID, SERVED_LOGIN, FaultRig, baseline_view, rig_make


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
    nextech, ghl = nextech_make_app(), ghl_make_app(keys=signing_keys, search_delay_seconds=0)
    emr = nextech.state.practice_register(PracticeConfig(
        practice_id=SERVED_GUID, flavor="select", server_version="17.0",
        client_id=f"{SERVED_LOGIN}-client", username=f"{SERVED_LOGIN}@nextech-api.com",
        password=f"{SERVED_LOGIN}-pass", resource="https://select.nextech-api.com/api"))
    catalog_seed(emr)
    servers = [BackgroundServer(nextech).start(), BackgroundServer(ghl).start()]
    yield {"nextech": servers[0].url, "ghl": servers[1].url, "ghl_app": ghl, "emr": emr}
    for server in servers:
        server.stop()
