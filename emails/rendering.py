"""Turn a queue row into a message: subject, plain-text and HTML parts, headers.

Templates live under `templates/emails/<template lower>/` as `subject.txt`, `body.txt` and
`body.html`, extending `emails/base.txt` / `emails/base.html` for one look. Every link is absolute
(`settings.SITE_URL`): an email is read outside the site. Text parts and subjects are rendered
without HTML escaping (a learner called O'Brien is not `O&#x27;Brien` in a subject line).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Template
from django.template.base import FilterExpression, NodeList, TextNode
from django.template.defaulttags import IfNode
from django.template.loader import get_template
from django.template.loader_tags import BlockNode, ExtendsNode
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.models import SubscriptionPlan
from billing.plans import annual_saving, plan_get, team_plan_get
from certificates.selectors import certificate_links, certificate_public_get
from config.site import SITE_NAME, absolute, site_domain
from courses.selectors import published_course
from emails.models import ADDRESSED_TEMPLATES, MARKETING_TEMPLATES, EmailTemplate
from emails.tokens import unsubscribe_token_for
from progress.selectors import completed_lesson_ids, percent_complete
from qa.selectors import qa_reply_email_context
from teams.selectors import invitation_email_context

if TYPE_CHECKING:
    from accounts.models import User

# Sample `data` for the admin preview: what the triggers put on each row.
SAMPLE_DATA: dict[str, dict[str, Any]] = {
    EmailTemplate.WELCOME: {},
    EmailTemplate.START_JOURNEY: {},
    EmailTemplate.ABANDONMENT_1: {},
    EmailTemplate.ABANDONMENT_2: {},
    EmailTemplate.ABANDONMENT_3: {},
    EmailTemplate.MODULE_COMPLETE: {"module_id": "sample", "module_title": "Foundations"},
    EmailTemplate.INACTIVE_NUDGE: {"last_login_at": "2026-01-05T09:30:00+00:00"},
    EmailTemplate.RENEWAL_REMINDER: {"period_end": "2026-02-01T00:00:00+00:00", "plan": "ANNUAL"},
    EmailTemplate.PAYMENT_FAILED: {"failed_at": "2026-01-10T12:00:00+00:00", "plan": "MONTHLY"},
    EmailTemplate.PAYMENT_FAILED_FINAL: {"failed_at": "2026-01-10T12:00:00+00:00", "plan": "MONTHLY"},
    EmailTemplate.TRIAL_ENDING: {"trial_end": "2026-01-15T09:00:00+00:00", "plan": "MONTHLY"},
    EmailTemplate.CANCELLATION_CONFIRMED: {"ends_at": "2026-02-01T00:00:00+00:00", "plan": "ANNUAL"},
    EmailTemplate.WINBACK: {"ended_at": "2026-01-20T00:00:00+00:00", "plan": "MONTHLY"},
    EmailTemplate.QA_REPLY: {"question_id": "sample", "lesson_id": "sample", "since": None},
    EmailTemplate.CERTIFICATE: {"certificate_id": "sample"},
    EmailTemplate.TEAM_INVITE: {"invitation_id": "sample", "to": "colleague@example.com"},
}


@dataclass(frozen=True)
class RenderedEmail:
    template: str
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)

    def message(self, *, connection: Any = None) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=self.subject, body=self.text, to=[self.to], headers=self.headers, connection=connection
        )
        message.attach_alternative(self.html, "text/html")
        return message


def unsubscribe_url(user_id: str) -> str:
    return absolute(reverse("emails:unsubscribe", kwargs={"token": unsubscribe_token_for(user_id)}))


def _plan_amount(plan: str | None, seats: Any = None) -> tuple[str, int]:
    if isinstance(seats, int) and seats > 0:  # a team (issue 17): the per-seat price times its seats
        team = team_plan_get(plan or "")
        return team.name, team.price * seats
    chosen = plan_get(plan or "")
    return chosen.name, chosen.price


def recipient_address(*, template: str, user: User, data: dict[str, Any] | None) -> str:
    """Where the email goes: the row's user, or for an addressed template (TEAM_INVITE) `data["to"]`."""
    if template in ADDRESSED_TEMPLATES:
        return str((data or {}).get("to") or "")
    return user.email


