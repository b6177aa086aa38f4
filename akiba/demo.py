"""Demo data for the `demo` tenant: offices, staff, clients, groups, a center, loans and savings.

Everything goes through the same command functions the API runs (so demo data obeys every rule), in one
transaction. Names, phones and ids are generated from a fixed seed: each demo tenant looks the same.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.platform.context import Principal
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

FEMALE = ["Wanjiku", "Achieng", "Amina", "Njeri", "Akinyi", "Wambui", "Chebet", "Nafula", "Zawadi", "Halima",
          "Mwanaisha", "Atieno", "Nyambura", "Jepkosgei", "Kerubo", "Auma", "Faith", "Grace", "Mercy", "Esther"]
MALE = ["Kamau", "Otieno", "Mwangi", "Kiprono", "Juma", "Baraka", "Omondi", "Wafula", "Mutua", "Hassan",
        "Kipchoge", "Odhiambo", "Njoroge", "Barasa", "Onyango", "Peter", "Joseph", "David", "Samuel", "Daniel"]
SURNAMES = ["Kamau", "Otieno", "Mwangi", "Wanjiru", "Ochieng", "Kariuki", "Mutua", "Kiptoo", "Wekesa", "Njoroge",
            "Odhiambo", "Kimani", "Chege", "Owino", "Rotich", "Mohamed", "Ali", "Nyongesa", "Maina", "Gitau",
            "Korir", "Oduya", "Muthoni", "Achola", "Kilonzo"]
CITIES = {"Nairobi CBD Branch": ("Nairobi", "Nairobi"), "Kisumu Branch": ("Kisumu", "Kisumu")}
CLIENTS = 50
SEED = 20261126


def populate(rt: Runtime, tenant: TenantInfo) -> None:
    """Fill a new demo tenant: organisation and customers, then loans and savings (each part runs once)."""
    from akiba.loans.demo import populate_demo as populate_loans
    from akiba.savings.demo import populate_demo as populate_savings

    _populate_customers(rt, tenant)
    populate_loans(rt, tenant)
    populate_savings(rt, tenant)


def _populate_customers(rt: Runtime, tenant: TenantInfo) -> None:
    from akiba.org.models import Office

    with rt.session(tenant) as s:
        if s.scalar(select(Office.id).limit(1)) is not None:
            return
        _Demo(s, Principal(user_id=None, username="demo", tenant=tenant, permissions=frozenset({"*"}))).build()
        commit(s)


class _Demo:
    def __init__(self, s: Session, who: Principal) -> None:
        from akiba.platform.provisioning import business_date

        self.s, self.who = s, who
        self.today = business_date(s)
        self.rng = random.Random(SEED)
        self.used_ids: set[int] = set()

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def build(self) -> None:
        offices = self.offices()
        branches = {name: offices[name] for name in CITIES}
        self.capital(branches)
        officers = {name: self.staff(office_id) for name, office_id in branches.items()}
        self.holidays(list(offices.values()))
        clients = {name: self.clients(office_id, name, officers[name]) for name, office_id in branches.items()}
        self.groups(offices, officers, clients)

    def offices(self) -> dict[str, int]:
        from akiba.org.schemas import OfficeCreate
        from akiba.org.service import create_office

        head = create_office(self.s, self.who, OfficeCreate(name="Head Office", opening_date=self.days_ago(3 * 365),
                                                            external_id="HQ"), None)
        ids = {"Head Office": head.id}
        for i, name in enumerate(CITIES):
            branch = create_office(self.s, self.who, OfficeCreate(
                name=name, parent_id=head.id, opening_date=self.days_ago(2 * 365 + 180), external_id=f"BR-{i + 1}"),
                None)
            ids[name] = branch.id
        return ids

    def capital(self, branches: dict[str, int]) -> None:
        """Each branch starts with paid-in capital as cash, so lending does not drive the cash account negative."""
        from akiba.accounting.schemas import LineIn, OpeningBalancesCreate
        from akiba.accounting.service import import_opening_balances

        for office_id in branches.values():
            import_opening_balances(self.s, self.who, OpeningBalancesCreate(
                office_id=office_id, transaction_date=self.days_ago(2 * 365 + 180),
                currency=self.who.tenant.base_currency, reference="DEMO-CAPITAL",
                lines=[LineIn(gl_code="1110", debit=Decimal("750000")),
                       LineIn(gl_code="3100", credit=Decimal("750000"))],
            ), None)

    def staff(self, office_id: int) -> list[int]:
        from akiba.org.schemas import StaffCreate
        from akiba.org.service import create_staff

        officers = []
        for _ in range(2):
            first, last = self.rng.choice(FEMALE + MALE), self.rng.choice(SURNAMES)
            made = create_staff(self.s, self.who, StaffCreate(
                office_id=office_id, first_name=first, last_name=last, is_loan_officer=True,
                mobile_phone=self.phone(), joined_on=self.days_ago(2 * 365)), None)
            officers.append(made.id)
        return officers

    def holidays(self, office_ids: list[int]) -> None:
        from akiba.org.schemas import HolidayCreate
        from akiba.org.service import activate_holiday, create_holiday

        year = self.today.year
        for name, day in (("Jamhuri Day", date(year, 12, 12)), ("Madaraka Day", date(year + 1, 6, 1))):
            made = create_holiday(self.s, self.who, HolidayCreate(name=name, from_date=day, to_date=day,
                                                                  office_ids=office_ids), None)
            activate_holiday(self.s, self.who, None, made.id)

    def phone(self) -> str:
        from akiba.org.phones import to_e164

        while True:  # Safaricom-style 07xx numbers; redraw the rare one phonenumbers rejects
            try:
                return to_e164(f"+2547{self.rng.choice('0129')}{self.rng.randrange(10_000_000):07d}")
            except ValueError:
                continue

    def birth_date(self) -> date:
        return date(self.rng.randrange(1965, 2003), self.rng.randrange(1, 13), self.rng.randrange(1, 29))

    def national_id(self) -> str:
        while True:
            value = self.rng.randrange(20_000_000, 40_000_000)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return str(value)

    def clients(self, office_id: int, office_name: str, officers: list[int]) -> list[tuple[int, str]]:
        from akiba.clients.schemas import Address, ClientCreate, CloseIn
        from akiba.clients.service import close_client, create_client

        made: list[tuple[int, str]] = []
        city, region = CITIES[office_name]
        for n in range(CLIENTS // len(CITIES)):
            female = self.rng.random() < 0.7  # microfinance clients are mostly women
            activation = self.days_ago(self.rng.randrange(30, 700))
            pending = n % 12 == 11
            data = ClientCreate(
                office_id=office_id, first_name=self.rng.choice(FEMALE if female else MALE),
                last_name=self.rng.choice(SURNAMES), gender="female" if female else "male",
                date_of_birth=self.birth_date(),
                mobile_phone=self.phone(), national_id=self.national_id(),
                external_id=f"DEMO-{office_id}-{n + 1:03d}", staff_id=officers[n % len(officers)],
                classification=self.rng.choice(["individual", "business", "farmer", "salaried"]),
                activation_date=None if pending else activation, submitted_on=activation - timedelta(days=3),
                address=Address(address_line1=f"Plot {self.rng.randrange(1, 400)}", city=city, region=region,
                                country_code="KE"),
            )
            client = create_client(self.s, self.who, data, None)
            status = client.status
            if n % 17 == 16:
                close_client(self.s, self.who, CloseIn(closed_on=self.days_ago(10), reason="Moved away"), client.id)
                status = "closed"
            made.append((client.id, status))
        return made

    def groups(self, offices: dict[str, int], officers: dict[str, list[int]],
               clients: dict[str, list[tuple[int, str]]]) -> None:
        from akiba.clients.groups import create_center, create_group
        from akiba.clients.schemas import CenterCreate, GroupCreate

        nairobi, kisumu = "Nairobi CBD Branch", "Kisumu Branch"
        center = create_center(self.s, self.who, CenterCreate(
            office_id=offices[nairobi], name="Kibera Center", activation_date=self.days_ago(400),
            staff_id=officers[nairobi][0], external_id="CTR-1"), None)
        active = {name: [cid for cid, status in rows if status == "active"] for name, rows in clients.items()}
        plan: list[tuple[str, str, list[int], int | None]] = [
            (nairobi, "Upendo Women Group", active[nairobi][0:8], center.id),
            (nairobi, "Tumaini Self Help Group", active[nairobi][8:14], center.id),
            (kisumu, "Jua Kali Traders", active[kisumu][0:7], None),
        ]
        for i, (office, name, members, center_id) in enumerate(plan):
            create_group(self.s, self.who, GroupCreate(
                office_id=offices[office], name=name, activation_date=self.days_ago(380 - 20 * i),
                staff_id=officers[office][i % 2], center_id=center_id, client_ids=members,
                leader_client_id=members[0], external_id=f"GRP-{i + 1}"), None)
