"""One UpdateItem's (or ConditionCheck's) expressions, names and values, built a clause at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from external_tasks.store import items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


class Update:
    def __init__(self) -> None:
        self._sets: list[str] = []
        self._adds: list[str] = []
        self._removes: list[str] = []
        self._conditions: list[str] = []
        self._names: dict[str, str] = {}
        self._values: dict[str, AttributeValueTypeDef] = {}

    def _value(self, value: AttributeValueTypeDef) -> str:
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = value
        return placeholder

    def _name(self, attribute: str) -> str:
        placeholder = f"#n{len(self._names)}"
        self._names[placeholder] = attribute
        return placeholder

    def set(self, attribute: str, value: AttributeValueTypeDef) -> None:
        self._sets.append(f"{self._name(attribute)} = {self._value(value)}")

    def set_all(self, values: items.Item) -> None:
        for attribute, value in values.items():
            self.set(attribute, value)

    def set_expiry(self, job_id: str, gone_at: int | None) -> None:
        """When the job reads as gone, with what follows from it (items.expiry); or none of it."""
        if gone_at is None:
            self._removes += [self._name(attribute) for attribute in items.EXPIRY_ATTRIBUTES]
        else:
            self.set_all(items.expiry(job_id, gone_at))

    def set_sum(self, attribute: str, addend: str, amount: int) -> None:
        """``attribute = addend + amount``, the stored attribute ``addend`` counting 0 where absent."""
        zero = self._value(items.n(0))
        self._sets.append(
            f"{self._name(attribute)} = if_not_exists({self._name(addend)}, {zero}) + "
            f"{self._value(items.n(amount))}"
        )

    def remove(self, *attributes: str) -> None:
        self._removes += [self._name(attribute) for attribute in attributes]

    def add(self, attribute: str, amount: int) -> None:
        self._adds.append(f"{self._name(attribute)} {self._value(items.n(amount))}")

    def require(self, attribute: str, operator: str, value: AttributeValueTypeDef) -> None:
        """A condition: ``attribute operator value``, e.g. ``require("status", "=", s("started"))``."""
        self._conditions.append(f"{self._name(attribute)} {operator} {self._value(value)}")

    def require_exists(self) -> None:
        self._conditions.append("attribute_exists(PK)")

    def condition_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "ConditionExpression": " AND ".join(self._conditions),
            "ExpressionAttributeValues": self._values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if self._names:
            arguments["ExpressionAttributeNames"] = self._names
        return arguments

    def arguments(self) -> dict[str, Any]:
        clauses = []
        if self._sets:
            clauses.append("SET " + ", ".join(self._sets))
        if self._adds:
            clauses.append("ADD " + ", ".join(self._adds))
        if self._removes:
            clauses.append("REMOVE " + ", ".join(self._removes))
        return {"UpdateExpression": " ".join(clauses), **self.condition_arguments()}
