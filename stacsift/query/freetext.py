"""Parse the ``q`` parameter of the STAC API free-text extension into a small syntax tree.

Grammar (basic and advanced free text in one, case-insensitive matching)::

    or     := and (("OR" | ",") and)*
    and    := unary (["AND"] unary)*      words side by side must all match
    unary  := ("+" | "-")? atom           "+" required (the default), "-" excluded
    atom   := "(" or ")" | '"phrase"' | word | word*

A trailing ``*`` makes a word a prefix (``Forest*`` finds "forestry"). ``AND``/``OR`` are
operators only in capitals. The parser never fails on user text: unbalanced parentheses and
quotes are closed at the end, stray operators are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stacsift.errors import InvalidParameter

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 64
# prefixes (``word*``) of one query: each is scored by up to 64 words, all over the index (at
# 2,000,000 items 64 one-letter prefixes took 0.98 s, one 16 ms)
MAX_PREFIXES = 4
# phrases of one query, and their words together: a phrase reads the positions of its words
# all over the index (at 2,000,000 items a phrase of two common words took 27 ms, thirty of
# them 0.64 s, one of sixty words 0.2 s, four of eight 0.22 s)
MAX_PHRASES = 4
MAX_PHRASE_WORDS = 8
MAX_DEPTH = 16  # nested parentheses (the parser recurses once per level)


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Word | Phrase | Not | And | Or

_TOKEN = re.compile(r'"[^"]*"?|[(),]|[+-]|[^\s(),"]+')


def parse(q: str) -> Node | None:
    """Parse free text; ``None`` when it holds no searchable term."""
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter("q", f"is longer than {MAX_QUERY_LENGTH} characters")
    lexemes = _TOKEN.findall(q)
    if sum(1 for t in lexemes if t not in "(),+-") > MAX_TERMS:
        raise InvalidParameter("q", f"has more than {MAX_TERMS} terms")
    if sum(1 for t in lexemes if t.endswith("*") and not t.startswith('"')) > MAX_PREFIXES:
        raise InvalidParameter("q", f"has more than {MAX_PREFIXES} prefixes (word*)")
    phrases = [t for t in lexemes if t.startswith('"')]
    if len(phrases) > MAX_PHRASES:
        raise InvalidParameter("q", f"has more than {MAX_PHRASES} phrases")
    if sum(len(phrase.strip('"').split()) for phrase in phrases) > MAX_PHRASE_WORDS:
        raise InvalidParameter("q", f"has phrases of more than {MAX_PHRASE_WORDS} words in all")
    depth = 0
    for lexeme in lexemes:
        depth += (lexeme == "(") - (lexeme == ")")
        if depth > MAX_DEPTH:
            raise InvalidParameter("q", f"nests parentheses more than {MAX_DEPTH} deep")
    parser = _Parser(lexemes)
    return parser.parse_or(top=True)


class _Parser:
    def __init__(self, lexemes: list[str]) -> None:
        self.lexemes = lexemes
        self.pos = 0

    def peek(self) -> str | None:
        return self.lexemes[self.pos] if self.pos < len(self.lexemes) else None

    def take(self) -> str:
        lexeme = self.lexemes[self.pos]
        self.pos += 1
        return lexeme

    def parse_or(self, *, top: bool = False) -> Node | None:
        nodes = []
        while (lexeme := self.peek()) is not None:
            if lexeme in ("OR", ","):
                self.take()
                continue
            if lexeme == ")":
                self.take()
                if top:
                    continue  # a stray ")" at top level is ignored
                break
            node = self.parse_and()
            if node is not None:
                nodes.append(node)
        return _combine(Or, nodes)

    def parse_and(self) -> Node | None:
        nodes = []
        while (lexeme := self.peek()) is not None and lexeme not in ("OR", ",", ")"):
            if lexeme == "AND":
                self.take()
                continue
            node = self.parse_unary()
            if node is not None:
                nodes.append(node)
        return _combine(And, nodes)

    def parse_unary(self) -> Node | None:
        lexeme = self.peek()
        if lexeme in ("+", "-"):
            self.take()
            node = self.parse_atom() if self.peek() not in (None, "OR", ",", ")") else None
            if node is None:
                return None
            return Not(node) if lexeme == "-" else node
        return self.parse_atom()

    def parse_atom(self) -> Node | None:
        lexeme = self.take()
        if lexeme == "(":
            return self.parse_or()
        if lexeme.startswith('"'):
            text = lexeme.strip('"').strip()
            return Phrase(text) if text else None
        if lexeme in ("AND", "+", "-"):
            return None
        if lexeme.endswith("*"):
            stem = lexeme.rstrip("*")
            return Word(stem, prefix=True) if stem else Word("", prefix=True)
        return Word(lexeme)


def _combine(kind: type[And] | type[Or], nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    return kind(tuple(nodes))
