"""Organisation types, organisations (other names, identifiers), people and their
positions: models, admin, lists, detail pages, personal-data export and erasure."""
