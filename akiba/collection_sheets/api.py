"""POST /api/v1/collection-sheets: one call for a whole meeting (the field's "less chatty API")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from akiba.collection_sheets import service as _service  # noqa: F401  # registers the command
from akiba.collection_sheets.schemas import CollectionSheet
from akiba.platform.commands import execute
from akiba.platform.context import IdemKey, Principal, require, runtime

router = APIRouter(prefix="/api/v1", tags=["collection sheets"])


@router.post("/collection-sheets", status_code=201, summary="Post a meeting's repayments, deposits and withdrawals")
def save_collection_sheet(request: Request, body: CollectionSheet, idem: IdemKey = None,
                          who: Principal = require("collectionsheets:save")) -> JSONResponse:
    return execute(runtime(request), who, "collectionsheets:save", body, idempotency_key=idem)
