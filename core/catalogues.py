"""Hamkor's message catalogues: which languages have one, where they are,
and what the installed libraries' own catalogues lack.

``locale/<language>/LC_MESSAGES/`` holds Hamkor's own messages, extracted
from the code (``manage.py makemessages``, ``make messages``).
``locale/libraries/<language>/LC_MESSAGES/`` holds the messages of Django and
the installed libraries (django-filter, django-axes, django-simple-history,
django-countries, Django REST framework) that their own catalogues leave
untranslated in that language, or spell wrongly, so that no screen mixes
languages. It is written by ``manage.py vendor_messages`` (``vendor``), which
keeps the translations already there: after a library upgrade, run it again
and translate what it adds. Both folders are in ``settings.LOCALE_PATHS``,
Hamkor's own first.

A small reader and writer of PO files (and a reader of compiled MO files) is
here too, for the tests of the catalogues (tests/core/test_catalogues.py)
and for ``vendor``.
"""

import gettext as gettext_module
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.utils.translation import to_locale

# The language the messages are written in: it needs no catalogue.
SOURCE_LANGUAGE = "en"
DOMAINS = ("django", "djangojs")


def catalogue_languages():
    """The locale names (``uz``, ``ru``) of every interface language but the
    one the messages are written in."""
    return [
        to_locale(code)
        for code, _name in settings.LANGUAGES
        if code.split("-")[0] != SOURCE_LANGUAGE
    ]


def own_dir():
    """Hamkor's own catalogues: the first of ``LOCALE_PATHS``."""
    return Path(settings.LOCALE_PATHS[0])


def libraries_dir():
    """The catalogue of what the libraries lack: ``locale/libraries``."""
    return Path(settings.LOCALE_PATHS[0]) / "libraries"


def catalogue_path(directory, language, domain="django"):
    return Path(directory) / language / "LC_MESSAGES" / f"{domain}.po"


# PO files ----------------------------------------------------------------


@dataclass
class Message:
    """One entry of a PO file. ``strings`` is ``[msgstr]``, or one string per
    plural form when ``plural`` (msgid_plural) is set."""

    msgid: str
    context: str | None = None
    plural: str | None = None
    strings: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    comments: list = field(default_factory=list)  # "# ", the translator's
    notes: list = field(default_factory=list)  # "#. ", for the translator
    locations: list = field(default_factory=list)  # "#: "
    obsolete: bool = False

    @property
    def key(self):
        return (self.context, self.msgid)

    @property
    def fuzzy(self):
        return "fuzzy" in self.flags

    @property
    def translated(self):
        return bool(self.strings) and all(self.strings) and not self.fuzzy

    def sources(self):
        """The English text(s): msgid, and msgid_plural if any."""
        return [self.msgid] if self.plural is None else [self.msgid, self.plural]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text):
    text = text.strip()
    if not (len(text) >= 2 and text[0] == text[-1] == '"'):
        raise ValueError(f"Not a PO string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def _quote(text):
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    lines = escaped.split("\n")
    if len(lines) == 1:
        return f'"{escaped}"'
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{part}"' for part in parts)


def read_po(path):
    """The entries of the PO file at ``path``, the header (msgid "") first;
    obsolete entries (``#~``) are read with ``obsolete`` set."""
    messages = []
    current = None
    target = None  # (attribute, index) the continuation lines extend

    def finish():
        nonlocal current
        if current is not None and (current.msgid or current.strings):
            messages.append(current)
        current = None

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#"):
            if current is not None and target is not None:
                finish()
            if current is None:
                current = Message(msgid="")
            target = None
            kind, _space, text = line.partition(" ")
            if kind == "#,":
                current.flags += [f.strip() for f in text.split(",") if f.strip()]
            elif kind == "#.":
                current.notes.append(text)
            elif kind == "#:":
                current.locations += text.split()
            elif kind == "#|":
                pass
            else:
                current.comments.append(line[2:] if line.startswith("# ") else "")
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword.startswith('"'):
            attribute, index = target
            value = _unquote(line)
            if attribute == "strings":
                current.strings[index] += value
            else:
                setattr(current, attribute, getattr(current, attribute) + value)
            continue
        if (
            keyword in ("msgctxt", "msgid")
            and current is not None
            and (current.strings or (keyword == "msgctxt" and current.msgid))
        ):
            finish()
        if current is None:
            current = Message(msgid="")
        current.obsolete = obsolete
        if keyword == "msgctxt":
            current.context = _unquote(rest)
            target = ("context", None)
        elif keyword == "msgid":
            current.msgid = _unquote(rest)
            target = ("msgid", None)
        elif keyword == "msgid_plural":
            current.plural = _unquote(rest)
            target = ("plural", None)
        elif keyword == "msgstr":
            current.strings = [_unquote(rest)]
            target = ("strings", 0)
        elif keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            current.strings += [""] * (index + 1 - len(current.strings))
            current.strings[index] = _unquote(rest)
            target = ("strings", index)
        else:
            raise ValueError(f"{path}: cannot read {raw!r}")
    finish()
    return messages


def write_po(path, messages):
    """Write ``messages`` (the header first) as a PO file at ``path``."""
    blocks = []
    for message in messages:
        lines = [f"# {c}".rstrip() for c in message.comments]
        lines += [f"#. {n}" for n in message.notes]
        if message.locations:
            lines.append("#: " + " ".join(message.locations))
        if message.flags:
            lines.append("#, " + ", ".join(message.flags))
        if message.context is not None:
            lines.append(f"msgctxt {_quote(message.context)}")
        lines.append(f"msgid {_quote(message.msgid)}")
        if message.plural is None:
            lines.append(
                f"msgstr {_quote(message.strings[0] if message.strings else '')}"
            )
        else:
            lines.append(f"msgid_plural {_quote(message.plural)}")
            lines += [
                f"msgstr[{index}] {_quote(text)}"
                for index, text in enumerate(message.strings)
            ]
        blocks.append("\n".join(lines))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


def read_mo(path):
    """The entries of the compiled catalogue (.mo) at ``path``, as ``read_po``
    gives them, for the libraries that ship no .po: gettext's own reader
    drops a plural message's msgid_plural, which the catalogue written from
    these needs. Each original is a msgid after its context and an EOT
    character, then a NUL and its msgid_plural; each translation, the
    plural forms joined by NULs; all in UTF-8, the one encoding Django reads."""
    data = Path(path).read_bytes()
    order = "<" if struct.unpack("<I", data[:4])[0] == 0x950412DE else ">"
    count, originals, translations = struct.unpack_from(order + "3I", data, 8)

    def string(table, index):
        length, offset = struct.unpack_from(order + "2I", data, table + 8 * index)
        return data[offset : offset + length].decode()

    messages = []
    for index in range(count):
        original, _nul, plural = string(originals, index).partition("\x00")
        context, _eot, msgid = original.rpartition("\x04")
        messages.append(
            Message(
                msgid=msgid,
                context=context or None,
                plural=plural or None,
                strings=string(translations, index).split("\x00"),
            )
        )
    return messages


def header(messages):
    """The header's fields ({"Plural-Forms": ...}) of a read catalogue."""
    for message in messages:
        if message.msgid == "" and message.context is None:
            lines = message.strings[0].splitlines() if message.strings else []
            return {
                name.strip(): value.strip()
                for name, _colon, value in (line.partition(":") for line in lines)
                if name.strip()
            }
    return {}


# Placeholders ------------------------------------------------------------

# %(name)s, %s, %d, %%; {name} and {0}; {{ name }} does not occur (templates'
# variables become %(name)s).
_PLACEHOLDER = re.compile(
    r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXc%]|\{\w*\}",
)


