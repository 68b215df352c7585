"""The directive tree (Apache's ``ap_directive_t``).

The builder produces these; nothing in them is interpreted yet.  A section
keeps Apache's spelling conventions: ``name`` is ``<Directory`` (with the
``<``) and ``args`` is the raw argument text including the closing ``>``,
exactly what a section handler in Apache receives, so the handlers can give
Apache's "missing closing '>'" and "requires additional arguments" errors.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, eq=False)
class Node:
    name: str                 # as Apache records it: canonical if known
    args: str                 # after ${VAR} expansion
    file: str
    line: int                 # Apache's line: the last physical line
    children: list["Node"] | None = None   # None for a plain directive
    first_line: int = 0       # first physical line (continuations)
    key: str = ""             # name lowercased (directive lookups)

    def __post_init__(self) -> None:
        self.key = self.name.lower()

    @property
    def is_section(self) -> bool:
        return self.children is not None

    def section_args(self) -> str | None:
        """The text before the last ``>`` (None if there is no ``>``)."""
        end = self.args.rfind(">")
        if end < 0:
            return None
        return self.args[:end]

    def walk(self):
        """This node and every node below it, in file order."""
        yield self
        if self.children:
            for child in self.children:
                yield from child.walk()

    def __repr__(self) -> str:
        kids = f", {len(self.children)} children" if self.children is not None else ""
        return f"Node({self.name!r}, {self.args!r}, {self.file}:{self.line}{kids})"
