"""The admin API's server fixtures (a real app, logged in or not), shared with the dashboard tests."""

from __future__ import annotations

from tests.proxy.admin.conftest import admin, logged_in

__all__ = ["admin", "logged_in"]
