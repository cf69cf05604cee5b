"""Which GoHighLevel pipeline and stage each canonical stage of the spec is."""

from __future__ import annotations

from django.db import models

from integrations.categories import STAGE_LABELS, Stage

STAGE_CHOICES = [
    (stage.value, f"{stage.pipeline.value.replace('_', '-').title()}: {label}")
    for stage, label in STAGE_LABELS.items()
]


class StageMapping(models.Model):
    canonical_stage = models.CharField(max_length=40, choices=STAGE_CHOICES, unique=True)
    ghl_pipeline_id = models.CharField(max_length=64)
    ghl_pipeline_name = models.CharField(max_length=200, blank=True)
    ghl_stage_id = models.CharField(max_length=64)
    ghl_stage_name = models.CharField(max_length=200, blank=True)
    confirmed_by = models.CharField(max_length=150, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["canonical_stage"]

    def __str__(self) -> str:
        return f"{Stage(self.canonical_stage).label} -> {self.ghl_stage_name or self.ghl_stage_id}"
