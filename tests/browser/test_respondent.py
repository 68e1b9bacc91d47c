"""The respondent's screen in Chromium at 360x640, driven by the keyboard alone: the whole
screen to the plan with and without JavaScript, crisis pages right after a risk answer,
axe-core (WCAG 2.0/2.1/2.2 A and AA) on every page kind in English and Spanish, no request to
any other site, and no page over 50 KB (screenshots and bytes.json in $SCREENPLAN_ARTIFACTS).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.web.profiles import ACUTE, INTEGRATED, LOW_RISK

from screenplan.engine import build_plan, load_content, simulate

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(),
    reason="browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it",
)

PHONE = {"width": 360, "height": 640}
MAX_PAGE_BYTES = 50 * 1000
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = (
    "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
    ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"
)
PROFILES = {"low_risk": (LOW_RISK, "wellbeing"), "integrated": (INTEGRATED, "integrated")}


# --- A person with a keyboard -------------------------------------------------------------


@dataclass
class Visit:
    name: str  # an item id, "crisis", "crisis-acute", "results", "landing", "consent" or "plan"
    path: str
    labels: list[str] = field(default_factory=list)  # the answer chosen on a question page


OnPage = Callable[[str], None]


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector!r} on {page.url}")


def press_and_load(page: Any, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


QUESTION = """() => {
    const form = document.querySelector("form.question");
    if (!form) return null;
    const taps = [...form.querySelectorAll("button[name=value]")];
    const inputs = [...form.querySelectorAll("input[name=value]")];
    const item = form.querySelector("input[name=item]").value;
    const kind = inputs.length ? inputs[0].type : "tap";
    return {item, kind, values: inputs.map(e => e.value), buttons: taps.map(b => b.value)};
}"""
CHOSEN = """() => [...document.querySelectorAll("form.question input[name=value]")]
    .filter(e => e.type === "number" || e.checked)
    .map(e => ({value: e.value, label: e.type === "number" ? e.value : e.labels[0].innerText.trim()}))"""


def answer(page: Any, answers: dict[str, Any], question: dict[str, Any], taps: list[str]) -> list[str]:
    """Answer the current question with the keyboard, submit it, and return the chosen labels.

    Every key press that acts (Enter or Space on a control, not Tab) is one tap in `taps`.
    """
    value = answers[question["item"]]
    wanted = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if len(wanted) == 1 and wanted[0] in question["buttons"]:  # one tap: the answer's own button submits it
        button = f'form.question button[name=value][value="{wanted[0]}"]'
        tab_to(page, button)
        label = page.locator(button).evaluate("b => b.firstChild.textContent.trim()")
        taps.append(question["item"])
        press_and_load(page)
        return [label]
    if question["kind"] == "number":
        tab_to(page, "form.question input[name=value]")
        page.keyboard.type(wanted[0])
    else:
        for v in question["values"]:  # checkboxes, in tab order
            if v in wanted:
                tab_to(page, f'form.question input[name=value][value="{v}"]')
                page.keyboard.press("Space")
                taps.append(f"{question['item']}={v}")
    chosen = page.evaluate(CHOSEN)
    assert [c["value"] for c in chosen] == wanted, (question["item"], wanted)
    if question["kind"] != "number":
        tab_to(page, "form.question button[type=submit]")
    taps.append(question["item"])
    press_and_load(page)  # Enter in the number field, or on Next, submits the form
    return [c["label"] for c in chosen]


def complete(
    page: Any,
    origin: str,
    lang: str,
    answers: dict[str, Any],
    on_page: OnPage | None = None,
    taps: list[str] | None = None,
) -> list[Visit]:
    """From the landing page to the plan with the keyboard only; `on_page(name)` runs on each page,
    and every key press that acts (not Tab) is added to `taps`."""
    visits: list[Visit] = []
    taps = [] if taps is None else taps

    def arrive(name: str) -> None:
        visits.append(Visit(name, urlsplit(page.url).path))
        if on_page is not None:
            on_page(name)

    page.goto(f"{origin}/{lang}/")
    arrive("landing")
    tab_to(page, f'main a.button[href="/{lang}/start/"]')
    taps.append("start")
    press_and_load(page)
    arrive("consent")
    tab_to(page, "main form button[name=consent]")
    taps.append("consent")
    press_and_load(page)
    for _ in range(100):
        path = urlsplit(page.url).path
        if path == f"/{lang}/results/":
            arrive("results")
            tab_to(page, f'main a.button[href="/{lang}/plan/"]')
            taps.append("plan")
            press_and_load(page)
            assert urlsplit(page.url).path == f"/{lang}/plan/"
            arrive("plan")
            return visits
        if path == f"/{lang}/screen/crisis/":
            acute = page.locator("main form button[name=safe]").count() == 1
            arrive("crisis-acute" if acute else "crisis")
            tab_to(page, "main form button[type=submit]")
            taps.append(path)
            press_and_load(page)
            continue
        assert path == f"/{lang}/screen/", page.url
        question = page.evaluate(QUESTION)
        assert question, f"no question on {page.url}"
        arrive(question["item"])
        visits[-1].labels = answer(page, answers, question, taps)
    raise AssertionError("the screen did not finish")


def engine_asks(answers: dict[str, Any]) -> list[str]:
    """The questions the engine asks before the plan, in order."""
    content = load_content()
    return [i for i in simulate(content, answers)["asked"] if i not in content.after_plan]


def questions(visits: list[Visit]) -> list[str]:
    return [v.name for v in visits if v.path.endswith("/screen/") and v.name not in ("crisis", "crisis-acute")]


# --- Browser contexts that record what they load ---------------------------------------------


@dataclass
class Tab:
    page: Any
    cdp: Any
    requests: list[str]
    responses: list[Any]

    def loaded(self) -> list[Any]:
        """Every response since the last call: what the current page cost to load."""
        out = list(self.responses)
        self.responses.clear()
        return out

    def cold(self) -> None:
        """Switch the browser cache off, so every page counts its stylesheet as on a first visit."""
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})


def new_tab(chromium: Any, *, javascript: bool = True, bypass_csp: bool = False) -> tuple[Any, Tab]:
    """A phone-sized tab in a fresh browser context that records every request it makes."""
    context = chromium.new_context(viewport=PHONE, java_script_enabled=javascript, bypass_csp=bypass_csp)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    tab = Tab(page, cdp, [], [])
    context.on("request", lambda r: tab.requests.append(r.url))
    page.on("response", lambda r: tab.responses.append(r))
    return context, tab


@pytest.fixture
def open_tab(chromium: Any) -> Iterator[Callable[..., Tab]]:
    contexts: list[Any] = []

    def make(*, javascript: bool = True) -> Tab:
        context, tab = new_tab(chromium, javascript=javascript)
        contexts.append(context)
        return tab

    yield make
    for context in contexts:
        context.close()


def off_origin(requests: list[str], origin: str) -> list[str]:
    return [url for url in requests if not url.startswith(origin + "/")]


# --- (a), (b): the whole screen with the keyboard, with and without JavaScript ------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("profile", PROFILES)
def test_a_keyboard_alone_reaches_the_plan_on_a_phone(
    open_tab: Callable[..., Tab], server: str, artifacts: Any, profile: str, javascript: bool
) -> None:
    answers, pathway = PROFILES[profile]
    tab = open_tab(javascript=javascript)
    weights: dict[str, Any] = {}

    def weigh(name: str) -> None:
        loaded = tab.loaded()
        if name == "results":
            tab.cold()  # the plan, next, is weighed as on a first visit
        if name == "plan":
            weights[name] = artifacts.capture(tab.page, f"en-plan-{profile}-{'js' if javascript else 'nojs'}", loaded)

    taps: list[str] = []
    visits = complete(tab.page, server, "en", answers, weigh, taps)

    asked = questions(visits)
    assert asked == engine_asks(answers)
    # One tap per question: Start, "I understand", each answer, and "See your plan" (no list questions here).
    assert len(taps) <= len(asked) + 3, taps
    plan = build_plan(load_content(), {k: answers[k] for k in asked}, "en")
    assert plan["pathway"]["primary"] == pathway
    section = next(s for s in plan["sections"] if s["id"] == "pathway")
    page = tab.page
    assert page.locator("h1").inner_text() == "Your plan"
    assert page.locator("#h-pathway").inner_text() == section["title"]
    assert page.locator(".s-pathway .pathway-name").inner_text() == section["body"][1]
    assert page.locator('a[href="tel:988"]').count() >= 1
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    assert weights["plan"]["transferred_bytes"] <= MAX_PAGE_BYTES
    assert off_origin(tab.requests, server) == []


# --- (c), (d), (e), (f): an acute-risk screen in each language --------------------------------
#
# One keyboard walk per language through an acute-risk screen and /patterns/ gives every page
# kind: each named below gets axe-core, a screenshot and its byte count; crisis pages are read.

TOUR = {
    "landing": "landing",
    "consent": "consent",
    "age": "question-number",
    "audit_1": "question",
    "drug_kinds": "question-multi",
    "crisis": "crisis",
    "crisis-acute": "crisis-acute",
    "results": "results",
    "plan": "plan",
    "patterns": "patterns",
}


@dataclass
class Tour:
    lang: str
    origin: str
    visits: list[Visit]
    crisis: dict[str, dict[str, Any]]
    violations: dict[str, list[dict[str, Any]]]
    weights: dict[str, dict[str, Any]]
    requests: list[str]


@pytest.fixture(scope="module", params=["en", "es"])
def tour(request: pytest.FixtureRequest, chromium: Any, server: str, artifacts: Any) -> Iterator[Tour]:
    lang = request.param
    import axe_playwright_python  # ships axe-core's axe.min.js; injected by hand, past our CSP

    axe = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    # bypass_csp lets axe be injected; it also means the page's CSP blocks nothing, so every
    # request the page would make is seen.
    context, tab = new_tab(chromium, bypass_csp=True)
    tab.cold()
    page, requests, responses = tab.page, tab.requests, tab.responses
    result = Tour(lang, server, [], {}, {}, {}, requests)

    def check(name: str) -> None:
        loaded = list(responses)
        responses.clear()
        if name.startswith("crisis"):
            result.crisis[name] = {
                "h1": page.locator("h1").inner_text(),
                "hrefs": page.locator("main .crisis-actions a").evaluate_all("els => els.map(e => e.href)"),
                "buttons": page.locator("main form button[type=submit]").all_inner_texts(),
            }
        if name in TOUR:
            label = TOUR[name]
            result.weights[label] = artifacts.capture(page, f"{lang}-{label}", loaded)
            page.add_script_tag(content=axe)
            result.violations[label] = page.evaluate(AXE_RUN, AXE_TAGS)

    try:
        # Acute risk, and some drug use, so the tour also meets a question with several answers.
        result.visits = complete(page, server, lang, {**ACUTE, "drug_use_year": "1", "drug_kinds": ["cannabis"]}, check)
        responses.clear()
        page.goto(f"{server}/{lang}/patterns/")
        check("patterns")
        yield result
    finally:
        context.close()


def test_a_risk_answer_brings_the_crisis_page_next_and_acute_risk_asks_to_confirm_safety(tour: Tour) -> None:
    from django.utils import translation

    from screenplan.engine.localize import wording

    content = load_content()
    wanted = ("Thank you for telling us", "Continue the questions", "You deserve help right now")
    wanted += ("I am safe right now, continue",)
    with translation.override(tour.lang):  # the site's own wording in this language
        text = {m: translation.gettext(m) for m in wanted}
    several_days = wording(content, content.items["phq9_9"], tour.lang).labels[1]
    yes = wording(content, content.items["asq_5"], tour.lang).labels[0]
    assert tour.lang != "en" or (several_days, yes) == ("Several days", "Yes")

    names = [v.name for v in tour.visits]
    phq9_9, asq_5 = names.index("phq9_9"), names.index("asq_5")
    assert tour.visits[phq9_9].labels == [several_days]
    assert names[phq9_9 + 1] == "crisis"  # the very next page
    assert tour.visits[phq9_9 + 1].path == f"/{tour.lang}/screen/crisis/"
    assert tour.visits[asq_5].labels == [yes]
    assert names[asq_5 + 1] == "crisis-acute"
    assert names.count("crisis") == names.count("crisis-acute") == 1  # once per level, no more
    # Each crisis page's button goes on with the questions.
    assert tour.visits[phq9_9 + 2].path == tour.visits[asq_5 + 2].path == f"/{tour.lang}/screen/"

    crisis, acute = tour.crisis["crisis"], tour.crisis["crisis-acute"]
    assert crisis["h1"] == text["Thank you for telling us"]
    assert crisis["buttons"] == [text["Continue the questions"]]
    assert acute["h1"] == text["You deserve help right now"]
    assert acute["buttons"] == [text["I am safe right now, continue"]]
    for page in (crisis, acute):
        assert "tel:988" in page["hrefs"]
        assert "sms:988" in page["hrefs"]
        assert any(h.startswith("sms:741741") for h in page["hrefs"])


def test_axe_finds_no_accessibility_violations(tour: Tour) -> None:
    assert sorted(tour.violations) == sorted(TOUR.values())
    found = {page: v for page, v in tour.violations.items() if v}
    assert found == {}, f"axe-core ({', '.join(AXE_TAGS)}) in /{tour.lang}/: {found}"


def test_no_request_leaves_the_origin(tour: Tour) -> None:
    assert tour.requests, "the tour recorded its requests"
    assert off_origin(tour.requests, tour.origin) == []


def test_each_page_weighs_at_most_50_kb(tour: Tour) -> None:
    assert sorted(tour.weights) == sorted(TOUR.values())
    for page, weight in tour.weights.items():
        assert weight["responses"][0]["url"].startswith(tour.origin)
        assert any(r["url"].endswith("/screen.css") for r in weight["responses"]), page  # counted cold
    heavy = {
        page: w["transferred_bytes"] for page, w in tour.weights.items() if w["transferred_bytes"] > MAX_PAGE_BYTES
    }
    assert heavy == {}, f"pages over {MAX_PAGE_BYTES} bytes in /{tour.lang}/"
