"""Translations looked up once per language and message.

Django's ``gettext`` asks the active language's catalogue, which is several
dictionaries (one per plural rule the installed catalogues declare), and on a
miss walks the fallback catalogues of every app (five empty ``en`` ones for
``en-gb``): 7–9 µs a message that English does not translate, every call. A
page calls it 100–500 times (``{% translate %}``, lazy labels, choices, the
admin's 100 rows). ``remember_translations`` keeps each answer in a dictionary
of the language's translation object, which Django builds once per language
and process and replaces when the catalogues are reloaded.

A speed trick kept for the load benchmark's target (issue 18: pages a second
on two processors at XL, which the CPU a page costs decides): over the load
mix's pages in process on the XL SQLite database, 227 calls a page took
1.54 ms without it and 0.70 ms with it, about 6 % of a page's CPU.
"""

from django.utils.translation import trans_real

# Far more than the project's messages and the admin's; a message built at
# run time (none is today) cannot grow the dictionary without end.
LIMIT = 20_000


def remember_translations():
    """Make ``DjangoTranslation.gettext`` remember its answers (idempotent)."""
    translation = trans_real.DjangoTranslation
    if getattr(translation.gettext, "remembers", False):
        return
    lookup = translation.gettext

    def gettext(self, message):
        memo = self.__dict__.get("_hamkor_memo")
        if memo is None:
            memo = self._hamkor_memo = {}
        try:
            return memo[message]
        except KeyError:
            result = lookup(self, message)
            if len(memo) < LIMIT:
                memo[message] = result
            return result

    gettext.remembers = True
    translation.gettext = gettext
