"""What staff do in Nextech during a benchmark: each change touches an appointment no
other change of the run touches, so its CRM note tells exactly when it arrived."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from bench.workload import bench_patient_add, visit_book
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.seed import LOCAL
from integrations.nextech.sandbox.state import PracticeState

FIRST_NEW_PATIENT = 500_000  # numbering apart from any seeded patient's


@dataclass
class Staff:
    """Makes one realistic change at a time: a booking by a known patient (half), a new
    patient's first booking (a fifth), or an upcoming visit's outcome (the rest)."""

    emr: PracticeState
    rng: random.Random
    new_patients: int = 0
    touched: set[str] = field(default_factory=set)

    def change(self) -> str:
        """Make a change now; returns the appointment it touched."""
        roll = self.rng.random()
        today = self.emr.clock.now().astimezone(LOCAL).date()
        day = today + timedelta(days=self.rng.randint(1, 21))
        open_visits = [a.id for a in self.emr.appointments.values()
                       if a.patient_id and a.id not in self.touched
                       and self.emr.statuses[a.status_id].extra.get("fhir") in ("pending",
                                                                                "booked")]
        if roll < 0.3 and open_visits:
            visit = self.rng.choice(open_visits)
            status = self.rng.choice(("fulfilled", "cancelled", "noshow"))
            actions.appointment_change(self.emr, appointment_id=visit, status=status)
        elif roll < 0.5:
            patient = bench_patient_add(self.emr, n=FIRST_NEW_PATIENT + self.new_patients)
            self.new_patients += 1
            visit = visit_book(self.emr, self.rng, patient_id=patient, day=day)
        else:
            patients = sorted({a.patient_id for a in self.emr.appointments.values()
                               if a.patient_id})
            visit = visit_book(self.emr, self.rng, patient_id=self.rng.choice(patients), day=day)
        self.touched.add(visit)
        return visit
