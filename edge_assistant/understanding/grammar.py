"""The phrase grammar (JSGF) for a grammar-constrained speech recognizer, generated from the
same templates the understanding model is trained on and the home's own names.

Home Assistant's templates are already a grammar (alternatives, optionals, rules, lists),
so they translate one to one: ``(a|b)`` -> ``( a | b )``, ``[x]`` -> ``[ x ]``, ``<rule>``
-> ``<rule>``, ``{area}`` -> a rule listing the home's area names and aliases, numbers ->
their spoken words. A recognizer limited to this grammar hears only what the assistant can
act on, and a change to home.yaml or to the phrasings changes both at once.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from hassil import parse_sentence
from hassil.expression import (
    Alternative,
    Expression,
    ListReference,
    Permutation,
    RuleReference,
    Sequence,
    TextChunk,
)

from edge_assistant.home.model import Home
from edge_assistant.understanding.custom import extra_sentences, read_custom_sentences
from edge_assistant.understanding.intents import INTENTS, MODEL_INTENTS
from edge_assistant.understanding.phrasings import (
    Template,
    expansion_rules,
    ha_data,
    ha_templates,
    list_value,
    own_templates,
    speech_data,
)

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# The command without the skip words that may trail it ("... please"): a reading that is a
# whole request ends at a short pause even though "please" could still follow.
REQUEST_RULE = "request"
# What the policy's confirmation question may be answered with (policy/policy.py reads them).
ANSWERS = ("yes", "yes please", "yeah", "yep", "confirm", "do it", "okay", "sure", "no",
           "no thanks", "nope", "cancel", "stop", "never mind")  # fmt: skip
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


# Adding to and ticking off a to-do list: Home Assistant's speech subset has no such
# sentences (items are free words); with the home's usual items (home.yaml ``items``) the
# full templates of these intents go into the grammar, their item lists filled with them.
ITEM_INTENTS = ("HassShoppingListAddItem", "HassListAddItem", "HassListCompleteItem")
ITEM_LISTS = frozenset({"shopping_list_item", "todo_list_item"})


class UnsupportedList(Exception):
    pass


class JsgfBuilder:
    def __init__(self, home: Home, speech: bool = False) -> None:
        self.home = home
        self.speech = speech
        self.rules: dict[str, str] = {}
        # the speech subset's lists and rules where it has them, the full data's otherwise
        self.lists = {**ha_data()["lists"], **(speech_data()["lists"] if speech else {})}

    def build(self, templates: list[Template], grammar: str = "commands") -> str:
        alternatives = []
        for template in templates:
            if template.intent is None:
                continue  # phrasings to refuse: the recognizer need not hear them
            try:
                body = self.expression(template.sentence.expression)
            except UnsupportedList:
                continue
            if body:
                alternatives.append(body)
        alternatives += [" | ".join(ANSWERS)]  # replies to "Are you sure?"
        skip = " | ".join(to_words(w) for w in ha_data()["skip_words"])
        lines = [
            "#JSGF V1.0;",
            f"grammar {grammar};",
            f"public <command> = <{REQUEST_RULE}> [ <skip> ];",
            f"<{REQUEST_RULE}> = [ <skip> ] ( {' | '.join(alternatives)} );",
            f"<skip> = ( {skip} );",
            *(f"<{name}> = {body};" for name, body in sorted(self.rules.items())),
        ]
        return "\n".join(lines) + "\n"

    def expression(self, expr: Expression) -> str:
        if isinstance(expr, TextChunk):
            return to_words(expr.original_text)
        if isinstance(expr, Sequence):
            return self._sequence(expr.items)
        if isinstance(expr, Alternative):
            parts = [self.expression(i) for i in expr.items]
            present = list(dict.fromkeys(p for p in parts if p))
            if not present:
                return ""
            inner = present[0] if len(present) == 1 else f"( {' | '.join(present)} )"
            return f"[ {inner} ]" if expr.is_optional or len(present) < len(parts) else inner
        if isinstance(expr, Permutation):
            parts = [self.expression(i) for i in expr.items]
            orders = [" ".join(p for p in order if p) for order in itertools.permutations(parts)]
            return f"( {' | '.join(dict.fromkeys(orders))} )"
        if isinstance(expr, RuleReference):
            return self._rule(
                f"r_{_ident(expr.rule_name)}",
                lambda: expansion_rules(self.speech)[expr.rule_name].expression,
            )
        if isinstance(expr, ListReference):
            return self._list(expr.list_name)
        raise TypeError(f"unexpected template expression {expr!r}")

    def _sequence(self, items: list[Expression]) -> str:
        """Join parts with spaces, except where the template glues an alternative to a word
        ("minute[s]", "[re]open"): JSGF words are whole, so those become ( minute | minutes )."""
        frags: list[str] = []
        tail: str | None = None  # last word of a chunk that ends inside a word
        prefix: list[str] | None = None  # options glued to the next word
        skip = False
        for index, item in enumerate(items):
            if skip:
                skip = False
                continue
            after = items[index + 1] if index + 1 < len(items) else None
            words_then_suffix = _glued_options(item, spaces=True), _glued_options(after)
            if isinstance(item, Alternative) and None not in words_then_suffix and not tail:
                # "(lock|door|garage door)[s]": every option with and without the suffix
                stems, suffixes = words_then_suffix
                frags += [x for x in (_group(prefix) if prefix else None,) if x]
                prefix = None
                frags.append(_group([f"{w}{x}" for w in stems for x in suffixes]))  # type: ignore[union-attr]
                skip = True
                continue
            if isinstance(item, TextChunk):
                raw = item.original_text
                words = to_words(raw).split()
                if prefix is not None:
                    if words and not raw[:1].isspace():  # "[re]open": one word, each option
                        first = words.pop(0)
                        frags.append(_group([o + first for o in prefix]))
                    else:
                        frags.append(_group(prefix))
                    prefix = None
                if tail:
                    frags.append(tail)
                    tail = None
                if words and raw and not raw[-1].isspace():
                    tail = words.pop()
                frags.extend(words)
                continue
            options = _glued_options(item)
            if options is not None and tail:
                frags.append(_group([tail + o for o in options]))
                tail = None
            elif options is not None and not frags and prefix is None:
                prefix = options
            else:
                frags += [x for x in (tail, _group(prefix) if prefix else None) if x]
                tail, prefix = None, None
                frags.append(self.expression(item))
        frags += [x for x in (tail, _group(prefix) if prefix else None) if x]
        return " ".join(f for f in frags if f)

    def _rule(self, name: str, make: Any) -> str:
        if name not in self.rules:
            self.rules[name] = "<VOID>"  # placeholder: rules may refer to themselves
            self.rules[name] = self.expression(make()) or "<NULL>"
        return f"<{name}>"

    def _list(self, list_name: str) -> str:
        name = f"l_{_ident(list_name)}"
        if name in self.rules:
            return f"<{name}>"
        values = self._list_values(list_name)
        self.rules[name] = "( " + " | ".join(dict.fromkeys(v for v in values if v)) + " )"
        return f"<{name}>"

    def _list_values(self, list_name: str) -> list[str]:
        home = self.home
        if list_name == "name":
            names = [n for d in home.devices for n in d.spoken_names()]
            return [to_words(n) for n in names + [p.name for p in home.people]]
        if list_name == "area":
            return [to_words(n) for a in home.areas for n in a.spoken_names()]
        if list_name == "floor":
            return [to_words(n) for f in home.floors for n in f.spoken_names()]
        if list_name == "person":
            return [to_words(p.name) for p in home.people]
        spec = self.lists.get(list_name)
        if spec is None or "wildcard" in spec:
            raise UnsupportedList(list_name)
        if "range" in spec:
            low, high = int(spec["range"].get("from", 0)), int(spec["range"].get("to", 100))
            step = int(spec["range"].get("step", 1))
            if (high - low) // step > 200:
                raise UnsupportedList(list_name)
            numbers = [
                "( one hundred | a hundred )" if n == 100 else spoken(n)
                for n in range(low, high + 1, step)
            ]
            if spec["range"].get("fractions") == "halves":
                return [f"{n} [ ( point five | and a half ) ]" for n in numbers]
            return numbers
        return [
            self.expression(parse_sentence(list_value(v)["in"]).expression) for v in spec["values"]
        ]


def build_jsgf(home: Home, grammar: str = "commands", speech: bool = False) -> str:
    """The JSGF grammar of every phrasing the assistant understands, for this home.

    ``speech``: the grammar a recognizer decodes with: Home Assistant's speech-to-phrase
    subset plus our own phrasings. The full template set is thousands of times larger as a
    search graph (pocketsphinx takes minutes per utterance on it); the understanding model
    still reads every phrasing, so the open-vocabulary pass covers the rest. It holds every
    intent the template layer reads ("pause the timer"), not only the model's."""
    custom = read_custom_sentences(home)
    templates = ha_templates(speech, INTENTS if speech else MODEL_INTENTS) + own_templates()
    builder = JsgfBuilder(home, speech)
    if speech:  # the project's sentences for newer intents: heard, not learned by the model
        templates += extra_sentences().templates()
        items = {item for d in home.devices if d.domain == "todo" for item in d.items}
        if items:  # a list's usual items make "add milk to the shopping list" sayable
            values = sorted(items)
            builder.lists.update({n: {"values": values} for n in ITEM_LISTS})
            templates += ha_templates(False, ITEM_INTENTS, ITEM_LISTS)
    builder.lists.update(custom.data["lists"])  # the home's own lists (wildcards are skipped)
    return builder.build(templates + custom.templates(), grammar)


