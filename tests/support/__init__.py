"""Test doubles that speak real protocols over loopback sockets (no patched client internals)."""
