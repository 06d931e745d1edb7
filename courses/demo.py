"""The demo course loaded by `manage.py seed_demo`: realistic modules, lessons and TipTap bodies."""

from __future__ import annotations

from typing import Any

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


def tiptap_body(title: str, module_title: str) -> dict[str, Any]:
    """A TipTap (ProseMirror) JSON document like the editor produces."""

    def text(value: str, marks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "text", "text": value}
        if marks:
            node["marks"] = marks
        return node

    return {
        "type": "doc",
        "content": [
            {
                "type": "paragraph",
                "content": [
                    text(f"“{title}” is part of "),
                    text(module_title, [{"type": "bold"}]),
                    text(". Watch the video, then work through the notes below at your own pace."),
                ],
            },
            {"type": "heading", "attrs": {"level": 3}, "content": [text("Key ideas")]},
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [text(item)]}]}
                    for item in (
                        "Start from what the user sees, then work backwards.",
                        "Keep each step small enough to test.",
                        "Write down the decision, not just the code.",
                    )
                ],
            },
            {
                "type": "paragraph",
                "content": [
                    text("Further reading: "),
                    text(
                        "the Django documentation",
                        [{"type": "link", "attrs": {"href": "https://docs.djangoproject.com/", "target": "_blank"}}],
                    ),
                    text("."),
                ],
            },
            {"type": "codeBlock", "attrs": {"language": "bash"}, "content": [text("make run")]},
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
