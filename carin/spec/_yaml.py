"""A YAML loader that remembers the line of every mapping, sequence and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from carin.errors import SpecError

#: Largest YAML file read (specs, layer lists and device files are a few kB).
MAX_YAML_BYTES = 4 * 1024 * 1024


class LineDict(dict):
    """A dict that knows the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A list that knows the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise SpecError(f"{key_node.start_mark.line + 1}: mapping keys must be plain text")
        key = str(key)
        if key in out:
            raise SpecError(f"{key_node.start_mark.line + 1}: duplicate key '{key}'")
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800" escapes decode to lone surrogates
        raise SpecError(
            f"{node.start_mark.line + 1}: text holds an escaped lone surrogate "
            "(\\ud800-\\udfff), which is not a Unicode character"
        ) from None
    return value


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Load a YAML file keeping line numbers; raise SpecError naming file and line."""
    from carin._files import read_text

    # a regular UTF-8 file of bounded size: a FIFO, /dev/zero or UTF-16 text is refused
    text = read_text(path, what="YAML file", error=SpecError, limit=MAX_YAML_BYTES)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except SpecError as exc:
        raise SpecError(f"{path}:{exc}") from None
    except RecursionError:
        raise SpecError(f"{path}: nested too deeply to be a spec or layer list") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"{where}: malformed YAML: {problem}") from None
