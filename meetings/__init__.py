"""Meetings, agenda topics and items, attendance and follow-ups: models, admin,
lists, detail pages, the sign-in sheet import, stored meeting figures, the demo."""