def spoken(n: int) -> str:
    """0..999 as words, the way a recognizer's dictionary spells them."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens - 2] + (f" {_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" {spoken(rest)}" if rest else "")


def to_words(text: str) -> str:
    """Text as the grammar spells it: lowercase words, digits and decimals spoken."""
    text = text.lower().replace("%", " percent ").replace("°", " degrees ").replace("-", " ")
    text = re.sub(r"(\d+)\.(\d+)", lambda m: f"{m.group(1)} point {' '.join(m.group(2))}", text)
    tokens = _NOT_WORD.sub(" ", text).split()
    return " ".join(spoken(int(t)) if t.isdigit() and int(t) < 1000 else t for t in tokens)


def _glued_options(expr: Expression | None, spaces: bool = False) -> list[str] | None:
    """Options of an alternative of bare word pieces ("[s]", "(s|es)"; with ``spaces``,
    also "(lock|garage door)"), else None."""
    if not isinstance(expr, Alternative):
        return None
    options = []
    for item in expr.items:
        chunks = item.items if isinstance(item, Sequence) else [item]
        if not all(isinstance(c, TextChunk) for c in chunks):
            return None
        text = "".join(c.original_text for c in chunks)  # type: ignore[union-attr]
        if text != text.strip() or (" " in text and not spaces):
            return None
        options.append(to_words(text) if spaces else to_words(text).replace(" ", ""))
    if expr.is_optional:
        options.append("")
    return options


def _group(options: list[str]) -> str:
    present = list(dict.fromkeys(o for o in options if o))
    if not present:
        return ""
    inner = present[0] if len(present) == 1 else f"( {' | '.join(present)} )"
    return f"[ {inner} ]" if len(present) < len(options) else inner


def _ident(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)
