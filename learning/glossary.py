"""The glossary of the help centre: the assembly's words, each said in plain French.

In French only, like the guides (learning/guides.py): it explains French words. Each entry's
anchor is how guides link to it (« [plénière](glossaire:pleniere) »).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    anchor: str
    term: str
    definition: str


TERMS: tuple[Term, ...] = (
    Term("agent", "Agent du Département",
         "Une personne qui travaille au Département. Les agents partagent des documents et "
         "répondent aux questions. Ils ne sont pas membres de l'assemblée."),
    Term("assemblee-citoyenne", "Assemblée citoyenne",
         "108 habitantes et habitants de la Haute-Garonne, tirés au sort, qui donnent leur "
         "avis au Département. Le mandat dure d'octobre 2025 à juin 2027."),
    Term("auto-saisine", "Auto-saisine",
         "Quand l'assemblée choisit elle-même une question à travailler. C'est possible à "
         "partir de la deuxième année."),
    Term("canton", "Canton",
         "Une partie du département. La Haute-Garonne en compte 27. Chaque canton a 4 "
         "membres dans l'assemblée."),
    Term("comite-de-suivi", "Comité de suivi",
         "12 membres tirés au sort parmi les volontaires. Ils suivent ce que deviennent les "
         "propositions de l'assemblée."),
    Term("compte-rendu", "Compte rendu",
         "Le résumé écrit d'une réunion. Il est publié deux semaines au plus après la "
         "réunion."),
    Term("dccu", "DCCU",
         "Le service « Dialogue citoyen » du Département. C'est l'équipe qui organise "
         "l'assemblée et gère la plateforme."),
    Term("dpd", "DPD (délégué à la protection des données)",
         "La personne du Département qui veille au respect de vos données personnelles. "
         "Vous pouvez lui écrire pour toute question sur vos données."),
    Term("facilitateur", "Facilitateur, facilitatrice",
         "La personne qui anime un sous-groupe : elle donne la parole, aide à avancer et "
         "relit les documents proposés. Elle ne donne pas son avis sur le fond."),
    Term("indemnite", "Indemnité",
         "L'argent versé pour chaque jour de présence à une plénière : 90 €, 4 fois par an "
         "au plus, plus les frais de déplacement."),
    Term("interpleniere", "Interplénière",
         "Le travail entre deux plénières, en sous-groupe, souvent en visio ou sur la "
         "plateforme."),
    Term("note-de-cadrage", "Note de cadrage",
         "Un document qui présente une séance : la question, le but, le programme. Elle est "
         "envoyée 10 jours avant chaque plénière."),
    Term("pleniere", "Plénière",
         "La réunion de toute l'assemblée, quatre fois par an, à l'Hôtel du Département. On "
         "peut aussi la suivre en audio sur la plateforme."),
    Term("proposition", "Proposition",
         "Une idée précise que l'assemblée donne au Département. Elle est écrite à plusieurs, "
         "puis envoyée au président dans un rapport."),
    Term("rapport", "Rapport",
         "Le document qui rassemble les avis et les propositions de l'assemblée. Il est remis "
         "au président du Département."),
    Term("reglement-interieur", "Règlement intérieur",
         "Les règles de fonctionnement de l'assemblée. Ce sont les membres qui les adoptent."),
    Term("remplacant", "Remplaçant, remplaçante",
         "Une personne tirée au sort en même temps que les membres. Elle lit la bibliothèque "
         "et suit un parcours. Elle devient titulaire si une place se libère."),
    Term("rgpd", "RGPD",
         "La loi européenne qui protège les données personnelles. Elle vous donne le droit "
         "de voir, corriger et effacer vos données."),
    Term("saisine", "Saisine",
         "La question que le président du Département pose à l'assemblée. L'assemblée y "
         "répond par des avis et des propositions."),
    Term("sous-groupe", "Sous-groupe",
         "Un petit groupe de membres qui travaille sur un thème, avec un facilitateur ou une "
         "facilitatrice. Chaque membre fait partie d'un sous-groupe."),
    Term("synthese", "Synthèse",
         "Un texte court qui résume les idées d'une discussion ou d'une séance."),
    Term("tirage-au-sort", "Tirage au sort",
         "La façon de choisir les membres : au hasard, parmi les habitants, en respectant "
         "l'équilibre entre femmes et hommes, âges et cantons."),
    Term("titulaire", "Titulaire",
         "Un membre de plein droit de l'assemblée : il discute, vote et écrit les "
         "propositions. Il y en a 108."),
)
