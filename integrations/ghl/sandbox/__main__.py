"""Serve the GoHighLevel sandbox over HTTP with the demo location: `make demo` runs this."""

from __future__ import annotations

import argparse
import threading

from integrations.ghl.sandbox.app import make_app
from integrations.ghl.sandbox.seed import seed_demo_location
from integrations.sandbox_kit.transport import BackgroundServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--webhook-url", default=None)
    options = parser.parse_args()
    app = make_app(webhook_url=options.webhook_url)
    location = seed_demo_location(state=app.state)
    server = BackgroundServer(app, port=options.port).start()
    print(f"GoHighLevel sandbox on {server.url} (demo location {location.id})", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
