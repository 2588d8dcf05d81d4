"""Instance administration: settings and user management."""
