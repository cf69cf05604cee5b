"""Run AX Connect locally with a demo practice and both sandboxes.

    python manage.py demo                    set up, then serve: web, qcluster and the sandboxes
    python manage.py demo --once             set up, run one poll for the demo practice, print
                                             JSON, exit
    python manage.py demo --add-practice N   with `make demo` running: a second practice and
                                             sub-account in its sandboxes, to onboard by hand

Stopping the demo (Ctrl-C, or SIGTERM at any moment) stops its web server and qcluster, and
the embedded PostgreSQL when no other process still uses it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from typing import Any

import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from integrations.demo import (
    DemoSandboxes,
    demo_counts,
    demo_practice_add,
    demo_practice_reset,
    demo_practice_setup,
    demo_sandboxes_start,
    demo_urls_env,
    demo_users_ensure,
)
from integrations.tasks import practice_poll

WEB_PORT, NEXTECH_PORT, GHL_PORT = 8000, 8101, 8102
# The demo's web server and sandboxes listen on this machine only: its users, password
# and generated keys are printed for anyone to read.
DEMO_BIND = "127.0.0.1"


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Set up and run the demo (see the module docstring)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true",
                            help="run one poll tick and exit, printing a JSON summary last")
        parser.add_argument("--sandboxes-only", action="store_true",
                            help="set up and serve only the sandboxes; run the web server and "
                                 "the qclusters yourself (the README's production shape)")
        parser.add_argument("--add-practice", metavar="NAME",
                            help="add a practice and sub-account called NAME to the running "
                                 "demo's sandboxes and print what to enter to onboard it")
        parser.add_argument("--port", type=int, default=WEB_PORT, help="the web server's port")
        parser.add_argument("--nextech-port", type=int, default=NEXTECH_PORT)
        parser.add_argument("--ghl-port", type=int, default=GHL_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["add_practice"]:
            self._add_practice(options)
            return
        # From the first moment: a SIGTERM unwinds like Ctrl-C, so the process exits
        # normally and the embedded PostgreSQL is stopped on the way out.
        signal.signal(signal.SIGTERM, _interrupt)
        with contextlib.suppress(KeyboardInterrupt):
            self._run(options)
        if not options["once"]:  # --once ends with its JSON line
            self.stdout.write("Demo stopped.")

    def _run(self, options: dict[str, Any]) -> None:
        call_command("migrate_schemas", verbosity=0, interactive=False)
        call_command("ops_schedules", verbosity=0)  # alert checks and the retention purge
        once, port = options["once"], options["port"]
        webhook_url = None if once else f"http://localhost:{port}/webhooks/ghl/"
        sandboxes = demo_sandboxes_start(nextech_port=0 if once else options["nextech_port"],
                                         ghl_port=0 if once else options["ghl_port"],
                                         webhook_url=webhook_url)
        try:
            practice = demo_practice_reset(sandboxes=sandboxes)
            setup = demo_practice_setup(practice=practice)
            users = demo_users_ensure(practice=practice)
            if once:
                self._once(sandboxes=sandboxes, practice=practice, setup=setup)
            elif options["sandboxes_only"]:
                self._urls(sandboxes=sandboxes, practice=practice, users=users, port=port)
                self.stdout.write("Serving the sandboxes only (Ctrl-C stops them).")
                threading.Event().wait()
            else:
                self._serve(sandboxes=sandboxes, practice=practice, users=users, port=port)
        finally:
            sandboxes.stop()

    def _add_practice(self, options: dict[str, Any]) -> None:
        try:
            added = demo_practice_add(
                name=options["add_practice"],
                nextech_url=f"http://127.0.0.1:{options['nextech_port']}",
                ghl_url=f"http://127.0.0.1:{options['ghl_port']}")
        except requests.ConnectionError:
            raise CommandError("The demo's sandboxes are not running: start `make demo` "
                               "first, then run this in another terminal.") from None
        self.stdout.write("\n".join(added.lines()))

    def _once(self, *, sandboxes: DemoSandboxes, practice: Any, setup: dict[str, Any]) -> None:
        result = practice_poll(practice.schema_name)
        counts = demo_counts(sandboxes=sandboxes, practice=practice)
        self.stdout.write(f"Set-up: {json.dumps(setup)}")
        summary = {
            "practices": 1,
            "events_processed": result.get("events_processed", 0),
            "contacts_in_crm": counts["contacts_in_crm"],
            "notes_in_crm": counts["notes_in_crm"],
            "opportunities_in_crm": counts["opportunities_in_crm"],
            "dead_letters": counts["dead_letters"],
            "errors": result.get("errors", 0) + (0 if setup.get("ok", True) else 1),
        }
        self.stdout.write(json.dumps(summary))

    def _serve(self, *, sandboxes: DemoSandboxes, practice: Any, users: dict[str, str],
               port: int) -> None:
        env = {**os.environ, **sandboxes.webhook_keys_env(), "DEBUG": "1",
               "AXC_PORT_SUFFIX": f":{port}",
               # Every practice added in the admin starts aimed at the sandboxes.
               **demo_urls_env(nextech_url=sandboxes.nextech_server.url,
                               ghl_url=sandboxes.ghl_server.url)}
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = [
            subprocess.Popen([*manage, "runserver", f"{DEMO_BIND}:{port}", "--noreload"], env=env),  # noqa: S603
            subprocess.Popen([*manage, "qcluster"], env=env),  # noqa: S603
        ]
        self.stdout.write(self.style.SUCCESS("\nAX Connect demo is running (Ctrl-C stops it)\n"))
        self._urls(sandboxes=sandboxes, practice=practice, users=users, port=port)
        try:
            for child in children:
                child.wait()
        except KeyboardInterrupt:
            pass
        finally:
            # SIGINT, as Ctrl-C sends: both exit normally and release their handle on the
            # embedded PostgreSQL (a SIGTERM'd runserver would exit without doing so).
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()

    def _urls(self, *, sandboxes: DemoSandboxes, practice: Any, users: dict[str, str],
              port: int) -> None:
        self.stdout.write(f"  Agency admin:    http://localhost:{port}/admin/   "
                          f"user {users['agency']}")
        self.stdout.write(f"  Practice portal: http://{practice.slug}.localhost:{port}/   "
                          f"user {users['portal']}")
        self.stdout.write(f"  Practice admin:  http://{practice.slug}.localhost:{port}/admin/")
        self.stdout.write(f"  Password (both): {users['password']}")
        self.stdout.write(f"  Nextech sandbox: {sandboxes.nextech_server.url}/_sandbox/state")
        self.stdout.write(f"  GHL sandbox:     {sandboxes.ghl_server.url}/_sandbox/locations/"
                          f"{sandboxes.ghl_location_id}/state")
        self.stdout.write("  A second practice to onboard by hand: python manage.py demo "
                          "--add-practice 'Name'\n")
