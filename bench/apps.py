from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchConfig(AppConfig):
    """The benchmark's management commands (the sample data, the import's
    timing). No models."""

    name = "bench"
    verbose_name = _("Benchmark")
