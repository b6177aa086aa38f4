"""Client, group and center endpoints."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["clients"])
