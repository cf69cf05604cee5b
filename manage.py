#!/usr/bin/env python
"""Django's command-line utility for AX Connect."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "axconnect.settings")
    from django.core.management import execute_from_command_line

    from axconnect.env import ProductionSettingsMissing

    try:
        execute_from_command_line(sys.argv)
    except ProductionSettingsMissing as missing:
        sys.exit(str(missing))  # one message, not a traceback


if __name__ == "__main__":
    main()
