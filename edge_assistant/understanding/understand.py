"""Text (+ context) -> Command: the encoder, the fusion model and the resolver in a row."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

from edge_assistant.config.decisions import DecisionsConfig
from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.home.model import Home
from edge_assistant.inference.loader import load_role
from edge_assistant.understanding import values
from edge_assistant.understanding.aside import (
    corrected,
    with_thing,
    without_asides,
)
from edge_assistant.understanding.context import Context, context_vector
from edge_assistant.understanding.decide import (
    EXCEPT,
    Decider,
    kind_of,
    names_a_kind,
    negated,
)
from edge_assistant.understanding.encoder import TextEncoder
from edge_assistant.understanding.fusion import FusionRunner
from edge_assistant.understanding.home_words import (
    ON_OFF,
    described,
    in_area_said,
    named_instead,
    outdoors,
    the_door,
    warm_there,
    watering,
)
from edge_assistant.understanding.intents import DEVICE_INTENTS, Command
from edge_assistant.understanding.needs import as_state_question, need_command
from edge_assistant.understanding.normalize import normalize_transcript
from edge_assistant.understanding.reconcile import (
    CLOSES,
    LEVEL_OF,
    OPENS,
    every_timer,
    list_said,
    reconciled,
    temperature_asked,
    what_to_play,
)
from edge_assistant.understanding.relative import apply_change
from edge_assistant.understanding.resolver import Resolver
from edge_assistant.understanding.several import clauses, elided
from edge_assistant.understanding.templates import TemplateLayer, TemplateMatch
from edge_assistant.understanding.when import when

ROLE = "understanding"
MAX_CHARS = 500
_LEVEL_INTENTS = frozenset({
    "HassLightSet", "HassSetPosition", "HassSetVolume", "HassFanSetSpeed",
    "HassClimateSetTemperature",
})  # fmt: skip
_LAMP = re.compile(r"\blamps?\b", re.IGNORECASE)


def lamps_only(command: Command, home: Home) -> Command:
    """ "Turn off the lamp" in a room with a ceiling light and a floor lamp: the lamp. Home
    Assistant reads "lamp" as any light; people mean a lamp. A reading of the lights of a
    place narrows to those called a lamp, when some (not all) are."""
    if not command.targets or "name" in command.slots or not _LAMP.search(command.text):
        return command
    lamps = tuple(t for t in command.targets if _LAMP.search(home.device(t).name))
    if not lamps or len(lamps) == len(command.targets):
        return command
    return replace(command, targets=lamps)


class Understander:
    """Two layers, as Home Assistant reads and then further: its own templates first (an
    in-grammar sentence gets exactly its reading), the fusion model for the rest. Each
    Command says which layer read it; both resolve through one Resolver, and one Decider
    says whether to act, ask first or refuse (``Command.decision``)."""

    def __init__(
        self,
        encoder: TextEncoder,
        fusion: FusionRunner,
        home: Home,
        decisions: DecisionsConfig | None = None,
    ) -> None:
        self.encoder = encoder
        self.fusion = fusion
        self.templates = TemplateLayer(home)
        self.resolver = Resolver(home, embed=encoder.encode)
        self.decider = Decider(home, decisions)
        self.gazetteer = self.resolver.gazetteer
        self.last_ms = 0.0
        named = [n for group in (home.devices, home.areas, home.floors) for x in group
                 for n in x.spoken_names()]  # fmt: skip
        self._words = {w for n in named for w in n.lower().split()} | _COMMAND_WORDS

    @classmethod
    def from_config(
        cls, device_config: LoadedDeviceConfig, home: Home, models_dir: Path | None = None
    ) -> Understander:
        encoder = TextEncoder.from_config(device_config, models_dir=models_dir)
        cfg = device_config.config.roles.understanding
        model, bundle, _ = load_role(device_config.models_dir(models_dir), ROLE, cfg)
        return cls(encoder, FusionRunner(model, bundle), home, device_config.config.decisions)

    def understand_all(self, text: str, context: Context | None = None) -> list[Command]:
        """Every command said in ``text``, in order: one for most sentences, one per clause
        for "switch off the telly and turn the lights on" (understanding/several.py). A
        sentence of several clauses that are not each a command is one refusal, never a part
        of it done. Blocking; call it from an executor in async code."""
        start = time.perf_counter()
        context = context or Context()
        cleaned = watering(self._mend(normalize_transcript(text)), self.resolver.home)
        if cleaned and len(cleaned) <= MAX_CHARS and (timed := self._for_a_while(cleaned, context)):
            return [replace(c, text=text) if c is timed[0] else c for c in timed]
        parts = clauses(cleaned) if cleaned and len(cleaned) <= MAX_CHARS else [cleaned]
        if len(parts) == 1 or self.templates.match(cleaned, context) is not None:
            return [self.understand(text, context)]
        commands = []
        for number, part in enumerate(parts):
            if number and _PRONOUN.search(part) and not self.gazetteer.matches(part, "device"):
                part = self._it_of(parts[number - 1], part, commands[-1])
            commands.append(self._whole(part, context))
        lost = next((c for c in commands if not c.understood), None)
        if lost is not None:
            why = lost.reason or "not understood"
            commands = [
                Command(text=text, intent=None, decision="refuse", reason=(
                    f"one command at a time, please: of several, I could not follow "
                    f"'{lost.text}' ({why})"))
            ]  # fmt: skip
        self.last_ms = (time.perf_counter() - start) * 1000
        return commands

    def _it_of(self, before: str, part: str, read: Command) -> str:
        """ "… and make it pink" after "switch on the star lamp": it is the one thing the
        clause before named (or acted on), said by its name; unchanged when that is not one
        thing."""
        spans = {d.id: before[a:b] for a, b, d in self.gazetteer.matches(before, "device")}
        if len(spans) == 1:
            return with_thing(part, next(iter(spans.values())))
        if len(read.targets) == 1 and read.decision == "act":
            return with_thing(part, f"the {self.resolver.home.device(read.targets[0]).name}")
        return part

    def _for_a_while(self, cleaned: str, context: Context) -> list[Command] | None:
        """ "Turn the sprinkler on for twenty minutes": on now, and a timer that turns it off
        then (the reverse for off); None when the sentence is not a switching said for a
        while, or the switching alone would not be done."""
        said = _FOR_A_WHILE.fullmatch(cleaned.lower())
        if said is None or negated(cleaned):
            return None
        duration = values.parse_duration(said.group("duration"))
        now = self._whole(cleaned[: len(said.group("asked"))], context)
        if not duration or now.decision != "act" or now.intent not in ON_OFF or not now.targets:
            return None
        if now.needs_verification:
            return None  # a lock or the alarm is never switched later, with nobody to verify
        home = self.resolver.home
        undo = "turn off" if now.intent == "HassTurnOn" else "turn on"
        names = " and ".join(f"the {home.device(t).name}" for t in now.targets)
        slots = {**duration, "conversation_command": f"{undo} {names}"}
        later = Command(text=cleaned, intent="HassStartTimer", slots=slots,
                        confidence=now.confidence, layer=now.layer, decision="act")  # fmt: skip
        return [now, later]

    def understand(self, text: str, context: Context | None = None) -> Command:
        """One command: what ``text`` asks for. A sentence of several commands is refused here
        (``understand_all`` reads each); nothing acts on one of them only. Blocking; call it
        from an executor in async code."""
        start = time.perf_counter()
        context = context or Context()
        cleaned = watering(self._mend(normalize_transcript(text)), self.resolver.home)
        command = self._whole(cleaned, context, text)
        if command.understood and command.layer == "model" and len(parts := clauses(cleaned)) > 1:
            command = replace(command, decision="refuse", reason=(
                f"one command at a time, please: {len(parts)} in one sentence"))  # fmt: skip
        self.last_ms = (time.perf_counter() - start) * 1000
        return command

    def _except(
        self, cleaned: str, left_out: re.Match[str], context: Context, text: str | None
    ) -> Command:
        """ "Turn off all the lights except the floor lamp": the command said before
        "except", on all it names but the things or places said after it. Refused when the
        part left out names nothing the command acts on (never acted on whole)."""
        said = cleaned[: left_out.start()].strip(" ,")
        command = self._one(said, context, cleaned)
        if not command.understood or command.decision == "refuse":
            return replace(command, text=text or cleaned)
        rest = cleaned[left_out.end() :]
        home = self.resolver.home
        kinds = {home.device(t).domain for t in command.targets}
        if len(kinds) == 1 and (word := _KIND_WORD.get(next(iter(kinds)))):
            rest = _ONES.sub(word, rest)  # "but leave the counter ones": the counter lights
        out = {d.id for _, _, d in self.gazetteer.matches(rest, "device")}
        out |= {d.id for _, _, a in self.gazetteer.matches(rest, "area")
                for d in home.devices if d.area == a.id}  # fmt: skip
        kept = tuple(t for t in command.targets if t not in out)
        if out and not out & set(command.targets) and _LEAVING.match(left_out.group()):
            # "switch the ceiling light off but leave the counter ones": left as they are
            return replace(command, text=text or cleaned)
        if not out & set(command.targets) or not kept:
            return replace(command, text=text or cleaned, decision="refuse", reason=(
                f"'{left_out.group()} {_short(rest.strip())}' names nothing of what I would "
                "do: name what to act on"))  # fmt: skip
        slots = {k: v for k, v in command.slots.items() if k not in ("name", "area", "floor")}
        return replace(command, text=text or cleaned, targets=kept, slots=slots)

    def _put_on(self, cleaned: str, put: re.Match[str], context: Context) -> Command | None:
        """ "Put the lion king on the tv", "stick on some ed sheeran in the study": a search
        on the player named, or the player where you are; None when no player fits."""
        home = self.resolver.home
        where = put.group("player") or ""
        players = [d for _, _, d in self.gazetteer.matches(where, "device")
                   if d.domain == "media_player"]  # fmt: skip
        if not players:
            areas = [a.id for _, _, a in self.gazetteer.matches(where, "area")]
            area = areas[0] if areas else context.command_area()
            players = [d for d in home.devices if d.domain == "media_player" and d.area == area]
        if len(players) != 1:
            return None
        query = (put.group("query") or put.groupdict().get("query2") or "").strip()
        people = {w for p in home.people for w in p.name.lower().split()}
        if people & set(query.lower().split()):
            return None  # "put bob on": on the phone
        if not query or _NOT_MUSIC.fullmatch(query) or _NOT_PLAYED.search(query):
            return None  # "put the telly on": the player itself; "put the kettle on"
        slots = {"search_query": query, "name": players[0].name}
        if kind := _MEDIA_CLASS.match(query):  # "the artist taylor swift"
            word = kind.group(1).lower()
            slots.update(search_query=query[kind.end() :], media_class=_CLASS_OF.get(word, word))
        command = self.resolver.from_slots(cleaned, "HassMediaSearchAndPlay", slots)
        return self.decider.decide(command, context)

    def _mend(self, cleaned: str) -> str:
        """Words a recognizer split in two, joined again where the two make a word of the
        home's names or of its commands ("the bath room", "thermo stat", "tee vee")."""
        words = cleaned.split()
        out: list[str] = []
        i = 0
        while i < len(words):
            pair = "".join(words[i : i + 2]).lower()
            known = {words[i].lower(), words[min(i + 1, len(words) - 1)].lower()} <= self._words
            if i + 1 < len(words) and pair in self._words and not known:
                out.append(_SAID_AS.get(pair, pair))
                i += 2
                continue
            out.append(words[i])
            i += 1
        return " ".join(out)

    def _whole(self, cleaned: str, context: Context, text: str | None = None) -> Command:
        """One command with every thing its verb is said for ("turn off the tv and the
        lamp"): the clause of a sentence of several, or a sentence of one."""
        if (fixed := corrected(cleaned)) is not None:
            return self._corrected(cleaned, *fixed, context, text)
        if (left_out := EXCEPT.search(cleaned)) and left_out.start() > 0:
            return self._except(cleaned, left_out, context, text)
        if (put := _PUT_ON_PLAYER.fullmatch(cleaned)) is not None:
            played = self._put_on(cleaned, put, context)
            if played is not None:
                return replace(played, text=text or cleaned)
        command = self._one(cleaned, context, text)
        if (
            command.understood
            and command.layer == "model"
            and command.intent in DEVICE_INTENTS
            and (joined := elided(cleaned))
        ):
            if other := _ANOTHER_WAY.search(cleaned):  # "the light off and on the heater"
                return _refuse_joined(command, f"heard another action ('{other.group().strip()}')")
            command = self._joined(command, [joined[0], *joined[1]], context)
        if command.decision != "act" and (put := _PUT_ON_HERE.fullmatch(cleaned)) is not None:
            played = self._put_on(cleaned, put, context)  # "put the news on", "put on abba"
            if played is not None and played.decision == "act":
                return replace(played, text=text or cleaned, layer="words")
        if command.decision != "act":
            return self._aside(cleaned, context, text) or command
        # acted on whole: the request alone when the aside names nothing of the home ("switch
        # on the under cabinet lights i'm doing the washing up" read as brighter)
        return self._aside(cleaned, context, text, plain=True) or command

    def _named_last(self, said: str) -> bool:
        """Whether a request ends with a word that is no word of a request here: a name,
        the person it is said to."""
        last = said.split()[-1].lower()
        return (
            last.isalpha()
            and last not in self._words
            and last not in self.decider.vocabulary
            and last not in _REQUEST_ENDS
        )

    def _corrected(
        self, cleaned: str, before: str, asked: str, context: Context, text: str | None
    ) -> Command:
        """ "Switch off the garage light wait no switch it on": the request after the
        correction, its "it" the one thing named before it; never the request corrected."""
        if _PRONOUN.search(asked):
            spans: dict[str, tuple[int, int]] = {}
            for a, b, device in self.gazetteer.matches(before, "device"):
                known = spans.get(device.id)
                if known is None or b - a > known[1] - known[0]:
                    spans[device.id] = (a, b)  # the longest words for each thing named
            if len(spans) != 1:
                return Command(text=text or cleaned, intent=None, decision="refuse", reason=(
                    f"corrected to '{_short(asked)}', and what 'it' is was not clear"))  # fmt: skip
            ((start, end),) = spans.values()
            asked = with_thing(asked, before[start:end])
        return replace(self._whole(asked, context), text=text or cleaned)

    def _aside(
        self, cleaned: str, context: Context, text: str | None, plain: bool = False
    ) -> Command | None:
        """The command said with a reason or a lead-in around it ("open the drapes it's a
        lovely morning", "everyone's gone home so switch the patio lights off"), read without
        them (understanding/aside.py) when the whole was not understood; None when no part
        alone is a command to act on. A sentence withdrawn or said to someone else stays
        so: its start is judged as said."""
        lowered = cleaned.lower()
        if negated(lowered):
            return None  # "don't open the blinds the baby's asleep"
        for said in without_asides(cleaned):
            first = cleaned.startswith(said)  # a reason after it, else a lead-in before it
            if (self.decider.to_others if first else self.decider.addressed)(lowered):
                continue  # "mum turn it off it's late", "dad it's late so turn it off"
            if first and self._named_last(said):
                continue  # "kill the lights marco they're coming": said to marco
            aside = cleaned[len(said) :] if first else cleaned[: -len(said)]
            if plain and any(self.gazetteer.matches(aside, f) for f in ("device", "area", "floor")):
                continue  # "… for the kids room": a place, not a reason
            command = self._whole(said, context)
            if command.decision == "act":
                return replace(command, text=text or cleaned)
        return None

    def _joined(self, command: Command, parts: list[str], context: Context) -> Command:
        """One verb for several things ("turn off the tv and the lights"): the model reads the
        sentence as one command, which may miss a thing; each thing is read again with the
        verb ("turn off the tv", "turn off the lights") and the command acts on all of them,
        so no part of what was said is lost. A thing that cannot be read as the same command,
        or an area named with none of the devices in it, refuses the whole."""
        home = self.resolver.home
        domains = {home.device(t).domain for t in command.targets}
        targets: list[str] = []
        for number, other in enumerate(parts):
            areas = self.gazetteer.matches(other, "area")
            named = (
                areas
                or names_a_kind(other)
                or any(self.gazetteer.matches(other, f) for f in ("device", "floor"))
            )
            if number and not named:  # "… and um yeah that's it": chatter, not a thing
                continue
            if areas and not names_a_kind(other) and not self.gazetteer.matches(other, "device"):
                # "the lights in the kitchen and the hall": the same kind of device there
                extra = [d.id for _, _, a in areas for d in home.devices
                         if d.area == a.id and d.domain in domains]  # fmt: skip
            else:
                read = self._one(other, context)
                same = read.decision == "act" and read.intent == command.intent
                if same and _values(read) and _values(read) != _values(command):
                    # "the floor lamp purple and the bedside lamp blue": two commands
                    return _refuse_joined(command, f"heard another value for '{other}'")
                extra = list(read.targets) if same else []
            if not extra:
                return _refuse_joined(command, f"could not follow '{other}'")
            targets += [t for t in extra if t not in targets]
        placed = {home.device(t).area for t in targets}
        devices = self.gazetteer.matches(command.text, "device")
        for start, end, area in self.gazetteer.matches(command.text, "area"):
            inside = any(s <= start and end <= e for s, e, _ in devices)
            if not inside and area.id not in placed:
                return _refuse_joined(command, f"nothing to do in the {area.name}")
        joined = replace(command, targets=tuple(targets), needs_verification=command.needs_verification or any(
            home.is_sensitive(home.device(t)) for t in targets))  # fmt: skip
        if joined.decision == "ask":  # decided on the first thing: again, on all of them
            joined = self.decider.decide(
                replace(joined, decision=None, clarify=None, reason=None), context
            )
        return joined

    def _level_said(self, cleaned: str, context: Context) -> Command | None:
        """ "Office heater to eighteen", "drapes to seventy", "set the ceiling fan to a
        quarter": one device named whole and a level, which the device's kind says how to
        set (brightness, temperature, position, volume, speed); None for anything else."""
        said = _THING_TO_LEVEL.fullmatch(cleaned.lower())
        if said is None:
            return None
        thing = said.group("thing")
        if _NOT_A_LEVEL.search(said.group("level")):
            return None  # "curtains to fifty and the lamp on": more than a level
        devices = {d.id: d for a, b, d in self.gazetteer.matches(thing, "device")
                   if thing[:a].strip() in ("", "the", "my", "our") and b == len(thing)}  # fmt: skip
        if len(devices) != 1:
            return None
        (device,) = devices.values()
        if device.domain not in LEVEL_OF:
            return None
        intent, slot = LEVEL_OF[device.domain]
        value = (values.parse_temperature if device.domain == "climate" else values.parse_percent)(
            said.group("level")
        )
        if value is None:
            return None
        read = self.resolver.from_slots(
            cleaned, intent, {"name": device.name, slot: value}, "words"
        )
        return self.decider.decide(read, context)

    def _one(self, cleaned: str, context: Context, text: str | None = None) -> Command:
        """One command read from ``cleaned`` and decided; a question about what someone did
        is read as the state it asks about, and a need said of a room that the reading does
        not act on becomes a question about what would meet it (understanding/needs.py)."""
        text = cleaned if text is None else text
        asked = (
            as_state_question(cleaned)
            if cleaned and len(cleaned) <= MAX_CHARS and not _THEN_DO.search(cleaned)
            else None
        )  # "did i leave the coffee maker on turn it off": a request, not a question
        command = self._read(asked or cleaned, context, text)
        if asked:
            command = replace(command, text=text)
        elif command.intent == "HassStartTimer" and "conversation_command" in command.slots:
            command = self._for_later(command, context)
            if command.decision is not None:
                return replace(command, text=text)
        elif command.intent != "HassStartTimer" and (later := self._later(cleaned, context)):
            return replace(later, text=text)
        if (
            not command.understood
            and (door := the_door(command, context, self.resolver)) is not None
        ):
            command = door
        command = self.decider.decide(command, context)
        if command.decision != "act" and (level := self._level_said(cleaned, context)):
            return replace(level, text=text)
        if command.decision != "act" and not asked:  # a need said: what would meet it
            need = need_command(cleaned, self.resolver.home, self.gazetteer, context)
            if need is not None:
                return replace(need, decision="ask", clarify=self.decider.question(need))
        return command

    def _later(self, cleaned: str, context: Context) -> Command | None:
        """A command said for a time ("turn on the garden lights at 7 pm", "start the hoover in
        an hour"): a timer that does it then (understanding/when.py), when the command without
        the time would be done now; None otherwise (the decision refuses it as for later)."""
        said = when(cleaned) if cleaned and len(cleaned) <= MAX_CHARS else None
        if said is None or not said.rest or negated(cleaned):
            return None
        inner = self._whole(said.rest, context)
        if inner.decision != "act" or kind_of(inner.intent) != "control":
            return None
        if said.bare and inner.intent in _LEVEL_INTENTS:
            return None  # "set the fan at 3": a level
        slots = {**said.slots, "conversation_command": said.rest}
        return Command(text=cleaned, intent="HassStartTimer", slots=slots,
                       confidence=inner.confidence, layer=inner.layer, decision="act")  # fmt: skip

    def _template(self, cleaned: str, context: Context) -> TemplateMatch | None:
        """Home Assistant's reading, or of the sentence without the fillers around it ("um
        what can i say to you", "who made you then"): its templates allow none."""
        matched = self.templates.match(cleaned, context)
        if matched is None and (bare := _BARE.fullmatch(cleaned)) and bare.group(1) != cleaned:
            matched = self.templates.match(bare.group(1), context)
        return matched

    def _here_only(self, command: Command, context: Context) -> Command:
        """A template reading with no place said of things in several rooms ("set the
        temperature to 68": every thermostat): those in the speaker's room, as Home Assistant
        reads a satellite's command; unchanged when none is there (the decision asks)."""
        if any(k in command.slots for k in ("name", "area", "floor")) or len(command.targets) < 2:
            return command
        home = self.resolver.home
        here = context.command_area()
        if _WHOLE_HOME.search(command.text.lower()) or here is None:
            return command
        inside = tuple(t for t in command.targets if home.device(t).area == here)
        if not inside or len(inside) == len(command.targets):
            return command
        return replace(
            command, targets=inside, slots={**command.slots, "area": home.area(here).name}
        )

    def _for_later(self, command: Command, context: Context) -> Command:
        """Home Assistant's reading of "<anything> in <a while>" as a command for later,
        kept when the command is one this assistant could do now ("turn off the tv in ten
        minutes"; the daemon checks it again when the timer is set). "Wake me in ten minutes" is a timer that rings; "announce lights out
        in ten minutes" is an announcement now that says so; "dinner's in ten minutes" and
        "i'll call you back in ten minutes" are no request."""
        said = str(command.slots["conversation_command"])
        inner = self._whole(said, context)
        if inner.decision == "act" and inner.intent == "HassBroadcast":
            rest = command.text.replace(said, " ", 1).strip()
            first = command.text.startswith(said)
            parts = [str(inner.slots.get("message", "")), rest]
            message = " ".join(parts if first else parts[::-1]).strip()
            return replace(inner, slots={**inner.slots, "message": message})
        if inner.understood and kind_of(inner.intent) == "control" and inner.decision != "refuse":
            return replace(command, decision="act", confidence=inner.confidence)
        if _RINGS.fullmatch(said.strip()):
            slots = {k: v for k, v in command.slots.items() if k != "conversation_command"}
            return replace(command, slots=slots)  # decided as a timer
        return replace(command, intent=None, decision="refuse", reason=(
            f"'{_short(said)}': only a command to the home's devices can be done later"))  # fmt: skip

    def _read(self, cleaned: str, context: Context, text: str) -> Command:
        if not cleaned or len(cleaned) > MAX_CHARS:
            reason = "empty transcript" if not cleaned else f"longer than {MAX_CHARS} characters"
            command = Command(text=text, intent=None, reason=reason)
        elif _NEVER_MIND.match(cleaned.lower()):  # "nevermind i'll do it myself": nothing to do
            command = Command(text=cleaned, intent="HassNevermind", confidence=1.0, layer="words")
        elif (matched := self._template(cleaned, context)) is not None:
            read = self.resolver.from_slots(cleaned, matched.intent, matched.slots)
            command = self._here_only(what_to_play(every_timer(list_said(read))), context)
            if command.intent == "HassClimateGetTemperature" and not command.targets:
                # "how warm is the bathroom": no climate device there, its sensor says
                command = temperature_asked(command, self.resolver.home)
            if matched.intent == "HassRespond":
                command = replace(command, response=matched.response)
        else:
            tokens, encoded = self.encoder.token_states(cleaned)
            prediction = self.fusion.predict(
                cleaned, tokens, encoded, context_vector(context), self.gazetteer
            )
            command = replace(self.resolver.resolve(cleaned, prediction, context), layer="model")
            if (
                again := _read_again(
                    command.reason,
                    prediction.intent,
                    cleaned.lower(),
                    any(
                        d.domain == "cover" for _, _, d in self.gazetteer.matches(cleaned, "device")
                    ),
                )
            ) is not None:
                # "how many degrees is it in …" read as setting it: asked; "pull back the
                # drapes" read as a position with none said: opened
                retry = replace(prediction, intent=again)
                command = replace(self.resolver.resolve(cleaned, retry, context), layer="model")
            home, words = self.resolver.home, self.gazetteer
            command = named_instead(in_area_said(command, home, words), home, words)
            command = described(command, home)
            command = outdoors(warm_there(command, home, words, context.command_area()), home)
            # again once reconciled: a question read of people may now be of things
            command = in_area_said(reconciled(command, home), home, words)
            if command.intent == "HassGetState":  # "are the blinds open": those where you are
                command = self._here_only(command, context)
        command = lamps_only(command, self.resolver.home)
        return apply_change(command, self.resolver.home)


