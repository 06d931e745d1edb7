"""Admin forms for course content, one module per form: `module`, `lesson`, `asset` (lesson files),
`video` (Mux uploads); `body` is the lesson body's TipTap JSON field and `positions` the shared
ordering rules. Callers import from `courses.forms`."""

from courses.forms.asset import AssetAdminForm, AssetInlineForm, AssetInlineFormSet
from courses.forms.body import TIPTAP_MAX_BYTES, TIPTAP_MAX_DEPTH, TipTapJSONField
from courses.forms.lesson import (
    LessonAdminForm,
    LessonInlineForm,
    LessonInlineFormSet,
)
from courses.forms.module import ModuleAdminForm
from courses.forms.video import VideoUploadForm

__all__ = [
    "TIPTAP_MAX_BYTES",
    "TIPTAP_MAX_DEPTH",
    "AssetAdminForm",
    "AssetInlineForm",
    "AssetInlineFormSet",
    "LessonAdminForm",
    "LessonInlineForm",
    "LessonInlineFormSet",
    "ModuleAdminForm",
    "TipTapJSONField",
    "VideoUploadForm",
]