def _when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _lesson_link(lesson: Any) -> dict[str, str] | None:
    if lesson is None:
        return None
    return {"title": lesson.title, "module_title": lesson.module.title, "url": absolute(lesson.get_absolute_url())}


def _free_lesson() -> dict[str, str] | None:
    return _lesson_link(published_course().free_lesson)


def _progress(user: User) -> dict[str, Any]:
    """The learner's standing, from the cached published course and one query of completed lessons
    (the same answers as the seed's progress and next-lesson queries, see progress.selectors)."""
    course = published_course()
    done = getattr(user, "completed_lesson_ids", None)  # prefetched for a drain's batch (emails.guards)
    if done is None:
        done = completed_lesson_ids(user=user)
    per_module = [(len(m.lessons), sum(1 for lesson in m.lessons if lesson.pk in done)) for m in course.modules]
    return {
        "next_lesson": _lesson_link(next((lesson for lesson in course.lessons if lesson.pk not in done), None)),
        "modules_total": len(per_module),
        "modules_done": sum(1 for t, c in per_module if t and c == t),
        "percent": percent_complete(done=sum(c for _, c in per_module), total=sum(t for t, _ in per_module)),
    }


# Templates whose context includes the learner's progress (`_progress`).
PROGRESS_TEMPLATES = frozenset({EmailTemplate.MODULE_COMPLETE, EmailTemplate.INACTIVE_NUDGE})


def _template_context(template: str, user: User, data: dict[str, Any]) -> dict[str, Any]:
    """What each template needs beyond the common context; reads go through the owning app's selectors."""
    if template in {EmailTemplate.WELCOME, EmailTemplate.START_JOURNEY}:
        return {"free_lesson": _free_lesson()}
    if template in {EmailTemplate.ABANDONMENT_1, EmailTemplate.ABANDONMENT_2, EmailTemplate.ABANDONMENT_3}:
        monthly, annual = plan_get(SubscriptionPlan.MONTHLY), plan_get(SubscriptionPlan.ANNUAL)
        return {"price_monthly": monthly.price, "price_annual": annual.price, "annual_saving": annual_saving()}
    if template == EmailTemplate.MODULE_COMPLETE:
        return {"module_title": data.get("module_title") or "a module", **_progress(user)}
    if template == EmailTemplate.INACTIVE_NUDGE:
        return _progress(user)
    if template == EmailTemplate.RENEWAL_REMINDER:
        plan_label, amount = _plan_amount(data.get("plan"), data.get("seats"))
        return {"renewal_date": _when(data.get("period_end")), "plan_label": plan_label, "amount": amount}
    if template in {EmailTemplate.PAYMENT_FAILED, EmailTemplate.PAYMENT_FAILED_FINAL}:
        plan_label, amount = _plan_amount(data.get("plan"), data.get("seats"))
        return {"failed_at": _when(data.get("failed_at")), "plan_label": plan_label, "amount": amount}
    if template == EmailTemplate.TRIAL_ENDING:
        plan_label, amount = _plan_amount(data.get("plan"))
        return {"trial_end": _when(data.get("trial_end")), "plan_label": plan_label, "amount": amount}
    if template == EmailTemplate.CANCELLATION_CONFIRMED:
        plan_label, _amount = _plan_amount(data.get("plan"))
        ends_at = _when(data.get("ends_at"))
        return {
            "ends_at": ends_at,
            "ended": ends_at is not None and ends_at <= timezone.now(),
            "plan_label": plan_label,
        }
    if template == EmailTemplate.WINBACK:
        monthly, annual = plan_get(SubscriptionPlan.MONTHLY), plan_get(SubscriptionPlan.ANNUAL)
        return {"price_monthly": monthly.price, "price_annual": annual.price, **_progress(user)}
    if template == EmailTemplate.QA_REPLY:
        return _qa_reply(data)
    if template == EmailTemplate.CERTIFICATE:
        return _certificate(data)
    if template == EmailTemplate.TEAM_INVITE:
        return invitation_email_context(invitation_id=str(data.get("invitation_id") or ""), inviter=user)
    return {}


