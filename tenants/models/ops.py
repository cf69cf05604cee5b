"""Operations data in the public schema: metric values every process adds to, and the
agency health dashboard's entry in the admin."""

from __future__ import annotations

from django.db import models

from tenants.models.practice import Practice


class OpsMetric(models.Model):
    """One Prometheus sample: a counter that only grows, or a gauge set to its last value.

    Kept in PostgreSQL rather than in process memory because ticks run in qcluster
    processes on any number of machines, while /metrics is answered by a web process:
    the database is the one place they all share.
    """

    class Kind(models.TextChoices):
        COUNTER = "counter", "Counter"
        GAUGE = "gauge", "Gauge"

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    practice = models.CharField(max_length=63)  # the schema name
    label = models.CharField(max_length=40, blank=True)  # system or outcome, per metric
    value = models.FloatField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "practice", "label"], name="ops_metric_once")
        ]

    def __str__(self) -> str:
        return f"{self.name}{{{self.practice},{self.label}}} = {self.value}"


class PracticeHealth(Practice):
    """The practices as the health dashboard lists them (an admin entry, no table)."""

    class Meta:
        proxy = True
        verbose_name = "practice health"
        verbose_name_plural = "practice health"
