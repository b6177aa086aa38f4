"""Code lists every new tenant starts with (institutions add or retire values through /codes)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from akiba.org.service import seed_code
from akiba.platform.tenancy import TenantInfo

STANDARD_CODES: dict[str, list[tuple[str, str]]] = {
    "gender": [("female", "Female"), ("male", "Male"), ("other", "Other")],
    "id_type": [
        ("national_id", "National ID card"),
        ("passport", "Passport"),
        ("drivers_license", "Driver's licence"),
        ("voter_card", "Voter's card"),
        ("tax_id", "Tax identification number"),
        ("birth_certificate", "Birth certificate"),
    ],
    "client_classification": [
        ("individual", "Individual"),
        ("business", "Business owner"),
        ("farmer", "Farmer"),
        ("salaried", "Salaried employee"),
        ("staff", "Staff of the institution"),
    ],
}


def seed_tenant(session: Session, tenant: TenantInfo) -> None:
    for name, values in STANDARD_CODES.items():
        seed_code(session, name, values)
