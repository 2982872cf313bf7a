"""The project's configuration: one settings module read from the environment,
the root URLs, the WSGI and ASGI entry points and gunicorn's settings."""
