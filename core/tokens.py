"""Secrets a user hands to a program: a calendar subscription's address
(meetings/feeds.py) and an API token (api/).

Each is made here, shown to its user once and stored only as a hash, so that
a copy of the database gives no one a working secret; a user who lost one
makes another. The program that holds it uses it every few minutes or many
times a second: when it was last used is written at most hourly.
"""

import datetime
import hashlib
import secrets

from django.utils import timezone

LAST_USED_EVERY = datetime.timedelta(hours=1)


def new_token(prefix=""):
    """A fresh secret: 256 random bits, URL-safe, after ``prefix``."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token):
    """What is stored of ``token``: 256 random bits need no salt or slow
    hash, and a lookup by the hash is one indexed query."""
    return hashlib.sha256(token.encode()).hexdigest()


def record_use(holder):
    """Set ``holder.last_used_at`` to now, in one UPDATE, if it was last
    written over LAST_USED_EVERY ago (or never): no write on every use."""
    now = timezone.now()
    if holder.last_used_at is None or now - holder.last_used_at > LAST_USED_EVERY:
        type(holder)._default_manager.filter(pk=holder.pk).update(last_used_at=now)
        holder.last_used_at = now
