"""The web pages (placeholder: the home page only, until the web app lands)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return HTMLResponse("<!doctype html><html lang=en><title>adrlens</title><h1>adrlens</h1></html>")
