"""`make run`'s email backend: one line in the terminal, the whole message in .run/mail/."""

from __future__ import annotations

import email

from django.core.mail import EmailMultiAlternatives

from emails.backends import SummaryFileBackend


def test_each_email_is_one_line_in_the_terminal_and_a_full_file(tmp_path, capsys):
    message = EmailMultiAlternatives(
        subject="Welcome to Syllabus, Robin",
        body="Plain part",
        to=["robin@example.com"],
        headers={"X-Syllabus-Template": "WELCOME"},
    )
    message.attach_alternative("<p>HTML part</p>", "text/html")

    assert SummaryFileBackend(file_path=str(tmp_path)).send_messages([message]) == 1

    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line, not the MIME
    assert "robin@example.com" in out and '"Welcome to Syllabus, Robin"' in out and "template WELCOME" in out
    [saved] = tmp_path.glob("*.eml")
    assert str(saved) in out
    parsed = email.message_from_bytes(saved.read_bytes())
    assert parsed["Subject"] == "Welcome to Syllabus, Robin" and parsed.is_multipart()
    assert [part.get_content_type() for part in parsed.walk()][1:] == ["text/plain", "text/html"]
