"""Opening hours, a slow interval and a daily Nextech call budget per practice; Nextech
calls counted per practice and day; poll schedules pass their slot to the task, so the
next poll is planned from the slot rather than from when the tick happened to start."""

import django.core.validators
import django.db.models.deletion
import tenants.models.practice
from django.db import migrations, models


SLOT_KWARG = "slot"


def _slot_kwarg(apps, value) -> None:
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__startswith="poll:").update(intended_date_kwarg=value)


def forwards(apps, schema_editor):
    _slot_kwarg(apps, SLOT_KWARG)


def backwards(apps, schema_editor):
    _slot_kwarg(apps, None)


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0006_poll_schedules_on_tick_pool'),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name='practice',
            name='nextech_daily_call_budget',
            field=models.PositiveIntegerField(blank=True, help_text="Leave empty for no cap. Polling slows down in opening hours when the day's projected calls would exceed it (the day is the practice's local day).", null=True, validators=[django.core.validators.MinValueValidator(1)], verbose_name='Nextech calls per day'),
        ),
        migrations.AddField(
            model_name='practice',
            name='opening_hours',
            field=models.TextField(default='Mon-Sat 07:00-19:00', help_text="One line per rule, in the practice's time zone unless a line starts with another (a location elsewhere): 'Mon-Sat 07:00-19:00', 'America/Chicago Sat 09:00-13:00'.", validators=[tenants.models.practice.validate_opening_hours]),
        ),
        migrations.AddField(
            model_name='practice',
            name='slow_poll_interval_minutes',
            field=models.PositiveSmallIntegerField(default=30, help_text='Nights and closed days.', validators=[django.core.validators.MinValueValidator(1)], verbose_name='poll interval when closed (minutes)'),
        ),
        migrations.AlterField(
            model_name='practice',
            name='poll_interval_minutes',
            field=models.PositiveSmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(1)], verbose_name='poll interval in opening hours (minutes)'),
        ),
        migrations.CreateModel(
            name='NextechCallDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('calls', models.PositiveIntegerField(default=0)),
                ('polls', models.PositiveIntegerField(default=0)),
                ('interval_seconds', models.PositiveIntegerField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='nextech_call_days', to='tenants.practice')),
            ],
            options={
                'ordering': ['-day'],
                'constraints': [models.UniqueConstraint(fields=('practice', 'day'), name='nextech_call_day_once')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