# Something to play put on a player: "put the lion king on the tv", "stick on some ed
# sheeran in the study".
_PUT_ON_PLAYER = re.compile(
    r"(?:(?:can you|could you|please|just|hey|um|uh|okay|ok)\s+)*(?:put|stick|pop|throw|chuck)"
    r"(?: on)? (?P<query>.+?)(?: on| in)(?P<player> (?:the |my )?(?:tv|telly|television|"
    r"speaker|radio|office speaker|[a-z]+ room|office|study|kitchen|bedroom))"
    r"(?:\s+(?:please|for me|would ya|would you|for the kids|now))*",
    re.IGNORECASE,
)
# Something to play put on with no player said: "put the news on", "stick on the beatles".
_PUT_ON_HERE = re.compile(
    r"(?:(?:can you|could you|please|just|hey|um|uh|okay|ok)\s+)*(?:put|stick|pop|throw|chuck)"
    r"(?: on (?P<query>.+?)| (?P<query2>.+?) on)(?P<player>)"
    r"(?:\s+(?:please|for me|now|would you|will you|for us))*",
    re.IGNORECASE,
)
_MEDIA_CLASS = re.compile(
    r"(?:the )?(artist|album|playlist|track|song|podcast|movie|film|show|channel|episode)\s+",
    re.IGNORECASE,
)
_CLASS_OF = {"song": "track", "film": "movie", "show": "tv_show"}
_NOT_MUSIC = re.compile(
    r"(?:the |my )?(?:tv|telly|television|speaker|radio|music|it|that|this|lights?|lamp|"
    r"heating|fan|kettle|coffee(?: machine)?|volume|sound)"
)
# Things put on that are not played: the household's, or the home's own ("put the kettle on",
# "put your coat on", "put the fire on").
_NOT_PLAYED = re.compile(
    r"\b(?:kettle|oven|hob|washing|wash|dishwasher|dryer|coat|jacket|jumper|shoes|socks|hat|"
    r"clothes|pyjamas|fire|bath|shower|dinner|tea|breakfast|lunch|pasta|potatoes|rice|water|"
    r"weight|makeup|brakes|alarm|your|his|her|their|heating|heater|light|lights|lamp|fan|"
    r"blinds?|curtains?|timer|kids|baby|it|that|this|them|him|her|me|us|mum|mom|mummy|dad|"
    r"daddy|nan|nana|gran|granny|grandma|grandad|grandpa|auntie|uncle|speaker ?phone|phone)\b"
)
# Fillers around a sentence: before it, and after it.
_BARE = re.compile(
    r"(?:(?:um|uh|er|erm|so|okay|ok|hey|right|well|oh|and|alright|hmm)\s+)*(.+?)"
    r"(?:\s+(?:please|thanks|thank you|then|now|mate|for me|would you|will you|cheers|"
    r"to us|to you|ta))*",
    re.IGNORECASE,
)
# Words of commands a recognizer may split: "tee vee", "thermo stat", "time r".
_COMMAND_WORDS = frozenset({
    "bathroom", "bedside", "bedroom", "thermostat", "timer", "timers", "broadcast", "unmute",
    "unpause", "downstairs", "upstairs", "everything", "everywhere", "tonight", "nevermind",
    "teevee", "television", "tiemer", "temperature",
})  # fmt: skip
_SAID_AS = {"teevee": "tv", "tiemer": "timer"}
_PRONOUN = re.compile(r"\b(?:it|them)\b")
# A thing and a level with no verb, or a plain one: "office heater to eighteen".
_THING_TO_LEVEL = re.compile(
    r"(?:(?:please|can you|could you|just)\s+)*(?:(?:set|put|turn|make|change|bring|take)\s+)?"
    r"(?P<thing>[a-z' ]+?)\s+(?:to|at)\s+(?P<level>[a-z0-9 %.]+?)(?:\s+(?:please|pls|now))*"
)
_NOT_A_LEVEL = re.compile(r"\b(?:the|my|on|off|then|also|plus|and (?!a half\b))\b")
_ANOTHER_WAY = re.compile(r"\b(?:and|then|but)\s+(?:on|off|up|down)\s+(?:the|my|our)\b")
_LEAVING = re.compile(r"(?:but leave|and leave)")
_ONES = re.compile(r"\bones?\b")
_KIND_WORD = {"light": "lights", "cover": "blinds", "fan": "fans", "media_player": "speakers",
              "climate": "heating", "switch": "switches"}  # fmt: skip
