"""Built-in reports on offices and clients. Each SQL text here is reviewed; values are bound, never formatted."""

from __future__ import annotations

from akiba.reports.registry import Column, Param, Report, office_param, register

# An office and every office below it (offices.hierarchy is '/1/4/9/'); all offices when :office_id is null.
OFFICE_SCOPE = (
    "(CAST(:office_id AS integer) IS NULL OR o.hierarchy LIKE "
    "(SELECT h.hierarchy FROM offices h WHERE h.id = CAST(:office_id AS integer)) || '%')"
)

CLIENT_STATUSES = ("pending", "active", "closed")

register(Report(
    name="offices",
    title="Offices",
    description="Every office with its parent, opening date and number of active clients.",
    params=(office_param(),),
    columns=(Column("office_id", "int"), Column("name"), Column("parent_id", "int"), Column("hierarchy"),
             Column("opening_date", "date"), Column("active_clients", "int", total=True)),
    needs=("offices", "clients"),
    sql=f"""
SELECT o.id, o.name, o.parent_id, o.hierarchy, o.opening_date,
       (SELECT count(*) FROM clients c WHERE c.office_id = o.id AND c.status = 'active') AS active_clients
FROM offices o
WHERE {OFFICE_SCOPE}
ORDER BY o.hierarchy, o.id""",  # noqa: S608  -- constant fragments only
))

register(Report(
    name="clients-by-status",
    title="Clients by status",
    description="Number of clients per office and status.",
    params=(office_param(),),
    columns=(Column("office_id", "int"), Column("office"), Column("status"), Column("clients", "int", total=True)),
    needs=("offices", "clients"),
    sql=f"""
SELECT o.id, o.name, c.status, count(*) AS clients
FROM clients c JOIN offices o ON o.id = c.office_id
WHERE {OFFICE_SCOPE}
GROUP BY o.id, o.name, c.status
ORDER BY o.id, c.status""",  # noqa: S608
))

register(Report(
    name="client-register",
    title="Client register",
    description="One row per client (for exports to BI tools); no personal identifiers beyond the name.",
    params=(office_param(), Param("status", "choice", "Status", choices=CLIENT_STATUSES)),
    columns=(Column("client_id", "int"), Column("external_id"), Column("display_name"), Column("office_id", "int"),
             Column("office"), Column("staff_id", "int"), Column("status"), Column("submitted_on", "date"),
             Column("activation_date", "date")),
    needs=("offices", "clients"),
    sql=f"""
SELECT c.id, c.external_id, c.display_name, o.id, o.name, c.staff_id, c.status, c.submitted_on, c.activation_date
FROM clients c JOIN offices o ON o.id = c.office_id
WHERE {OFFICE_SCOPE} AND (CAST(:status AS text) IS NULL OR c.status = CAST(:status AS text))
ORDER BY c.id""",  # noqa: S608
))
