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
