"""The Reflex UI: the only package that imports reflex."""
