"""What the landing page says about the course, edited in the admin: one SiteContent row with its
testimonials and questions."""

from __future__ import annotations

from django.db import models

from config.ids import new_id


class SiteContent(models.Model):
    """The landing page's words. There is one row (`singleton` is unique); the admin edits it."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    headline = models.CharField(max_length=200, help_text="The landing page's main heading.")
    tagline = models.TextField(max_length=600, help_text="One or two sentences under the heading.")
    description = models.TextField(
        max_length=4000, help_text="About the course: who it is for and what it covers. Blank lines start paragraphs."
    )
    learn_points = models.TextField(
        "what you'll learn", max_length=4000, help_text="One outcome per line, shown as a checklist."
    )
    instructor_name = models.CharField(max_length=200)
    instructor_role = models.CharField(max_length=200, blank=True, help_text="e.g. “Staff engineer, ex-Stripe”.")
    instructor_bio = models.TextField(max_length=4000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site content"
        verbose_name_plural = "site content"

    def __str__(self) -> str:
        return "Landing page content"

    @property
    def learn_list(self) -> list[str]:
        return [line.strip() for line in self.learn_points.splitlines() if line.strip()]

    @property
    def description_paragraphs(self) -> list[str]:
        return [part.strip() for part in self.description.split("\n\n") if part.strip()]


class Testimonial(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    site_content = models.ForeignKey(SiteContent, on_delete=models.CASCADE, related_name="testimonials")
    quote = models.TextField(max_length=1000)
    author = models.CharField(max_length=200)
    author_role = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.quote[:40]}"


class FaqItem(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    site_content = models.ForeignKey(SiteContent, on_delete=models.CASCADE, related_name="faq_items")
    question = models.CharField(max_length=300)
    answer = models.TextField(max_length=4000)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "FAQ item"

    def __str__(self) -> str:
        return self.question
