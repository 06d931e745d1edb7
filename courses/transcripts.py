"""Captions: WebVTT files (from Mux's text tracks or uploaded in the admin) parsed into cues, and back.

`webvtt-py` parses; it silently skips a cue block it cannot read, so every line is checked first and the
first problem is reported with its line number ("Line 7: ..."), before anything is stored.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.vtt import WebVTTCueBlock

MAX_CUES = 20_000
MAX_CUE_CHARS = 2_000
_TIMING = WebVTTCueBlock.CUE_TIMINGS_PATTERN
_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})\.(\d{1,3})")
LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


class Cue(TypedDict):
    start: float
    end: float
    text: str


class VTTError(ValueError):
    """The file is not usable WebVTT; the message names the line and is fit to show an admin."""


def _seconds(stamp: str) -> float:
    match = _TIMESTAMP.fullmatch(stamp.strip())
    if match is None:
        raise ValueError(stamp)
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000


def _check_lines(lines: list[str]) -> None:
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise VTTError("Line 1: a WebVTT file starts with “WEBVTT”.")
    block: list[tuple[int, str]] = []
    previous_start = 0.0

    def check_block(block: list[tuple[int, str]], in_header: bool) -> None:
        nonlocal previous_start
        if in_header or not block:
            return
        first = block[0][1]
        if first.startswith(("NOTE", "STYLE", "REGION")):
            return
        timing_index = next((i for i, (_, line) in enumerate(block[:2]) if "-->" in line), None)
        if timing_index is None:
            number, line = block[0]
            raise VTTError(f"Line {number}: “{line[:80]}” is not a cue timing line (00:00:01.000 --> 00:00:04.000).")
        number, line = block[timing_index]
        match = _TIMING.match(line)
        if match is None:
            raise VTTError(
                f"Line {number}: “{line[:80]}” is not a valid cue timing (use 00:00:01.000 --> 00:00:04.000)."
            )
        start, end = _seconds(match.group(1)), _seconds(match.group(2))
        if end <= start:
            raise VTTError(f"Line {number}: the cue ends ({match.group(2)}) before it starts ({match.group(1)}).")
        if start + 1 < previous_start:
            raise VTTError(f"Line {number}: the cue starts before the one above it; cues must be in time order.")
        previous_start = start
        for extra_number, extra in block[timing_index + 1 :]:
            if "-->" in extra:
                raise VTTError(f"Line {extra_number}: a cue timing inside a cue; leave an empty line before it.")

    in_header = True
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise VTTError(f"Line {number}: contains a NUL byte.")
        if line.strip():
            block.append((number, line))
            continue
        check_block(block, in_header)
        if block:
            in_header = False
        block = []
    check_block(block, in_header)


def vtt_parse(raw: bytes | str) -> list[Cue]:
    """Cues of a WebVTT file, in time order, their text stripped of markup. Raises VTTError."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise VTTError("The file is not UTF-8 text; save it as UTF-8 and upload it again.") from exc
    else:
        text = raw.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    _check_lines(lines)
    try:
        captions = webvtt.from_string("\n".join(lines), strict=True).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise VTTError(f"The file is not valid WebVTT: {exc}") from exc
    if not captions:
        raise VTTError("The file has no cues.")
    if len(captions) > MAX_CUES:
        raise VTTError(f"The file has {len(captions)} cues; at most {MAX_CUES} are accepted.")
    cues: list[Cue] = []
    for caption in captions:
        body = " ".join(caption.text.split())[:MAX_CUE_CHARS]
        if body:
            cues.append({"start": _seconds(caption.start), "end": _seconds(caption.end), "text": body})
    if not cues:
        raise VTTError("The file's cues are all empty.")
    return cues


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def vtt_render(cues: list[Any]) -> str:
    """The cues as a WebVTT file (served to the player as its captions track)."""
    parts = ["WEBVTT", ""]
    for cue in cues:
        # Cue text is markup in WebVTT: stored text is plain, so escape it (this also defuses "-->").
        text = str(cue["text"]).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        parts += [f"{_stamp(cue['start'])} --> {_stamp(cue['end'])}", text, ""]
    return "\n".join(parts)
