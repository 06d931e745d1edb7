"""The demo course loaded by `manage.py seed_demo`: realistic modules, lessons and TipTap bodies."""

from __future__ import annotations

from typing import Any

# Public test streams from Mux's own player documentation: the demo lessons that "have" a video play these
# (config.settings.local lists them in MUX_DEMO_PLAYBACK_IDS, so they play without signing). Lesson positions
# are (module order, lesson order).
DEMO_VIDEOS: dict[tuple[int, int], str] = {
    (1, 1): "EcHgOK9coz5K4rjSwOkoE7Y7O01201YMIC200RI6lNxnhs",
    (1, 2): "a4nOgmxGWg6gULfcBbAa00gXyfcwPnAFldF8RdsNyk8M",
    (2, 1): "DS00Spx1CV902MCtPj5WknGlR102V5HFkDe",
    (3, 2): "a4nOgmxGWg6gULfcBbAa00gXyfcwPnAFldF8RdsNyk8M",
}

DEMO_COURSE: list[dict[str, Any]] = [
    {
        "title": "Foundations",
        "description": "Set up your tools, learn the shape of a production web app and ship a first page.",
        "lessons": [
            ("Welcome: what you will build", 312),
            ("Your development environment", 745),
            ("How a request becomes a page", 903),
            ("Shipping your first deploy", 1120),
        ],
        "asset": ("Setup checklist", "setup-checklist.md"),
    },
    {
        "title": "Data and models",
        "description": "Design a schema that lasts: tables, relations, constraints and migrations.",
        "lessons": [
            ("Thinking in tables", 840),
            ("Relations and on-delete rules", 962),
            ("Constraints that protect you", 731),
            ("Migrations without fear", 1004),
        ],
        "asset": ("Schema design worksheet", "schema-worksheet.md"),
    },
    {
        "title": "Getting paid",
        "description": "Subscriptions, webhooks and the emails that keep learners around.",
        "lessons": [
            ("Pricing pages that convert", 655),
            ("Checkout and webhooks", 1215),
            ("Dunning and failed payments", 780),
            ("Lifecycle emails", 890),
        ],
        "asset": ("Webhook event cheat sheet", "webhook-cheatsheet.md"),
    },
]


# Each demo lesson's own notes: (what it covers, key ideas, a command or snippet, a reference link).
LESSON_NOTES: dict[str, tuple[str, tuple[str, ...], tuple[str, str], tuple[str, str]]] = {
    "Welcome: what you will build": (
        "A tour of the product you will build in this course: a membership site with accounts, payments and progress.",
        (
            "Ship something small on day one.",
            "Every module adds one capability.",
            "Notes and worksheets are yours to keep.",
        ),
        ("bash", "git clone https://example.com/course-project.git"),
        ("https://docs.djangoproject.com/en/5.2/intro/", "Django's introduction"),
    ),
    "Your development environment": (
        "Install Python, a database and an editor, and learn the three commands you will run every day.",
        (
            "One command starts everything.",
            "Keep secrets in the environment, not in code.",
            "A virtualenv per project.",
        ),
        ("bash", "python3.11 -m venv .venv && .venv/bin/pip install -e ."),
        ("https://docs.python.org/3/library/venv.html", "the venv documentation"),
    ),
    "How a request becomes a page": (
        "Follow one request from the browser through URL routing, a view and a template, and back as HTML.",
        ("URLs map to views.", "Views stay thin; the work lives in services.", "Templates only present data."),
        ("python", "path('lessons/<str:lesson_id>/', views.lesson_detail)"),
        ("https://docs.djangoproject.com/en/5.2/topics/http/urls/", "URL dispatcher"),
    ),
    "Shipping your first deploy": (
        "Put the site on a server with a real database, static files and HTTPS, then automate it.",
        (
            "Deploy early, then often.",
            "Migrations run before the new code serves.",
            "Health checks tell you it worked.",
        ),
        ("bash", "python manage.py migrate --noinput && gunicorn config.wsgi"),
        ("https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/", "the deployment checklist"),
    ),
    "Thinking in tables": (
        "Turn the nouns of your product into tables and columns, and decide what each row means.",
        ("One table per thing, one row per instance.", "Name columns for what they hold.", "Nulls need a reason."),
        ("sql", "CREATE TABLE lesson (id text PRIMARY KEY, title text NOT NULL);"),
        ("https://www.postgresql.org/docs/current/ddl.html", "PostgreSQL's data definition chapter"),
    ),
    "Relations and on-delete rules": (
        "Connect tables with foreign keys and choose what happens to children when a parent goes away.",
        (
            "CASCADE for parts, PROTECT for references.",
            "Index every foreign key you filter on.",
            "Draw it before you code it.",
        ),
        ("python", "module = models.ForeignKey(Module, on_delete=models.CASCADE)"),
        ("https://docs.djangoproject.com/en/5.2/ref/models/fields/#foreignkey", "ForeignKey"),
    ),
    "Constraints that protect you": (
        "Let the database refuse bad data with unique, check and exclusion constraints.",
        (
            "The database is the last line of defence.",
            "Unique constraints beat 'check then insert'.",
            "Name your constraints.",
        ),
        ("python", "models.UniqueConstraint(fields=['module', 'order'], name='lesson_order_unique')"),
        ("https://docs.djangoproject.com/en/5.2/ref/models/constraints/", "constraints reference"),
    ),
    "Migrations without fear": (
        "Change a live schema safely: additive steps, backfills and the order to deploy them in.",
        ("Add, backfill, then switch.", "Never rename in one step.", "Test migrations on a copy of production."),
        ("bash", "python manage.py makemigrations --check --dry-run"),
        ("https://docs.djangoproject.com/en/5.2/topics/migrations/", "the migrations guide"),
    ),
    "Pricing pages that convert": (
        "Write a pricing page that answers the buyer's questions before they ask them.",
        ("Two plans are easier than five.", "Show the saving in money, not only percent.", "Say how to cancel."),
        ("html", '<p class="plan__price">$49<span> / month</span></p>'),
        ("https://stripe.com/docs/payments/checkout", "Stripe Checkout"),
    ),
    "Checkout and webhooks": (
        "Send buyers to Stripe Checkout and keep your records in step with Stripe's webhooks.",
        (
            "Verify every signature.",
            "Store each event once; replays are normal.",
            "Re-read the object, don't trust the order.",
        ),
        ("bash", "stripe listen --forward-to localhost:8000/webhooks/stripe/"),
        ("https://stripe.com/docs/webhooks", "Stripe's webhook guide"),
    ),
    "Dunning and failed payments": (
        "Keep customers whose card fails: grace periods, reminders and a one-click way to fix it.",
        ("Most failures are accidents.", "Keep access during the retry window.", "One clear call to action."),
        ("python", "if subscription.status == 'PAST_DUE': show_banner()"),
        ("https://stripe.com/docs/billing/revenue-recovery", "revenue recovery"),
    ),
    "Lifecycle emails": (
        "Send the few emails that help: welcome, a nudge after a week, and honest renewal reminders.",
        ("Every email has a reason and an unsubscribe.", "Queue in the same transaction.", "Never send twice."),
        ("python", "email_queue(template='WELCOME', user=user, idempotency_key=f'welcome:{user.pk}')"),
        ("https://datatracker.ietf.org/doc/html/rfc8058", "RFC 8058 one-click unsubscribe"),
    ),
}

