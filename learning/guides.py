"""The help centre's guides: which ones exist, who they are for, and their steps.

A guide's steps are a short Markdown file in ``learning/guides/<slug>.md``, in French only:
they describe the French interface, word for word, and are read aloud in the training
sessions. Each step is a ``## `` heading, a few sentences, and one screenshot line
``![alt text](file.png)``; the screenshots are made by the browser test
``tests/e2e/test_help_screenshots.py`` (docs/help.md), so they follow the interface.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.roles import (
    ASSEMBLY_ROLES,
    CONTRIBUTOR_ROLES,
    DATA_HANDLER_ROLES,
    DRAFT_WRITER_ROLES,
    MODERATOR_ROLES,
    Role,
    user_roles,
)

GUIDES_DIR = Path(__file__).resolve().parent / "guides"
SCREENS_DIR = Path(__file__).resolve().parent / "static" / "learning" / "screens"
SCREENS_STATIC = "learning/screens/"  # the same folder, as a static path

_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]+)\]\((?P<src>[\w.-]+\.png)\)$")
# French spacing: no line break just inside « » nor before : ; ? ! (a non-breaking space).
_SPACE_AFTER = re.compile(r"«\s+")
_SPACE_BEFORE = re.compile(r"\s+([»:;?!])")
# « [saisine](glossaire:saisine) »: a word of the glossary, linked to its definition.
_GLOSSARY_LINK = re.compile(r"\[([^\]]+)\]\(glossaire:([\w-]+)\)")


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # plain text, glossary links reduced to their words
    image: str  # file name under SCREENS_DIR
    alt: str
    paragraphs: tuple[str, ...] = ()  # as written, with their glossary links

    @property
    def image_static(self) -> str:
        return SCREENS_STATIC + self.image

    @property
    def html(self) -> SafeString:
        """The paragraphs as HTML, glossary links made links (everything else escaped)."""
        glossary = reverse("help_glossary")
        parts = []
        for paragraph in self.paragraphs:
            escaped = str(escape(paragraph))
            linked = _GLOSSARY_LINK.sub(
                lambda m: f'<a href="{glossary}#{m.group(2)}">{m.group(1)}</a>', escaped
            )
            parts.append(f"<p>{linked}</p>")
        return mark_safe("".join(parts))  # noqa: S308 - built from escaped text above


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str  # « Écrire dans ma discussion »: the task, in the person's words
    summary: str  # one sentence: when this guide helps
    # Who sees it in the help centre and in the search; None: everyone. Anyone logged in
    # may still open any guide (the training sessions show them all).
    roles: frozenset[Role] | None = None
    url_names: tuple[str, ...] = field(default=())  # pages whose « ? » leads here

    @property
    def steps(self) -> list[Step]:
        return read_steps(self.slug)

    def is_for(self, roles: frozenset[Role]) -> bool:
        return self.roles is None or bool(self.roles & roles)

    @property
    def text(self) -> str:
        """Everything the guide says, for the search."""
        lines = [self.title, self.summary]
        for step in self.steps:
            lines += [step.title, step.text]
        return "\n".join(lines)


GUIDES: tuple[Guide, ...] = (
    Guide(
        "ecrire-discussion",
        "Écrire dans ma discussion",
        "Pour parler avec votre sous-groupe, à votre rythme ou en direct.",
        ASSEMBLY_ROLES,
        ("forums:rooms", "forums:room", "forums:forum", "forums:thread"),
    ),
    Guide(
        "message-vocal",
        "Enregistrer un message vocal",
        "Pour dire les choses à voix haute, quand c'est plus simple que d'écrire.",
        ASSEMBLY_ROLES,
    ),
    Guide(
        "co-ecrire-proposition",
        "Co-écrire une proposition",
        "Pour écrire à plusieurs le texte d'une proposition de votre sous-groupe.",
        DRAFT_WRITER_ROLES,
        ("proposals", "proposal"),
    ),
    Guide(
        "pleniere-audio",
        "Rejoindre la plénière en audio",
        "Pour écouter la plénière et prendre la parole depuis chez vous.",
        ASSEMBLY_ROLES,
    ),
    Guide(
        "proposer-document",
        "Proposer un document",
        "Pour partager un article, une vidéo ou un fichier utile avec l'assemblée.",
        CONTRIBUTOR_ROLES,
        ("library", "library_propose"),
    ),
    Guide(
        "mes-donnees",
        "Mes données",
        "Pour savoir ce que la plateforme garde sur vous, en avoir une copie ou le corriger.",
        None,
        ("rights:home",),
    ),
    Guide(
        "animer-sous-groupe",
        "Animer un sous-groupe",
        "Pour suivre l'activité d'un sous-groupe et traiter les signalements.",
        MODERATOR_ROLES,
        ("facilitator_dashboard",),
    ),
    Guide(
        "valider-presences",
        "Valider les présences",
        "Pour noter qui est venu à une séance : c'est ce qui ouvre droit à l'indemnité.",
        MODERATOR_ROLES,
        ("attendance:sessions", "attendance:checkin"),
    ),
    Guide(
        "repondre-demande-rgpd",
        "Répondre à une demande RGPD",
        "Pour traiter dans les délais une demande d'accès, de correction ou d'effacement.",
        DATA_HANDLER_ROLES,
        ("dpo:index", "rights:requests"),
    ),
)

_BY_SLUG = {guide.slug: guide for guide in GUIDES}


def get_guide(slug: str) -> Guide | None:
    return _BY_SLUG.get(slug)


def guides_for(user: object) -> list[Guide]:
    """The guides shown to this person, in the registry's order."""
    roles = user_roles(user)
    return [guide for guide in GUIDES if guide.is_for(roles)]


def guide_for_url_name(url_name: str) -> Guide | None:
    """The guide a page's « ? » leads to, by the page's URL name (``namespace:name``)."""
    for guide in GUIDES:
        if url_name in guide.url_names:
            return guide
    return None


def french_spacing(text: str) -> str:
    return _SPACE_BEFORE.sub("\u00a0\\1", _SPACE_AFTER.sub("«\u00a0", text))


@cache
def read_steps(slug: str) -> list[Step]:
    """The steps of ``learning/guides/<slug>.md`` (read once per process)."""
    source = (GUIDES_DIR / f"{slug}.md").read_text(encoding="utf-8")
    steps: list[Step] = []
    for block in re.split(r"^## ", source, flags=re.MULTILINE)[1:]:
        title, _, body = block.partition("\n")
        paragraphs: list[str] = []
        image = alt = ""
        for paragraph in re.split(r"\n\s*\n", body.strip()):
            line = " ".join(paragraph.split())
            found = _IMAGE.match(line)
            if found:
                image, alt = found["src"], found["alt"]
            elif line:
                paragraphs.append(french_spacing(line))
        if not image:
            raise ValueError(f"{slug}.md, « {title.strip()} »: a step needs its screenshot")
        text = _GLOSSARY_LINK.sub(r"\1", " ".join(paragraphs))
        steps.append(Step(french_spacing(title.strip()), text, image, alt, tuple(paragraphs)))
    return steps
