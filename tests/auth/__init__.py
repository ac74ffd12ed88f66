"""Tests of app.auth: roles, principals, token verification and minting, scripts/token."""
