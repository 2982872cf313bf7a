"""One client of the load benchmark (bench/load.py): an editor's browser that
requests pages and saves organisations through the admin, timing each request.

Clients run as processes of their own, forked from bench/load.py, and use
nothing but the standard library: the Python they run is not the server's.
"""

import http.client
import http.cookies
import random
import re
import time
import traceback
import urllib.parse
from html.parser import HTMLParser

# A save whose version check failed: VersionedModelForm.conflict_message.
CONFLICT_TEXT = b"after you opened it"
USER_AGENT = "hamkor-bench-load"


class FormFields(HTMLParser):
    """The fields a browser submits from the form with the id ``form_id``, in
    document order: text and hidden inputs, checked boxes, the selected options
    (the first one of a single select that has none), textareas (less the first
    newline, which browsers drop). Disabled fields and buttons are left out."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = self.found = False
        self.fields = []
        self.select = self.option = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if attrs.get("id") == self.form_id:
                self.inside = self.found = True
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
                return
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = {
                "value": attrs.get("value"),
                "selected": "selected" in attrs,
                "text": "",
            }
            self.select["options"].append(self.option)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and not self.select["multiple"] and options:
                chosen = options[:1]
            for option in chosen:
                value = option["value"]
                if value is None:
                    value = option["text"].strip()
                self.fields.append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            self.fields.append((name, text))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        elif self.option is not None:
            self.option["text"] += data


def form_fields(html, form_id):
    """The submitted fields of one form of a page, or None when it has none."""
    # Parse that form alone: the client's CPU is taken from the server's.
    start = html.find(f'id="{form_id}"')
    if start < 0:
        return None
    start = html.rfind("<form", 0, start)
    end = html.find("</form>", start)
    parser = FormFields(form_id)
    parser.feed(html[start : end + len("</form>") if end >= 0 else len(html)])
    parser.close()
    return parser.fields if parser.found else None


def form_errors(html):
    """The first error messages of a refused form, as text."""
    found = re.findall(
        r'<(?:ul|p) class="(?:errorlist[^"]*|errornote)"[^>]*>(.*?)</(?:ul|p)>',
        html,
        flags=re.DOTALL,
    )
    text = " ".join(re.sub(r"<[^>]+>", " ", item) for item in found)
    return " ".join(text.split())[:200] or "no error message"


class Browser:
    """One editor's browser: a keep-alive connection to the server, and the
    cookies it was given. Requests look as they do behind the TLS proxy."""

    RETRIED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

    def __init__(self, port, cookies, timeout):
        self.origin = f"https://127.0.0.1:{port}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies = dict(cookies)
        self.reconnects = 0

    def request(self, method, path, body=None):
        headers = {
            "X-Forwarded-Proto": "https",
            "User-Agent": USER_AGENT,
            "Accept": "text/html",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if body is not None:
            # Over HTTPS Django's CSRF check wants the origin of the form.
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        for attempt in range(2):
            reused = self.connection.sock is not None
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except self.RETRIED:
                self.connection.close()
                # A kept-alive connection the server closed in the meantime:
                # a browser opens another one and sends the request again.
                if reused and attempt == 0:
                    self.reconnects += 1
                    continue
                raise
            except Exception:
                self.connection.close()
                raise
            self.remember(response.headers.get_all("Set-Cookie") or [])
            return response.status, response.headers, data
        raise AssertionError("unreachable")

    def remember(self, set_cookies):
        for header in set_cookies:
            cookie = http.cookies.SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def close(self):
        self.connection.close()


def timed(browser, method, path, body=None):
    """(status, headers, body, ms, error) of one request; a failed request has
    status None and its error."""
    started = time.perf_counter()
    try:
        status, headers, data = browser.request(method, path, body)
    except (OSError, http.client.HTTPException) as error:
        ms = (time.perf_counter() - started) * 1000
        return None, None, b"", ms, f"{type(error).__name__}: {error}"[:200]
    return status, headers, data, (time.perf_counter() - started) * 1000, None


def page_step(browser, entry, url):
    """GET one page: [(name, kind, started, ms, outcome, detail)]."""
    started = time.monotonic()
    status, headers, _data, ms, error = timed(browser, "GET", url)
    if error is None and status != 200:
        where = headers.get("Location", "") if 300 <= status < 400 else ""
        error = f"status {status}{' to ' + where if where else ''}"
    outcome = "ok" if error is None else "error"
    return [(entry["name"], "page", started, ms, outcome, f"GET {url}: {error}")]


def save_step(browser, organisation, label):
    """Open an organisation's admin change form and save it with its notes
    changed, as an editor does: [form sample, save sample]. A 302 is a save; the
    form shown again with the version check's message is a conflict."""
    url = f"/admin/stakeholders/organisation/{organisation}/change/"
    started = time.monotonic()
    status, _headers, data, ms, error = timed(browser, "GET", url)
    if error is None and status != 200:
        error = f"status {status}"
    fields = None
    if error is None:
        fields = form_fields(data.decode("utf-8", "replace"), "organisation_form")
        if fields is None:
            error = "no organisation_form on the page"
    form = ("admin organisation change form", "form", started, ms)
    if error is not None:
        return [(*form, "error", f"GET {url}: {error}")]
    samples = [(*form, "ok", "")]
    fields = [(k, label if k == "notes" else v) for k, v in fields]
    if not any(k == "notes" for k, _v in fields):
        fields.append(("notes", label))
    fields.append(("_save", "Save"))
    body = urllib.parse.urlencode(fields)
    started = time.monotonic()
    status, headers, data, ms, error = timed(browser, "POST", url, body)
    outcome = "ok"
    if error is not None:
        outcome = "error"
    elif status == 302 and "/login/" not in headers.get("Location", ""):
        pass
    elif status == 200 and CONFLICT_TEXT in data:
        outcome = "conflict"
    else:
        outcome = "error"
        if status == 200:
            error = f"form refused: {form_errors(data.decode('utf-8', 'replace'))}"
        else:
            error = f"status {status} {headers.get('Location', '')}".strip()
    samples.append(
        (
            "admin organisation save",
            "save",
            started,
            ms,
            outcome,
            f"POST {url}: {error}",
        )
    )
    return samples