_GENERIC_NOTES = (
    "Watch the video, then work through the notes below at your own pace.",
    ("Start from what the user sees, then work backwards.", "Keep each step small enough to test."),
    ("bash", "make run"),
    ("https://docs.djangoproject.com/", "the Django documentation"),
)


def tiptap_body(title: str, module_title: str) -> dict[str, Any]:
    """A TipTap (ProseMirror) JSON document like the editor produces: the lesson's own notes."""

    def text(value: str, marks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "text", "text": value}
        if marks:
            node["marks"] = marks
        return node

    summary, ideas, (language, code), (href, link_text) = LESSON_NOTES.get(title, _GENERIC_NOTES)
    return {
        "type": "doc",
        "content": [
            {
                "type": "paragraph",
                "content": [text(summary + " Part of "), text(module_title, [{"type": "bold"}]), text(".")],
            },
            {"type": "heading", "attrs": {"level": 3}, "content": [text("Key ideas")]},
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [text(item)]}]} for item in ideas
                ],
            },
            {"type": "heading", "attrs": {"level": 3}, "content": [text("Try it")]},
            {"type": "codeBlock", "attrs": {"language": language}, "content": [text(code)]},
            {
                "type": "paragraph",
                "content": [
                    text("Further reading: "),
                    text(link_text, [{"type": "link", "attrs": {"href": href, "target": "_blank"}}]),
                    text("."),
                ],
            },
        ],
    }


def asset_text(title: str, module_title: str) -> str:
    return (
        f"# {title}\n\nCompanion file for the module **{module_title}**.\n\n"
        "- [ ] Read the lesson notes\n- [ ] Try the exercise\n- [ ] Write down one question\n"
    )


# The free demo lesson's transcript, so `make run` shows the interactive transcript and transcript search
# without a Mux account. (It narrates the lesson; the demo player streams Mux's public test video instead.)
DEMO_TRANSCRIPT: list[dict[str, Any]] = [
    {"start": 0.0, "end": 4.5, "text": "Welcome to the course. In this first lesson we look at what you will build."},
    {"start": 4.5, "end": 9.0, "text": "By the end you will have a production web app with sign-up and payments."},
    {"start": 9.0, "end": 14.0, "text": "We start from what the user sees, then work backwards to the database."},
    {"start": 14.0, "end": 19.5, "text": "Every module ends with something you can deploy and show to a friend."},
    {
        "start": 19.5,
        "end": 25.0,
        "text": "Along the way we write migrations, handle webhooks and send lifecycle emails.",
    },
    {"start": 25.0, "end": 30.0, "text": "Open the setup checklist below the video before the next lesson."},
]
