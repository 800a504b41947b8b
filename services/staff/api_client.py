"""The staff API from a shell: a bearer token (given, or a dev one) and one HTTP call.

``triage staff-cli``, ``serve-next`` (cli.py) and ``opening-hours`` (hours_cli.py) all call the
staff API through here, so token and connection handling are the same for every command.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import httpx

DEV_DIR = "dev-issuer"


def dev_issuer(var_dir: str) -> Any:
    from services.staff.dev_issuer import DevIssuer

    return DevIssuer(Path(var_dir) / DEV_DIR)


def bearer_token(args: argparse.Namespace, region: str) -> str:
    token = args.token or os.environ.get("STAFF_TOKEN", "")
    if token:
        return str(token)
    if not (Path(args.var_dir) / DEV_DIR).exists():
        raise SystemExit(
            "no token: pass --token or set STAFF_TOKEN (dev: `triage token --sub ... --role ... "
            "--region ...`, after `triage up` created the dev issuer)"
        )
    return str(dev_issuer(args.var_dir).mint(args.actor, [args.role], [region or "*"], ttl_s=300))


def call(
    args: argparse.Namespace,
    method: str,
    path: str,
    region: str,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {bearer_token(args, region)}"}
    try:
        resp = httpx.request(
            method,
            args.url.rstrip("/") + path,
            json=body,
            params=params,
            headers=headers,
            timeout=args.timeout,
        )
    except httpx.HTTPError as exc:
        raise SystemExit(
            f"the staff API at {args.url} is not answering ({type(exc).__name__}); "
            "is `triage up` running? (STAFF_URL sets another address)"
        ) from None
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, {"detail": resp.text[:200]}


def add_client_options(p: argparse.ArgumentParser, role: str = "nurse") -> None:
    p.add_argument("--url", default=os.environ.get("STAFF_URL", "http://127.0.0.1:8084"), help="staff API")
    p.add_argument("--token", default=None, help="bearer token (default: STAFF_TOKEN, else a dev token)")
    p.add_argument("--var-dir", default="var", help="where `triage up` keeps the dev issuer key")
    p.add_argument("--as", dest="actor", default="nurse-dev", help="dev token only: the subject")
    p.add_argument("--role", default=role, help="dev token only: the role")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the answer")