def _qa_reply(data: dict[str, Any]) -> dict[str, Any]:

    found = qa_reply_email_context(question_id=str(data.get("question_id") or ""), since=_when(data.get("since")))
    if found is None:  # the admin preview's sample row, or a question removed since (the guard cancels those)
        return {"question_excerpt": "How do I resume a lesson on another device?", "answers": [], "thread_url": ""}
    question = found["question"]
    return {
        "question_excerpt": _excerpt(question.body),
        "lesson_title": question.lesson.title,
        "thread_url": absolute(reverse("courses:lesson", args=[question.lesson_id]) + f"#question-{question.pk}"),
        "answers": [
            {"author": a.author.name or "A learner", "by_staff": a.by_staff, "excerpt": _excerpt(a.body)}
            for a in found["answers"]
        ],
    }


def _certificate(data: dict[str, Any]) -> dict[str, Any]:

    certificate = certificate_public_get(str(data.get("certificate_id") or ""), include_hidden=True)
    if certificate is None:
        return {"course_title": settings.COURSE_TITLE, "certificate_url": absolute("/dashboard/"), "pdf_url": ""}
    links = certificate_links(certificate)
    return {
        "course_title": certificate.course_title,
        "certificate_url": links.page,
        "pdf_url": links.pdf,
        "linkedin_url": links.linkedin,
        "issued_at": certificate.issued_at,
    }


