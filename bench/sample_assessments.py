"""The sample data's stakeholder assessments: about a tenth of the
organisations, the national core among them, with one to three dated
assessments each, so that the map (/map/) and its comparison have data at
every scale. A module of its own: sample_writers.py is near the size at which
a module is two concerns."""

import datetime
import random

from bench.sample_plan import ANCHOR, CREATED_AT
from stakeholders.models import Assessment

# The share of organisations assessed, and how many assessments each has.
ASSESSED_SHARE = 0.1
ASSESSMENTS_EACH = [1, 2, 3]
ASSESSMENT_WEIGHTS = [5, 3, 2]
STANCES = [
    (Assessment.Stance.SUPPORTIVE, 4),
    (Assessment.Stance.NEUTRAL, 3),
    (Assessment.Stance.OPPOSED, 1),
    (Assessment.Stance.UNKNOWN, 2),
]
NOTES = [
    "",
    "",
    "Sample assessment: not a real judgement.",
    "Sample: after the last steering meeting.",
]


def assessments_write(generator):
    """Write ``generator``'s assessments; returns how many."""
    # Here, not at the top: sample_writers imports this module.
    from bench.sample_writers import _next_id

    return generator.writer(
        Assessment,
        [
            "id",
            "organisation",
            "influence",
            "interest",
            "stance",
            "note",
            "assessed_on",
            "created_at",
        ],
        "assessments",
    ).write(
        assessment_rows(
            generator, first_id=_next_id(Assessment), seed=generator.seed + 13
        )
    )


def assessment_rows(generator, *, first_id, seed):
    """The rows (id, organisation, influence, interest, stance, note,
    assessed_on, created_at) for ``generator``'s organisations: its core and
    a tenth of the rest at random; within one organisation, dated over the two
    years before ``ANCHOR``, each a step from the one before. Its own random
    source, so the other tables stay as they were for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose
    stances = [stance for stance, _weight in STANCES]
    weights = [weight for _stance, weight in STANCES]
    last_day = ANCHOR.date()
    pk = first_id
    for index, organisation in enumerate(generator.org_ids):
        # The core (the first, most met organisations) are always assessed.
        if index >= generator.core_count and rng.random() >= ASSESSED_SHARE:
            continue
        count = rng.choices(ASSESSMENTS_EACH, weights=ASSESSMENT_WEIGHTS)[0]
        days = sorted(rng.sample(range(1, 730), count), reverse=True)
        influence, interest = rng.randint(1, 5), rng.randint(1, 5)
        for ago in days:
            yield (
                pk,
                organisation,
                influence,
                interest,
                rng.choices(stances, weights=weights)[0],
                rng.choice(NOTES),
                last_day - datetime.timedelta(days=ago),
                CREATED_AT,
            )
            pk += 1
            influence = min(5, max(1, influence + rng.choice([-1, 0, 0, 1])))
            interest = min(5, max(1, interest + rng.choice([-1, 0, 1, 1])))
