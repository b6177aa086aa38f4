"""Domain errors with stable type slugs; the platform turns them into RFC 9457 problem+json."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class DomainError(Exception):
    """A refusal that the caller can understand and act on (4xx)."""

    type: str
    detail: str
    status: int = 400
    title: str = ""
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.detail)
        if not self.title:
            self.title = self.type.replace("-", " ").capitalize()


def invalid(field_name: str, message: str) -> DomainError:
    """A validation error naming one field."""
    return DomainError(
        "validation-error",
        f"{field_name}: {message}",
        status=422,
        title="Invalid input",
        errors=[FieldError(field_name, message)],
    )


def not_found(resource: str, ident: object) -> DomainError:
    return DomainError(f"{resource}-not-found", f"{resource} {ident} does not exist", status=404)


def conflict(type_: str, detail: str) -> DomainError:
    return DomainError(type_, detail, status=409)


def at(where: str, error: DomainError) -> DomainError:
    """The refusal of one part of a request (a line of a sheet), with every field named by its place:
    ``repayments.3`` + ``amount`` -> ``repayments.3.amount``. An empty place leaves the error as it is."""
    if not where:
        return error
    errors = [FieldError(f"{where}.{e.field}", e.message) for e in error.errors] or [FieldError(where, error.detail)]
    return replace(error, detail=f"{where}: {error.detail}", errors=errors)
