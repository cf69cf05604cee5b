"""Re-encrypt every stored secret with the newest key in AXC_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old one after it), run this, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all secrets at rest with the newest encryption key."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_app_config("tenants").get_models():
            names = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            with transaction.atomic():
                # Reading decrypts with any key; saving encrypts with the first.
                for row in model._default_manager.select_for_update().all():
                    row.save(update_fields=names)
                    total += 1
        self.stdout.write(f"Re-encrypted secrets in {total} row(s).")
