"""The test suite's settings: production's, with the development defaults allowed.

Tests run without DEBUG (as production does) but on the embedded database, generated keys
and the sandboxes. Set before axconnect.settings is read, so the processes tests start
(qcluster, gunicorn, manage.py) inherit it.
"""

import os

os.environ.setdefault("AXC_DEVELOPMENT", "1")

from axconnect.settings import *  # noqa: E402,F403
