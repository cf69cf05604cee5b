"""The simulated Nextech (both flavors): part of the product, for demos, training and tests."""

from integrations.nextech.sandbox.app import NextechSandbox, make_app
from integrations.nextech.sandbox.seed import seed_demo_week
from integrations.nextech.sandbox.state import PracticeConfig, PracticeState, SandboxState

__all__ = ["NextechSandbox", "PracticeConfig", "PracticeState", "SandboxState", "make_app",
           "seed_demo_week"]
