from tests.engine.conftest import rig, signing_keys  # noqa: F401 - the engine rig, reused
