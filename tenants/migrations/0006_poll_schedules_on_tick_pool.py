"""Practices' poll schedules run the tick-pool task (integrations.tasks.practice_poll_start)
instead of running the tick as the task itself."""

from django.db import migrations

OLD, NEW = "integrations.tasks.practice_poll", "integrations.tasks.practice_poll_start"


def _rename(apps, old: str, new: str) -> None:
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__startswith="poll:", func=old).update(func=new)


def forwards(apps, schema_editor):
    _rename(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_admin_names"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
