"""The GoHighLevel sandbox: a faithful simulator that is part of the product.

`make_app(...)` builds the WSGI app; `seed_demo_location(state=app.state)` gives
`make demo` its practice; `python -m integrations.ghl.sandbox` serves it over HTTP.
"""

from integrations.ghl.sandbox.app import GhlSandbox, make_app
from integrations.ghl.sandbox.seed import DEMO_LOCATION_ID, location_create, seed_demo_location

__all__ = ["DEMO_LOCATION_ID", "GhlSandbox", "location_create", "make_app", "seed_demo_location"]
