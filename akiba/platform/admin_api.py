"""Users, roles, maker-checker and audit endpoints."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["administration"])
