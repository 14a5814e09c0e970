"""Configuration files a site edits (YAML), checked when read: a mistake names the file and the line, in
French, so that whoever edited it finds it. Used by the transfer routing and the IVR menu."""

from collections.abc import Iterable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Located = tuple[tuple[Any, ...], str]  # where in the file (keys and indexes), and what is wrong (French)


class ConfigInvalid(ValueError):
    """The file is wrong: the message (French) names the file and the line."""


def load(text: str, name: str, model: type[M], check: Any = None) -> M:
    """The file's content as ``model``; then ``check(config)`` yields the names it uses that do not exist
    (``Located`` items): the first mistake found is raised as ``ConfigInvalid``."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", ligne {mark.line + 1}" if mark is not None else ""
        raise ConfigInvalid(f"{name}{line} : YAML invalide ({getattr(exc, 'problem', None) or exc}).") from exc
    if not isinstance(data, dict):
        raise ConfigInvalid(f"{name}, ligne 1 : le fichier doit décrire un dictionnaire de réglages.")
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        raise ConfigInvalid(f"{name}, ligne {line_of(root, loc)} : {_path(loc)} — {_french(error)}") from exc
    problems: Iterable[Located] = check(config) if check else ()
    for loc, message in problems:
        raise ConfigInvalid(f"{name}, ligne {line_of(root, loc)} : {message}")
    return config


def unknown(kind: str, value: str, known: Iterable[str]) -> str:
    return f"{kind} inconnu(e) « {value} » (connu(e)s : {', '.join(sorted(known))})."


def line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The line (1-based) of the deepest node of ``loc`` found in the YAML tree."""
    node, line = root, (root.start_mark.line + 1 if root is not None else 1)
    for key in loc:
        if key is None:
            break
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(k) for k in loc if k is not None)


_FRENCH = {"missing": "champ obligatoire manquant", "extra_forbidden": "champ inconnu",
           "string_type": "texte attendu", "string_too_short": "texte vide", "bool_type": "vrai ou faux attendu",
           "bool_parsing": "vrai ou faux attendu", "dict_type": "dictionnaire attendu",
           "model_type": "dictionnaire attendu", "tuple_type": "liste attendue", "too_short": "liste vide",
           "string_too_long": "texte trop long", "float_type": "nombre attendu", "float_parsing": "nombre attendu",
           "greater_than_equal": "valeur trop petite", "less_than_equal": "valeur trop grande",
           "string_pattern_mismatch": "format non reconnu"}


def _french(error: dict[str, Any]) -> str:
    return _FRENCH.get(error["type"], "valeur invalide") + "."
