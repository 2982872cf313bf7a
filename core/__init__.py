"""Hamkor's kernel: what every app builds on and no model of the domain (the
versioned base model, base views, forms, admin, exports, search, SQLite, backups)."""
