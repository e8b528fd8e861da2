"""The client names statuses and step types itself, so that it imports nothing of the service (issue 10);
these tests keep its names the service's."""

from __future__ import annotations

from external_tasks import model
from xtasks import Status, StepType


def test_the_client_knows_every_status_the_service_gives() -> None:
    # Given the service's statuses, when the client's are listed, then they are the same, terminal alike
    assert [(s.value, s.is_terminal) for s in Status] == [(s.value, s.is_terminal) for s in model.Status]


def test_the_client_knows_every_step_type_the_service_accepts() -> None:
    assert [t.value for t in StepType] == [t.value for t in model.StepType]