_NEVER_MIND = re.compile(
    r"(?:(?:oh|ah|no|nah|um|uh|sorry|actually)\s+)*(?:never ?mind|forget (?:it|about it)|"
    r"cancel that|scratch that)\b(?! (?:the|my|that|this|about|those|these)\b)"
)
_ASKING = re.compile(r"(?:how|what|what's|whats|is|are)\b")
_SOUND_ON = re.compile(r"\b(?:sound|volume) (?:back )?on\b|\bunmute\b")


def _read_again(reason: str | None, intent: str, text: str, cover: bool) -> str | None:
    """The intent to read a model's reading again as, when its value was missing because the
    intent was the wrong one of a pair (``cover``: the words name a blind or curtains); None
    when none is."""
    if reason == "no temperature understood" and _ASKING.match(text):
        return "HassClimateGetTemperature"
    if reason == "no level understood" and (intent == "HassSetPosition" or cover):
        opens, closes = bool(OPENS.search(text)), bool(CLOSES.search(text))
        return None if opens == closes else "HassTurnOn" if opens else "HassTurnOff"
    if reason == "no level understood" and _SOUND_ON.search(text):
        return "HassMediaPlayerUnmute"
    return None


# A switching said for a while: "turn the fan on for twenty minutes".
_FOR_A_WHILE = re.compile(
    r"(?P<asked>.+?)\s+for\s+(?P<duration>(?:another |the next )?(?:\d+|[a-z]+|a quarter of|"
    r"half|a couple of|a few) (?:an? )?(?:more )?(?:seconds?|secs?|minutes?|mins?|hours?|hrs?))"
    r"(?:\s+(?:please|now|thanks|for me|would you|will you))*"
)
# Words a request may end with besides the home's names: "… on", "… please", "… the music".
_REQUEST_ENDS = frozenset({
    "on", "off", "up", "down", "in", "out", "back", "over", "again", "more", "less", "please",
    "now", "it", "them", "that", "this", "those", "these", "here", "there", "music", "sound",
    "volume", "song", "track", "tune", "bit", "little", "touch", "notch", "brighter", "dimmer",
    "darker", "lighter", "louder", "quieter", "softer", "warmer", "cooler", "hotter", "colder",
    "faster", "slower", "percent", "degrees", "degree", "minutes", "minute", "hours", "hour",
    "seconds", "timer", "list", "open", "closed", "shut", "halfway", "full", "max", "maximum",
    "minimum", "lights", "light", "lamp", "lamps", "heating", "heater", "fan", "tv", "telly",
    "television", "blinds", "blind", "curtains", "door", "everything", "everywhere", "home",
    "house", "downstairs", "upstairs", "mute", "pause", "tonight", "today", "morning",
    "evening", "night", "though", "then", "too", "for", "me", "us", "you", "all",
})  # fmt: skip
_THEN_DO = re.compile(r"\b(?:turn|switch|shut|put|close|open|lock) (?:it|that|them|those)\b")
_WHOLE_HOME = re.compile(r"\b(?:all|every|everywhere|whole|entire|house|home|any|anywhere)\b")
# A timer that rings, said as a command for later: "wake me in ten minutes".
_RINGS = re.compile(
    r"(?:(?:please|can you|could you|just)\s+)*(?:wake|remind|tell|alert|ping|buzz|call|"
    r"give) me(?: up)?(?: please)?"
)


def _short(text: str, chars: int = 40) -> str:
    return text if len(text) <= chars else text[:chars] + " …"


def _values(command: Command) -> dict[str, object]:
    """What a command sets, without what it sets it on."""
    return {k: v for k, v in command.slots.items() if k not in _WHERE_SLOTS}


_WHERE_SLOTS = frozenset({"name", "area", "floor", "domain", "device_class"})


def _refuse_joined(command: Command, why: str) -> Command:
    return replace(command, decision="refuse", reason=(
        f"one thing at a time, please: of several, I {why}"))  # fmt: skip
