"""Bearer tokens shared by the staff API and intake's patient API (JWT against an issuer's keys)."""
