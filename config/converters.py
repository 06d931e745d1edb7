"""Path converters: ids are validated where URLs are parsed (DESIGN.md §12 "Ids in URLs").

`<cuid:name>` matches the one id shape the site hands out (`config.ids.new_id`: a lowercase letter,
then lowercase letters and digits, 25 in all). Anything else — a NUL byte, a 300-character string, a
slash — never reaches a view: the URL does not resolve, so it is a 404 before any query.
Registered once in config/urls.py; every URL that carries an id uses it.
"""

from __future__ import annotations

from config.ids import ID_LENGTH


class CuidConverter:
    regex = f"[a-z][a-z0-9]{{{ID_LENGTH - 1}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)
