"""Accounts: registration, login with throttling, refresh-token rotation, logout, profile."""