def _excerpt(text: str, limit: int = 280) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def email_context(*, template: str, user: User, data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    marketing = template in MARKETING_TEMPLATES
    return {
        "site_name": SITE_NAME,
        "site_url": settings.SITE_URL,
        "user": user,
        "name": (user.name or "").strip(),  # no name given: greetings leave it out, never the email's local part
        "is_marketing": marketing,
        "links": {
            "home": absolute("/"),
            "course": absolute("/course/"),
            "dashboard": absolute("/dashboard/"),
            "pricing": absolute("/pricing/"),
            "account": absolute("/account/"),
        },
        "unsubscribe_url": unsubscribe_url(user.pk) if marketing else "",
        **_template_context(template, user, data),
    }


class _NotFlat(Exception):
    """A template this module does not flatten (`{{ block.super }}`, a computed parent, an unknown node)."""


def _flatten(template: Template) -> Template:
    """`template` with its `{% extends %}` chain resolved once: the root layout's nodes, each `{% block %}`
    replaced by the content of its most derived definition — what Django's block machinery works out on
    every render (the parent looked up, block contexts pushed and popped per block), done once. The same
    output, in roughly half the time (bench/README.md, the drain). The cached templates are not changed."""
    chain = [template]
    while isinstance(extends := next((n for n in chain[-1].nodelist if isinstance(n, ExtendsNode)), None), ExtendsNode):
        name = extends.parent_name
        if not isinstance(name, FilterExpression) or name.filters or not isinstance(name.var, str):
            raise _NotFlat  # a parent computed at render time
        if "block.super" in chain[-1].source:
            raise _NotFlat
        chain.append(template.engine.get_template(name.var))
    if len(chain) == 1:
        return template
    overrides: dict[str, BlockNode] = {}
    for level in chain[:-1]:  # the most derived definition of a block wins, nested blocks included
        for block in level.nodelist.get_nodes_by_type(BlockNode):
            if isinstance(block, BlockNode):
                overrides.setdefault(block.name, block)

    def expand(nodelist: NodeList) -> NodeList:
        flat = NodeList()
        for node in nodelist:
            if isinstance(node, BlockNode):
                flat.extend(expand(overrides.get(node.name, node).nodelist))
            elif not node.get_nodes_by_type(BlockNode):
                flat.append(node)  # nothing to resolve inside: shared with the cached template, never changed
            elif isinstance(node, IfNode):
                branches = copy.copy(node)
                branches.conditions_nodelists = [(c, expand(n)) for c, n in node.conditions_nodelists]
                flat.append(branches)
            elif all(attr in vars(node) for attr in node.child_nodelists):
                copied = copy.copy(node)
                for attr in node.child_nodelists:
                    setattr(copied, attr, expand(getattr(node, attr)))
                flat.append(copied)
            else:
                raise _NotFlat
        return _text_joined(flat)

    root = copy.copy(chain[-1])
    root.nodelist = expand(chain[-1].nodelist)
    return root


def _text_joined(nodelist: NodeList) -> NodeList:
    """`nodelist` with each run of adjacent text nodes (a block's edges, once resolved) made one new node:
    the same text, a quarter fewer nodes to render. The cached template's own nodes are not changed."""
    joined = NodeList()
    for node in nodelist:
        if isinstance(node, TextNode) and joined and isinstance(joined[-1], TextNode):
            joined[-1] = TextNode(joined[-1].s + node.s)
        else:
            joined.append(node)
    return joined


# Flattened email templates by name, each beside the cached template it was made from: when the engine's
# cache is reset (the dev server's template reload), the template it returns is a new one and is flattened again.
_FLAT: dict[str, tuple[Template, Template]] = {}


def _template(name: str) -> Template:
    template = get_template(name).template  # type: ignore[attr-defined]  # the engine's own Template
    cached = _FLAT.get(name)
    if cached is not None and cached[0] is template:
        return cached[1]
    try:
        flat = _flatten(template)
    except _NotFlat:
        flat = template
    _FLAT[name] = (template, flat)
    return flat


def _render(name: str, context: dict[str, Any], *, autoescape: bool) -> str:
    # The engine's own Template, so plain text can be rendered with autoescape off.
    return _template(name).render(Context(context, autoescape=autoescape))


EMAIL_PARTS = ("subject.txt", "body.txt", "body.html")
_TEMPLATES = frozenset(EmailTemplate.values)  # `EmailTemplate.values` builds a new list on every read


def email_templates_warm() -> None:
    """Load and flatten every email template, resolve the URLconf and build one MIME message, so a
    worker's first drain does not pay for them (≈ 0.5 s of imports, compiling and URL resolution in a fresh
    process). Reads no database; the template reload and the course's content version still apply."""
    for template in EmailTemplate.values:
        for part in EMAIL_PARTS:
            _template(f"emails/{template.lower()}/{part}")
    unsubscribe_url("warm-up")
    RenderedEmail(
        template=EmailTemplate.WELCOME,
        to="warm-up@example.com",
        subject="",
        text="",
        html="",
        headers={"Message-ID": f"<warm-up@{site_domain()}>"},
    ).message().message()


def email_subject(*, template: str, context: dict[str, Any]) -> str:
    return " ".join(_render(f"emails/{template.lower()}/subject.txt", context, autoescape=False).split())


def email_render(
    *, template: str, user: User, data: dict[str, Any] | None = None, message_key: str | None = None
) -> RenderedEmail:
    """Subject, text and HTML for `template` addressed to `user`.

    Marketing templates carry RFC 8058 one-click unsubscribe headers. `message_key` (the queue
    row's id) becomes a stable Message-ID, so a resend after a crash between the SMTP hand-off and
    the database commit can be recognised as the same message downstream.
    """
    if template not in _TEMPLATES:
        raise ValueError(f"Unknown email template {template!r}.")
    context = email_context(template=template, user=user, data=data)
    directory = f"emails/{template.lower()}"
    headers = {"X-Syllabus-Template": template}
    if message_key:
        headers["Message-ID"] = f"<{message_key}@{site_domain()}>"
    if context["is_marketing"]:
        headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return RenderedEmail(
        template=template,
        to=recipient_address(template=template, user=user, data=data),
        subject=email_subject(template=template, context=context),
        text=re.sub(r"\n{3,}", "\n\n", _render(f"{directory}/body.txt", context, autoescape=False)).strip() + "\n",
        html=_render(f"{directory}/body.html", context, autoescape=True),
        headers=headers,
    )