def placeholders(text):
    """The placeholders of ``text``, sorted, as a translation must keep them
    (``%%`` aside: it stands for a percent sign)."""
    return sorted(p for p in _PLACEHOLDER.findall(text) if p != "%%")


# The libraries' catalogues --------------------------------------------------


def library_locale_dirs():
    """(name, locale folder) of Django's core messages and of every installed
    application outside this project that ships translations."""
    dirs = [("django", Path(django.__file__).parent / "conf" / "locale")]
    project = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        # The project's own apps; not the libraries installed in its virtual
        # environment, which lives inside the project folder (.venv).
        if path.is_relative_to(project) and "site-packages" not in path.parts:
            continue
        if (path / "locale").is_dir():
            dirs.append((config.name, path / "locale"))
    return dirs


def source_messages(locale_dir, domain):
    """The messages of one library's catalogue, as written in English: its
    ``en`` catalogue, or (for libraries that ship none, or an empty one)
    every message of its catalogues in any language. They are read from the
    .po files, or from the compiled .mo files of a library that ships only
    those (Django REST framework); an ``en`` .mo holds only the messages its
    translator filled in (msgfmt leaves out the others), which may be none."""
    for suffix, read in ((".po", read_po), (".mo", read_mo)):
        paths = sorted(Path(locale_dir).glob(f"*/LC_MESSAGES/{domain}{suffix}"))
        english = [path for path in paths if path.parts[-3] == SOURCE_LANGUAGE]
        for group in (english, paths):
            found = {}
            for path in group:
                for message in read(path):
                    if message.obsolete or (
                        message.msgid == "" and message.context is None
                    ):
                        continue
                    found.setdefault(message.key, message)
            if found:
                return found
    return {}


def library_translations(language, domain):
    """What Django will translate in ``language`` from the libraries' own
    catalogues (their compiled .mo files, found as Django finds them: "ru"
    finds a library's ru_RU, and its ru as the fallback of that, which
    Django consults too): {key: [translation, …]}."""
    translations = {}
    for _name, locale_dir in library_locale_dirs():
        try:
            catalogue = gettext_module.translation(
                domain, str(locale_dir), [to_locale(language)]
            )
        except OSError:
            continue
        # Django REST framework's ru_RU holds 36 of its messages, its ru the rest.
        while catalogue is not None:
            for key, text in catalogue._catalog.items():
                if key == "":
                    continue
                if isinstance(key, tuple):
                    msgid, index = key
                else:
                    msgid, index = key, 0
                context, _sep, msgid = msgid.rpartition("\x04")
                entry = translations.setdefault((context or None, msgid), [])
                entry += [""] * (index + 1 - len(entry))
                if not entry[index]:
                    entry[index] = text
            catalogue = catalogue._fallback
    return translations


