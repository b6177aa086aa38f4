"""org and clients: staff, working days, holidays, codes, clients, identifiers, groups, centers

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-26 13:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0002"
down_revision: Union[str, Sequence[str], None] = "t0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _org() -> None:
    op.create_table(
        "staff",
        _id(),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(202), nullable=False),
        sa.Column("is_loan_officer", sa.Boolean(), nullable=False),
        sa.Column("mobile_phone", sa.String(20), nullable=True),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_staff_office_id_offices"),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("external_id", name="uq_staff_external_id"),
    )
    op.create_index("ix_staff_office_id", "staff", ["office_id"])

    op.create_table(
        "working_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekdays", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("repayment_rule", sa.String(32), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_working_days_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_working_days"),
    )
    # Fineract's default: every day works, so due dates stay where the schedule puts them until configured.
    op.execute(
        "INSERT INTO working_days (id, weekdays, repayment_rule) VALUES (1, '{1,2,3,4,5,6,7}', 'next_working_day')"
    )

    op.create_table(
        "holidays",
        _id(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("repayments_rescheduled_to", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_holidays"),
    )
    op.create_index("ix_holidays_status", "holidays", ["status"])
    op.create_table(
        "holiday_offices",
        sa.Column("holiday_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["holiday_id"], ["holidays.id"], name="fk_holiday_offices_holiday_id_holidays",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_holiday_offices_office_id_offices"),
        sa.PrimaryKeyConstraint("holiday_id", "office_id", name="pk_holiday_offices"),
    )
    op.create_index("ix_holiday_offices_office_id", "holiday_offices", ["office_id"])

    op.create_table(
        "codes",
        _id(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("system", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_codes"),
        sa.UniqueConstraint("name", name="uq_codes_name"),
    )
    op.create_table(
        "code_values",
        _id(),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["code_id"], ["codes.id"], name="fk_code_values_code_id_codes", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_code_values"),
        sa.UniqueConstraint("code_id", "value", name="uq_code_values_code_id_value"),
    )
    op.create_index("ix_code_values_code_id", "code_values", ["code_id"])


def _clients() -> None:
    op.create_table(
        "clients",
        _id(),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("middle_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(302), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("gender_id", sa.Integer(), nullable=True),
        sa.Column("classification_id", sa.Integer(), nullable=True),
        sa.Column("mobile_phone", sa.String(20), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("address_line1", sa.String(200), nullable=True),
        sa.Column("address_line2", sa.String(200), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("postal_code", sa.String(20), nullable=True),
        sa.Column("country_code", sa.String(2), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("activation_date", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure_reason", sa.Text(), nullable=True),
        sa.Column("reactivated_on", sa.Date(), nullable=True),
        _created(),
        sa.CheckConstraint("status IN ('pending', 'active', 'closed')", name="ck_clients_status"),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_clients_office_id_offices"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_clients_staff_id_staff"),
        sa.ForeignKeyConstraint(["gender_id"], ["code_values.id"], name="fk_clients_gender_id_code_values"),
        sa.ForeignKeyConstraint(["classification_id"], ["code_values.id"],
                                name="fk_clients_classification_id_code_values"),
        sa.PrimaryKeyConstraint("id", name="pk_clients"),
        sa.UniqueConstraint("external_id", name="uq_clients_external_id"),
    )
    op.create_index("ix_clients_office_id", "clients", ["office_id"])
    op.create_index("ix_clients_staff_id", "clients", ["staff_id"])
    op.create_index("ix_clients_status", "clients", ["status"])
    op.create_index("ix_clients_mobile_phone", "clients", ["mobile_phone"])
    for column in ("first_name", "last_name", "display_name"):
        op.create_index(f"ix_clients_{column}_lower", "clients", [sa.text(f"lower({column}) text_pattern_ops")])

    op.create_table(
        "client_identifiers",
        _id(),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_client_identifiers_client_id_clients",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["type_id"], ["code_values.id"], name="fk_client_identifiers_type_id_code_values"),
        sa.PrimaryKeyConstraint("id", name="pk_client_identifiers"),
        sa.UniqueConstraint("type_id", "value", name="uq_client_identifiers_type_id_value"),
        sa.UniqueConstraint("client_id", "type_id", name="uq_client_identifiers_client_id_type_id"),
    )
    op.create_index("ix_client_identifiers_client_id", "client_identifiers", ["client_id"])
    op.create_index("ix_client_identifiers_value", "client_identifiers", ["value"])


def _groups() -> None:
    op.create_table(
        "groups",
        _id(),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("center_id", sa.Integer(), nullable=True),
        sa.Column("leader_client_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("activation_date", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure_reason", sa.Text(), nullable=True),
        _created(),
        sa.CheckConstraint("level IN ('group', 'center')", name="ck_groups_level"),
        sa.CheckConstraint("status IN ('pending', 'active', 'closed')", name="ck_groups_status"),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_groups_office_id_offices"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_groups_staff_id_staff"),
        sa.ForeignKeyConstraint(["center_id"], ["groups.id"], name="fk_groups_center_id_groups"),
        sa.ForeignKeyConstraint(["leader_client_id"], ["clients.id"], name="fk_groups_leader_client_id_clients"),
        sa.PrimaryKeyConstraint("id", name="pk_groups"),
        sa.UniqueConstraint("external_id", name="uq_groups_external_id"),
        sa.UniqueConstraint("office_id", "level", "name", name="uq_groups_office_id_level_name"),
    )
    op.create_index("ix_groups_office_id", "groups", ["office_id"])
    op.create_index("ix_groups_staff_id", "groups", ["staff_id"])
    op.create_index("ix_groups_center_id", "groups", ["center_id"])
    op.create_index("ix_groups_status", "groups", ["status"])
    op.create_index("ix_groups_name_lower", "groups", [sa.text("lower(name) text_pattern_ops")])

    op.create_table(
        "group_members",
        _id(),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="ck_group_members_dates"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name="fk_group_members_group_id_groups"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_group_members_client_id_clients"),
        sa.PrimaryKeyConstraint("id", name="pk_group_members"),
    )
    op.create_index("ix_group_members_group_id", "group_members", ["group_id"])
    op.create_index("ix_group_members_client_id", "group_members", ["client_id"])
    op.create_index("uq_group_members_current", "group_members", ["group_id", "client_id"], unique=True,
                    postgresql_where=sa.text("left_on IS NULL"))

    op.create_table(
        "center_groups",
        _id(),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="ck_center_groups_dates"),
        sa.ForeignKeyConstraint(["center_id"], ["groups.id"], name="fk_center_groups_center_id_groups"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name="fk_center_groups_group_id_groups"),
        sa.PrimaryKeyConstraint("id", name="pk_center_groups"),
    )
    op.create_index("ix_center_groups_center_id", "center_groups", ["center_id"])
    op.create_index("ix_center_groups_group_id", "center_groups", ["group_id"])
    op.create_index("uq_center_groups_current", "center_groups", ["group_id"], unique=True,
                    postgresql_where=sa.text("left_on IS NULL"))


def upgrade() -> None:
    _org()
    _clients()
    _groups()


def downgrade() -> None:
    for table in ("center_groups", "group_members", "groups", "client_identifiers", "clients", "code_values",
                  "codes", "holiday_offices", "holidays", "working_days", "staff"):
        op.drop_table(table)