def client_main(index, port, cookies, mix, saves, schedule, args, results):
    """One client process: request the mix from ``schedule``'s start until its
    end, and put what it measured on ``results`` (also when it fails: the
    benchmark waits for every client)."""
    warm_at, measure_at, end_at = schedule
    rng = random.Random(args["seed"] * 1000 + index)  # noqa: S311 - repeatable
    weights = [entry["weight"] for entry in mix]
    browser = Browser(port, cookies, args["timeout"])
    samples, errors = [], []
    committed = conflicts = saved = 0
    crashed = None
    time.sleep(max(0, warm_at - time.monotonic()))
    cpu = time.process_time()
    try:
        while time.monotonic() < end_at:
            if saves and rng.random() < args["save_share"]:
                # In turn through this client's own organisations.
                organisation = saves[saved % len(saves)]
                saved += 1
                label = f"Load test: save {saved} of client {index}."
                taken = save_step(browser, organisation, label)
            else:
                entry = rng.choices(mix, weights)[0]
                taken = page_step(browser, entry, rng.choice(entry["urls"]))
            for name, kind, started, ms, outcome, detail in taken:
                if kind == "save":
                    committed += outcome == "ok"
                    conflicts += outcome == "conflict"
                if outcome == "error" and len(errors) < 20:
                    errors.append(detail)
                if started >= measure_at:
                    samples.append((name, kind, started, round(ms, 2), outcome))
    except Exception:
        crashed = traceback.format_exc(limit=5)
    finally:
        browser.close()
        results.put(
            {
                "index": index,
                "samples": samples,
                "errors": errors,
                "crashed": crashed,
                # Saves in the warm-up too: what the database holds afterwards.
                "committed": committed,
                "conflicts": conflicts,
                "reconnects": browser.reconnects,
                "cpu_s": time.process_time() - cpu,
            }
        )
