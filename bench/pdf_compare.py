"""Compare reportlab and fpdf2 on one statement page: time per page and size; writes PDFs to look at.

Run: .venv/bin/python -m bench.pdf_compare [out_dir]   (fpdf2 is measured when installed: pip install fpdf2)
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from akiba.reports.statements import Movement, Statement


def sample(n: int = 30) -> Statement:
    start = date(2024, 1, 1)
    moves = [Movement(start + timedelta(days=7 * k), f"Repayment 88.85: principal 78.85, interest 10.00 #{k}",
                      f"T{1000 + k}", Decimal(0), Decimal("78.85")) for k in range(n)]
    moves.insert(0, Movement(start, "Disbursement (up-front fees paid 20.00)", "T999", Decimal("5000.00"),
                             Decimal(0)))
    bal = Decimal(0)
    for mv in moves:
        bal += mv.debit - mv.credit
        mv.balance = bal
    return Statement(
        kind="loan", account_id=42, account_ref="L00000042", client_id=7, holder="Amina Odhiambo",
        product="Monthly declining", currency="USD", digits=2, period_from=start, period_to=date(2024, 7, 31),
        opening_balance=Decimal(0),
        institution={"institution_name": "Akiba Microfinance S.A.", "address": "Av. Reforma 100, CDMX",
                     "complaints_contact": "Complaints: une@akiba.example, 800 123 4567", "regulator_note": ""},
        nominal_annual_rate=Decimal("12"), effective_annual_rate=Decimal("15.39"),
        effective_rate_label="Total annual cost (CAT), fees included",
        charges={"interest_charged": Decimal("60.00"), "fees_charged": Decimal("6.00")}, movements=moves)


def fpdf2_render(st: Statement) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, st.institution["institution_name"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, st.institution["address"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.cell(0, 5, f"Client {st.client_id}  {st.holder}   Account {st.account_ref}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, f"Period {st.period_from} to {st.period_to}", new_x="LMARGIN", new_y="NEXT")
    widths = (22, 88, 20, 20, 20, 20)
    pdf.set_font("Helvetica", "B", 8)
    for w, h in zip(widths, ("Date", "Description", "Reference", "Debit", "Credit", "Balance"), strict=True):
        pdf.cell(w, 5, h, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for mv in st.movements:
        for w, v, a in zip(widths, (str(mv.on), mv.description, mv.reference, st.m(mv.debit), st.m(mv.credit),
                                    st.m(mv.balance)), "LLLRRR", strict=True):
            pdf.cell(w, 4.5, v, align=a)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 6, f"Closing balance {st.m(st.closing_balance)} {st.currency}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def reportlab_render(st: Statement) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    _, height = A4
    y = height - 20 * mm
    c.setFont("Helvetica-Bold", 13)
    c.drawString(15 * mm, y, st.institution["institution_name"])
    y -= 6 * mm
    c.setFont("Helvetica", 9)
    c.drawString(15 * mm, y, st.institution["address"])
    y -= 8 * mm
    c.drawString(15 * mm, y, f"Client {st.client_id}  {st.holder}   Account {st.account_ref}")
    y -= 5 * mm
    c.drawString(15 * mm, y, f"Period {st.period_from} to {st.period_to}")
    y -= 8 * mm
    xs = (15, 37, 125, 165, 185, 205)
    c.setFont("Helvetica-Bold", 8)
    for x, h in zip(xs, ("Date", "Description", "Reference", "Debit", "Credit", "Balance"), strict=True):
        c.drawString(x * mm, y, h) if x < 140 else c.drawRightString(x * mm, y, h)
    y -= 5 * mm
    c.setFont("Helvetica", 8)
    for mv in st.movements:
        c.drawString(15 * mm, y, str(mv.on))
        c.drawString(37 * mm, y, mv.description)
        c.drawString(125 * mm, y, mv.reference)
        c.drawRightString(165 * mm, y, st.m(mv.debit))
        c.drawRightString(185 * mm, y, st.m(mv.credit))
        c.drawRightString(205 * mm, y, st.m(mv.balance))
        y -= 4.5 * mm
    c.setFont("Helvetica-Bold", 9)
    c.drawString(15 * mm, y - 3 * mm, f"Closing balance {st.m(st.closing_balance)} {st.currency}")
    c.showPage()
    c.save()
    return buf.getvalue()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(tempfile.gettempdir()) / "pdfcmp")
    out.mkdir(parents=True, exist_ok=True)
    st = sample()
    for name, fn in (("fpdf2", fpdf2_render), ("reportlab", reportlab_render)):
        try:
            fn(st)  # warm up imports and fonts
        except ModuleNotFoundError as missing:  # fpdf2 is not a dependency: only this comparison uses it
            print(f"{name:10s} not installed ({missing.name}): `.venv/bin/pip install fpdf2` to compare it")
            continue
        n = 200
        t0 = time.perf_counter()
        for _ in range(n):
            data = fn(st)
        per = (time.perf_counter() - t0) / n
        (out / f"{name}.pdf").write_bytes(data)
        print(f"{name:10s} {per * 1000:7.2f} ms/page  {len(data):7d} bytes  {1 / per:7.0f} pages/s")


if __name__ == "__main__":
    main()