def plural_forms(language):
    """Django's own Plural-Forms for ``language``: Hamkor's catalogues use the
    same, so that the catalogues merged in one page (and in the JavaScript
    catalogue, which has one plural rule) agree."""
    catalogue = gettext_module.translation(
        "django",
        str(Path(django.__file__).parent / "conf" / "locale"),
        [to_locale(language)],
    )
    return catalogue._info["plural-forms"]


def respell(language, text):
    """A library's translation in ``language`` as Hamkor writes that language:
    Uzbek oʻ and gʻ with the turned comma (U+02BB) and the tutuq belgisi
    with the modifier apostrophe (U+02BC), where Django's Uzbek catalogue
    has an ASCII apostrophe or a quotation mark, and “quotation marks”
    where it has ASCII ones."""
    if language != "uz":
        return text
    text = re.sub(r"([OoGg])['‘’`ʼ]", "\\1ʻ", text)
    text = re.sub(r"(?<=[^\W\d_])['’`](?=[^\W\d_])", "ʼ", text)
    if "<" not in text:
        # Quotation marks, where no HTML attribute needs the ASCII ones.
        text = re.sub(r'"([^"=\n]+)"', "“\\1”", text)
    return text


@dataclass
class Vendored:
    """What ``vendor`` made of one catalogue: its messages, and what changed."""

    messages: list
    added: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    untranslated: list = field(default_factory=list)


def vendor(language, domain):
    """The catalogue of what the libraries lack in ``language`` for ``domain``:
    every message of a library's catalogue that no library translates into
    ``language`` (or spells wrongly, see ``respell``), each with its
    translation from the catalogue there now, else from Hamkor's own
    catalogue, else empty, to be translated. A translation made by hand to
    replace a library's is kept while the library has the message: it is
    one with a translator's comment (``# Hamkor: …``) saying why."""
    path = catalogue_path(libraries_dir(), language, domain)
    existing = (
        {m.key: m for m in read_po(path) if not m.obsolete} if path.exists() else {}
    )
    own_path = catalogue_path(own_dir(), language, domain)
    own = (
        {m.key: m for m in read_po(own_path) if m.translated}
        if own_path.exists()
        else {}
    )
    translations = library_translations(language, domain)
    nplurals = int(re.search(r"nplurals\s*=\s*(\d+)", plural_forms(language)).group(1))

    sources = {}
    for name, locale_dir in library_locale_dirs():
        for key, message in source_messages(locale_dir, domain).items():
            if key in sources:
                sources[key][1].append(name)
            else:
                sources[key] = (message, [name])

    messages = []
    result = Vendored(messages)
    for key in sorted(sources, key=lambda k: (k[1].casefold(), k[1], k[0] or "")):
        source, names = sources[key]
        theirs = translations.get(key, [])
        complete = bool(theirs) and all(theirs)
        respelt = [respell(language, text) for text in theirs]
        before = existing.get(key)
        kept = before.strings if before is not None and before.translated else None
        message = Message(
            msgid=source.msgid,
            context=source.context,
            plural=source.plural,
            flags=[f for f in source.flags if f.endswith("-format")],
            notes=[", ".join(names)],
            comments=before.comments if before is not None else [],
        )
        if complete and kept and kept != theirs and before.comments:
            # Replaced by hand: its comment says why.
            message.strings = kept
            message.notes.append("replaces the library's translation")
        elif complete and respelt != theirs:
            message.strings = respelt
            message.notes.append("the library's translation, respelt")
        elif complete:
            if before is not None:
                result.dropped.append(key)
            continue
        else:
            message.strings = kept or _own_or_empty(own.get(key), source, nplurals)
            if before is None:
                result.added.append(key)
        if not all(message.strings):
            result.untranslated.append(key)
        messages.append(message)
    result.dropped += [key for key in existing if key[1] and key not in sources]
    messages.insert(0, _header_message(language, domain))
    return result


def _own_or_empty(own, source, nplurals):
    if own is not None and own.plural == source.plural:
        return list(own.strings)
    return [""] * (1 if source.plural is None else nplurals)


def _header_message(language, domain):
    fields = {
        "Project-Id-Version": f"Hamkor ({domain}: the libraries' messages)",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms(language),
    }
    return Message(
        msgid="",
        strings=["".join(f"{name}: {value}\n" for name, value in fields.items())],
        comments=[
            "What Django and the installed libraries leave untranslated in this",
            "language, or spell wrongly. Written by `manage.py vendor_messages`,",
            "which keeps the translations: translate what it adds. Each entry's",
            '"#." line names the libraries it comes from.',
        ],
    )
