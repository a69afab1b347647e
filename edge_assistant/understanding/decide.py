"""Act, ask or refuse: what the assistant does with a reading.

A wrong action is the worst thing this product can do, worse than a question or a refusal.
The model's confidence alone cannot say when it is wrong (it reads "we need a new sofa" as
turning on a lamp at 0.93), so a reading of the model acts only on evidence in the words:

* a **negated** or withdrawn request ("don't turn off the lights", "leave the blinds") and a
  sentence **cut off** after a function word ("switch off the") never act, whichever layer
  read them;
* a device command acts when the words say the action (a cue of its intent: "off", "dim",
  "skip", "louder") **and** name what to act on (a device, area or floor of the home, a word
  for a kind of device, or "that" with a pointing hand), at a confidence at or above the act
  threshold of its kind;
* a plausible reading short of that **asks** one yes/no question naming what it would do ("Do
  you want me to turn on the Office Heater?"): the words name a device and either say a cue of
  the intent or a need ("it's freezing in the office"), at or above the ask threshold;
* a question the model reads is answered only when it is said as a question;
* anything else is refused with the reason.

Template readings are Home Assistant's exact sentences: only the first rule applies to them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from edge_assistant.config.decisions import DecisionsConfig, Thresholds
from edge_assistant.home.model import Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.gazetteer import Gazetteer
from edge_assistant.understanding.intents import IMPLIED_DOMAIN, LIST_INTENTS, Command
from edge_assistant.understanding.values import find_numbers

Outcome = Literal["act", "ask", "refuse"]

# Readings that change nothing in the home: answered by the sink's state or by the daemon.
ANSWER_INTENTS = frozenset({
    "HassGetState", "HassClimateGetTemperature", "HassGetWeather", "HassGetCurrentTime",
    "HassGetCurrentDate", "HassTimerStatus", "HassRespond",
})  # fmt: skip
TIMER_INTENTS = frozenset({
    "HassStartTimer", "HassCancelTimer", "HassCancelAllTimers", "HassIncreaseTimer",
    "HassDecreaseTimer", "HassPauseTimer", "HassUnpauseTimer",
})  # fmt: skip


def kind_of(intent: str | None) -> str:
    """The threshold kind of an intent: answer, timer or control."""
    if intent in ANSWER_INTENTS:
        return "answer"
    if intent in TIMER_INTENTS:
        return "timer"
    return "control"


_LEAD = (
    r"^(?:(?:no|nah|oh|um|uh|er|erm|but|and|so|okay|ok|please|just|actually|hey|well|"
    r"wait|hang on|hold on|stop|sorry)\s+)*"
)
# "don't turn off the lights", "no need to open the blinds", "leave the lights on".
_NEGATED = re.compile(
    _LEAD + r"(?:don'?t|do not|never|no need to|there's no need to|theres no need to|"
    r"you don'?t (?:need|have) to|(?:let's|lets) not|not now|no no|(?:i|we) don'?t (?:want|need)|"
    r"(?:i|we) do not (?:want|need)|(?:i|we) (?:was|were) (?:going to|gonna) ask|"
    r"i wanted to ask)\b"
    r"|" + _LEAD + r"(?:leave|keep) (?:the|it|them|my|our|everything|that|this|those)\b"
)
# A request withdrawn at its end: "turn off the lights no don't", "… actually forget it".
_WITHDRAWN = re.compile(
    r"\b(?:no|actually|wait|oh|hang on)\s+(?:don'?t|do not|never mind|nevermind|forget it|"
    r"leave it|scratch that|cancel that)(?:\s+(?:then|actually|bother|do it))?$"
    r"|\b(?:but|actually|oh) (?:it'?s|it is|that'?s) (?:fine|ok|okay|alright|grand)$"
    r"|\bfavou?rite\b"  # "green is my favourite colour for my star lamp": told
)
# Words a whole request cannot end with: what follows was not heard ("switch off the").
_CUT_OFF = frozenset({
    "the", "a", "an", "to", "by", "at", "with", "for", "my", "your", "our", "their", "and",
    "or", "but", "if", "because", "of", "from", "into", "onto", "can", "could", "would",
    "should", "than", "um", "uh", "er", "erm", "channel", "about", "around", "roughly",
})  # fmt: skip
_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# The words that say each intent's action. A model reading without one is at best a guess.
_CUE = {
    "HassTurnOn": r"on|start|open|opens|lock|activate|enable|engage|arm|secure|illuminate|light up|"
    r"lights up|power up|fire up|boot|run|raise|lift|roll up|pull up|draw back|pull back",
    "HassTurnOff": r"off|stop|close|closes|shut|unlock|kill|disable|deactivate|disarm|cut|douse|"
    r"put out|power down|lower|roll down|pull down|draw",
    "HassLightSet": r"\d+|up|down|more|less|darker|lighter|lighten|percent|bright|brighter|brighten|brightness|dim|dimmer|dimmed|softer|level|max|"
    r"maximum|full|half|low|lower|colou?r|red|orange|yellow|green|blue|purple|pink|white|"
    r"warm|cool|turquoise|brown|black",
    "HassSetPosition": r"\d+|percent|half|halfway|position|open|close|raise|lower|way|up|down",
    "HassMediaPause": r"pause|paws|stop|hold|freeze|halt|shush|hush|silence",
    "HassMediaUnpause": r"resume|unpause|play|continue|carry on|keep (?:going|playing)|"
    r"back on|start|restart",
    "HassMediaNext": r"next (?:song|track|one|episode|chapter|video|tune|thing|please|pls)|"
    r"^next|next$|skip|forward|another (?:song|track|one|tune)|"
    r"change (?:the |this )?(?:song|track|tune|music)",
    "HassMediaPrevious": r"previous|back|last|again|replay|rewind|before|earlier",
    "HassSetVolume": r"volume|loud|louder|quiet|quieter|softer|\d+|max|down|up|turn",
    "HassSetVolumeRelative": r"volume|loud|louder|quiet|quieter|softer|down|up",
    "HassClimateSetTemperature": r"\d+|degrees?|temperature|heat|heating|warm|warmer|cool|"
    r"cooler|thermostat|celsius|fahrenheit|up|down|hotter|colder",
    "HassFanSetSpeed": r"\d+|speed|fast|faster|slow|slower|up|down|max|full|low|high|medium",
    "HassVacuumStart": r"start|clean|vacuum|hoover|run|go|sweep|send|out",
    "HassVacuumReturnToBase": r"dock|base|home|charge|charger|charging|back|return",
    "HassMediaSearchAndPlay": r"play|put on|listen",
    "HassMediaPlayerMute": r"mute|silence|shush",
    "HassMediaPlayerUnmute": r"unmute|un-mute|sound (?:back )?on|volume (?:back )?on|off mute",
    "HassListAddItem": r"add|put|need|list",
    "HassShoppingListAddItem": r"add|put|need|list",
    "HassListCompleteItem": r"remove|check|tick|cross|got|done|complete",
    "HassBroadcast": r"broadcast|announce|tell everyone|everyone|everybody",
    "HassStartTimer": r"timer|countdown|remind|reminder|alarm|minutes?|seconds?|hours?",
    "HassCancelTimer": r"cancel|stop|delete|remove|kill|forget|clear|end|off|scrap|ditch|rid|"
    r"never ?mind",
    "HassCancelAllTimers": r"cancel|stop|delete|remove|kill|forget|clear|end|off|scrap|rid|ditch",
    "HassPauseTimer": r"pause|hold|freeze|stop",
    "HassUnpauseTimer": r"resume|unpause|continue|restart|carry on|start",
    "HassIncreaseTimer": r"add|more|extra|another|increase|extend|longer|plus|on|give",
    "HassDecreaseTimer": r"take|off|less|remove|decrease|shorten|shorter|minus|knock|subtract|"
    r"reduce|cut",
}
CUES = {intent: re.compile(rf"\b(?:{words})\b") for intent, words in _CUE.items()}
# A timer reading must be about a timer (or set one with a duration).
_TIMER_WORD = re.compile(
    r"\b(?:timers?|countdowns?|alarms?|reminders?|remind|time(?= (?:\d+|[a-z]+) (?:minutes?|"
    r"seconds?|hours?)\b))\b"
)
# Needs said instead of actions: the reading is a guess worth a question, never an action.
_NEED = re.compile(
    r"\b(?:too|so|very|really|bit|freezing|boiling|cold|chilly|hot|warm|stuffy|dark|gloomy|"
    r"bright|loud|quiet|noisy|can't see|cant see|can't hear|cant hear)\b"
)
_NEVERMIND = re.compile(
    r"\b(?:never ?mind|forget (?:it|that|about it)|cancel|nothing|ignore|no|stop|abort|"
    r"scratch that|not you|wasn't talking)\b"
)
# Words for a kind of device: what a command without a name acts on.
_KIND = re.compile(
    r"\b(?:lights?|lamps?|lighting|bulbs?|blinds?|curtains?|shades?|shutters?|fans?|"
    r"speakers?|tv|telly|television|music|song|track|radio|player|playback|heating|"
    r"heater|heat|"
    r"thermostat|temperature|aircon|ac|doors?|locks?|windows?|plugs?|vacuum|hoover|"
    # "switch" the thing, not the verb ("switch on the kitchen" names no kind of device)
    r"switch(?!\s+(?:on|off|it|them|the|that|this|all|everything|my|our|over)\b)|"
    r"robot|everything|volume|garage|coffee|kettle|sprinkler|alarm|timers?|list)\b"
)
_DEICTIC = re.compile(r"\b(?:this|that|it|them|these|those)\b")
# Said as a question (or a request for an answer) by its first words.
_QUESTION = re.compile(
    _LEAD
    + r"(?:is|are|was|were|did|does|do|has|have|had|what|what's|whats|wot|wots|how|how's|hows|"
    r"where|where's|which|who|who's|when|will|would|can|could|should|any|anything|anyone|"
    r"tell me|check|show me|give me|let me know|i wonder|i'd like to know|do you know)\b"
)
_NUMBER_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|forty five|sixty|ninety|a few|a couple of|half an|a|an"
)
# Said for a time or for a while: a command for later ("at 7 pm", "in an hour", "tonight",
# "for ten minutes"), never one to do now.
_WHEN = re.compile(
    r"\b(?:at (?:\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.|o'?clock)|\d{1,2}:\d\d|"
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"(?:\s+(?:am|pm|o'?clock|thirty|fifteen|forty five))?(?!\s*(?:percent|degrees?|%))|"
    r"noon|midnight|sunset|sunrise|dawn|dusk|bedtime|night)"
    rf"|(?:in|for|after) (?:another |the next )?(?:\d+|{_NUMBER_WORD}) (?:more )?"
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)"
    r"|tonight|tomorrow|later on|later|this (?:evening|afternoon|morning)|until|till"
    r"|in the (?:morning|evening|afternoon)|when i (?:get|leave|come|go))\b"
)
# "stop the music for a sec": a pause or a mute for a moment is no command for later.
_A_MOMENT = re.compile(r"for (?:a|one) (?:sec|second|minute|moment|bit|mo|tick)")
_A_MOMENT_OK = frozenset({"HassMediaPause", "HassMediaPlayerMute"})
# Said when a timer's time is changed, not when it is cancelled.
_DURATION = re.compile(rf"\b(?:\d+|{_NUMBER_WORD}) (?:seconds?|secs?|minutes?|mins?|hours?)\b")
_CANCEL = re.compile(
    r"\b(?:cancel|stop|delete|kill|forget|clear|scrap|ditch|end|abort|get rid of|remove)\b"
)
# Words for everything, said without saying what kind: "turn everything off".
_EVERYTHING = re.compile(r"\b(?:everything|all of it|the lot|whole lot)\b")
# Words before a kind of device that name no particular one: "the big light", "all lights".
_GENERIC = frozenset({
    "the", "a", "an", "my", "our", "your", "all", "every", "each", "both", "these", "those",
    "this", "that", "some", "other", "main", "big", "small", "little", "overhead", "ceiling",
    "top", "upstairs", "downstairs", "outside", "inside", "outdoor", "indoor", "damn", "bloody",
    "please", "on", "off", "up", "down", "in", "here", "there", "two", "three", "few", "of",
    "and", "or", "to", "turn", "switch", "shut", "put", "set", "dim", "open", "close", "start",
    "stop", "kill", "lower", "raise", "pause", "play", "mute", "whole", "entire", "room's",
    "house", "home", "house's", "front", "back", "just", "only", "cold", "warm", "bright",
    "next", "last", "previous", "current", "same", "new",
})  # fmt: skip
# A yes/no question about how things are ("is that on"): never a request to change them.
_YES_NO = re.compile(_LEAD + r"(?:is|are|was|were|did|does|has|have|had|isn'?t|aren'?t)\b")
# Words that say what kind of device is meant, and its domains: "turn up the heat" read as the
# lights is a misreading, whatever the confidence.
_KIND_DOMAINS = (
    (re.compile(r"\b(?:heat|heating|heater|thermostat|temperature|radiator)\b"), {"climate"}),
    (re.compile(r"\b(?:lights?|lamps?|bulbs?|lighting)\b"), {"light"}),
    (re.compile(r"\b(?:fans?)\b"), {"fan"}),
    (re.compile(r"\b(?:tv|telly|television|speaker|music|radio|song|track)\b"),
     {"media_player"}),
    (re.compile(r"\b(?:blinds?|curtains?|shades?|shutters?)\b"), {"cover"}),
    (re.compile(r"\b(?:vacuum|hoover|roomba)\b"), {"vacuum"}),
)  # fmt: skip
# Unsure between things: "the heating or the fan, i dunno".
_HEDGE = re.compile(
    r"\b(?:or|i dunno|dunno|i don'?t know which|not sure which|i forget which|whichever|"
    r"or something|or whatever)\b"
)
# Leaving a thing out ("all the lights except the lamp"): Understander reads the command
# before it and takes out what follows; a reading that still holds it (the sentence starts
# with it) would act on what was meant to be left alone, and is refused.
EXCEPT = re.compile(
    r"\b(?:except(?:ing| for)?|apart from|other than|besides|but not|bar the|aside from|"
    r"excluding|save for|but leave|and leave)\b"
)
# Said to someone else, or of what the speaker will do: "let me turn the lamp on for you",
# "mum can you turn the telly down", "i'll switch it off in a sec".
_TO_OTHERS = re.compile(
    _LEAD + r"(?:(?:um|uh|oh|so|okay|ok|right|well|here|yeah|no)\s+)*(?:let me|lemme|i'll|i will|"
    r"i'm gonna|im gonna|i'm going to|im going to|i am going to|i'm about to|shall i|should i|"
    r"we'll|we will|we should|you should|you need to|you'd better|are you going to|"
    r"would you like|do you want the|do you want it|you want the|want me to|would it kill you|"
    r"i'm (?:putting|turning|switching|getting|taking|bringing|making|doing)|"
    r"let'?s (?:pause|stop|break|take|move|go|start|begin|continue|wrap|leave|see)|"
    r"(?:just )?(?:ask|tell) (?:it|her|him|alexa|the thing|the assistant) to|"
    r"you (?:just |can |could |have to |need to )?(?:say|ask it|tell it))\b"
)
# Words a request to this assistant may start with; another first word followed by one of
# _TOLD is someone's name ("josh skip this song").
_STARTERS = frozenset({
    "please", "pls", "so", "just", "now", "quick", "quickly", "right", "well", "yes", "yeah",
    "no", "and", "then", "also", "can", "could", "would", "will", "go", "let's", "lets",
    "kindly", "actually", "hmm", "er", "erm", "alright", "computer", "jarvis", "nabu",
    "assistant", "i", "we", "you", "it", "it's", "its", "the", "a", "my", "our", "all",
    "turn", "switch", "set", "put", "make", "open", "close", "shut", "start", "stop", "play",
    "pause", "skip", "dim", "lock", "unlock", "what", "what's", "how", "is", "are", "when",
    "where", "who", "which", "add", "cancel", "give", "take", "remind", "wake", "tell",
    "lights", "light", "fan", "tv", "telly", "volume", "music", "blinds", "curtains", "heating",
    "timer", "timers", "time", "weather", "next", "previous", "resume", "mute", "unmute",
    "louder", "quieter", "brighter", "dimmer", "bring", "get", "raise", "lower", "drop",
    "crank", "kill", "fire", "run", "send", "dock", "vacuum", "hoover", "announce", "broadcast",
    "never", "forget", "don't", "do", "did", "does", "check", "mark", "tick", "cross", "shopping",
    "wait", "hang", "hold", "oh", "hey", "hi", "hello", "good", "morning", "evening", "night",
    "on", "off", "up", "down", "in", "here", "there", "that", "this", "those", "these", "it'll",
    "ugh", "argh", "aw", "ah", "ooh", "oops", "damn", "bloody", "oi", "yo", "sorry", "wow",
    "cheers", "thanks", "thank", "sure", "fine", "listen", "look", "excuse", "hit", "press",
    "pop", "stick", "chuck", "whack", "flip", "bump", "pump", "knock", "boost", "let",
})  # fmt: skip
_TOLD = frozenset({
    "turn", "switch", "skip", "shut", "open", "close", "put", "would", "could", "can", "do",
    "will", "please", "stop", "pause", "play", "set", "get", "go", "come", "dim", "lock",
    "unlock", "start", "bring", "leave", "don't", "did", "have",
})  # fmt: skip
_VOCATIVES = frozenset({
    "grandad", "granddad", "nanna", "auntie", "aunty", "uncle", "alexa", "siri", "google",
    "cortana", "bixby",
    "sweetheart", "sweetie", "honey", "darling", "love", "babe", "baby", "mum", "mom", "mummy",
    "mommy", "mam", "mama", "dad", "daddy", "papa", "kids", "guys", "son", "mate", "dear",
    "grandma", "grandpa", "nan", "nana", "granny", "gran", "boys", "girls", "children", "sis",
    "bro", "buddy", "pal", "hun",
})  # fmt: skip
_NEXT_THING = re.compile(
    r"\b(?:next|previous|last) (?!(?:song|track|one|episode|chapter|video|tune|thing|please|pls|"
    r"on|in|for|then|now|track's|song's|one's|time|item)\b)[a-z]+"
)
# Things many homes have and switch by hand: when this home has none by that name, a
# reading of something else is a guess ("put the kettle on" read as the coffee machine).
_HOUSEHOLD = re.compile(
    r"\b(?:kettle|oven|dishwasher|washing machine|washer|tumble dryer|dryer|toaster|microwave|"
    r"fridge|freezer|hob|iron|fire|fireplace|boiler|immersion|radio|computer|laptop|printer|"
    r"router|car|bath|shower|hot tub|jacuzzi|pool|sauna|oven light|extractor|cooker)\b"
    r"(?! up\b| lights?\b| lamps?\b)"  # "fire up the heater"; "the pool lights" is asked
)
# Words that any room's light could be called by: "the big light", "the main light".
_ANY_ROOMS = frozenset({
    "the", "my", "our", "a", "big", "main", "small", "little", "overhead", "ceiling", "top",
    "light", "lights", "lamp",
})  # fmt: skip
_LIGHT_WORDS = re.compile(
    r"\b(?:lights?|lamps?|lighting|bulbs?|bright|brighter|brightness|brighten|dim|dimmer|"
    r"darker|lighter|percent|colou?r|red|orange|yellow|green|blue|purple|pink|white|warm white|"
    r"cool white|chandelier|chandler)\b|%"
)
_THOSE = re.compile(r"\b(?:them|those|these)\b")
# "bright" said of a thing ("turn around bright eyes"): no level of the lights.
_BRIGHT_THING = re.compile(
    r"\bbright (?!(?:in|enough|please|now|and|as|for|at|again|here|there|still|though)\b)[a-z]+"
)
_OTHER_ASSISTANTS = frozenset({"alexa", "siri", "google", "cortana", "bixby", "echo"})
# "In here", "this room": the room you are in.
IN_HERE = re.compile(r"\b(?:in here|this room)\b")
_TITLE = re.compile(r"\b(?:mr|mrs|ms|miss|sir|madam|ma'am|mister|missus)\b")
_OWN_PLAN_BEFORE = re.compile(r"\b(?:to|gonna|wanna|'ll|would|could|should)\s+$")
_YOU_TOO = re.compile(
    r"\b(?:before|when|after|as) you (?:come|go|leave|head|pop|get (?:home|back|in|here|up|"
    r"there|to bed))\b"
)  # "… when you get a chance" is said to anyone
# A word of address said last: the sentence is said to that person.
_TRAILING_VOCATIVES = frozenset({
    "darling", "sweetheart", "honey", "babe", "hun", "mum", "mom", "dad", "sweetie",
})  # fmt: skip
# A statement of how a thing is ("the bedroom blinds are stuck halfway again", "the
# thermostat says twenty"): no request, though it names a thing and a value.
_STATEMENT = re.compile(
    _LEAD + r"(?:the|my|our|your|his|her|their|that|this|these|those)\s+(?:[a-z']+\s+){0,4}?"
    r"(?:is|are|was|were|says|said|keeps|kept|seems|seemed|looks|looked|isn't|aren't|wasn't|"
    r"won't|doesn't|don't|didn't|has|have|had|went|goes|(?<!can )(?<!could )(?<!should )go|"
    r"(?<!can )(?<!could )come|comes|came|stay|stays|gets|got|"
    r"needs|need|broke|want|wants|like|likes|turned|switched|left|opened|closed|sticks|jams|"
    r"squeaks|rattles|leaks|beeps|buzzes|works|breaks|flickers|hums|makes|takes|took)\b"
    # a reading said: "it's twenty degrees in here"
    r"|" + _LEAD + r"(?:it'?s|it is) (?:only |about |nearly |almost |like |already )?"
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|"
    r"nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b"
    # "the tv's on in the living room", "my lamp's broken"
    r"|" + _LEAD + r"(?:the|my|our|your|that|this)\s+(?:[a-z]+\s+){0,2}[a-z]+'s\s+(?:on|off|"
    r"open|closed|shut|still|been|not|broken|gone|playing|making|stuck|locked|unlocked|"
    r"always|never|too|so|really|a bit|halfway|half|down|up|charging|docked|running)\b"
    # someone doing something: "mister tumble is switching the light on and off"
    r"|" + _LEAD + r"(?:[a-z]+\s+){1,2}(?:is|are|was|were)\s+[a-z]+ing\b"
    # what someone does or did: "she always leaves the bathroom light on"
    r"|" + _LEAD + r"(?:he|she|they|someone|somebody|nobody|everyone|everybody|you)\s+"
    r"(?:always|never|keeps?|kept|left|leaves|forgot|forgets|turned|switched|put|puts|was|were|"
    r"is|are|had|has|did|didn't|doesn't|don't|just|still)\b"
    # what the speaker likes or meant to do: "i like the lamp on purple"
    r"|" + _LEAD + r"i (?:like|love|prefer|hate|liked|loved|think|thought|reckon|was going to|"
    r"was gonna|wanted to ask)\b"
    # looking at a thing: "look at the dust on that fan"
    r"|" + _LEAD + r"(?:look at|have you seen|did you see)\b"
    # a story told: "turn off the lights he whispered"
    r"|\b(?:he|she|they) (?:said|says|whispered|shouted|yelled|asked|told|screamed|muttered)\b"
)
# What the speaker did: "i moved the floor lamp by the window", "i turned the lights off".
_DID_IT = re.compile(
    _LEAD + r"i (?:(?!need\b|feed\b|speed\b)[a-z]+ed|put|left|shut|set|got|had|did|made|took|"
    r"told|forgot)\b"
)
_IMPERATIVE = re.compile(
    r"\b(?:turn|switch|put|set|open|close|shut|start|stop|run|play|pause|dim|lock|unlock|"
    r"make|bring|raise|lower|send|skip|mute)\b"
)
# The level slots of each level intent, and level words that are no number.
_LEVEL_SLOTS = {
    "HassLightSet": ("brightness",), "HassClimateSetTemperature": ("temperature",),
    "HassSetPosition": ("position",), "HassSetVolume": ("volume_level",),
    "HassFanSetSpeed": ("percentage",),
}  # fmt: skip
_LEVEL_WORD = re.compile(r"\b(?:half|halfway|full|max|maximum|quarter)\b")
_COVER_CUES = {
    "HassTurnOn": re.compile(r"\b(?:up|raise|lift)\b"),
    "HassTurnOff": re.compile(r"\b(?:down|lower|drop)\b"),
}
# A thing's need said as a request: "the hallway light needs to go on".
_NEEDS_TO = re.compile(r"\b(?:needs? to (?:go|be|come)|should be|ought to be|has to be)\b")
# The words an answer must be asked with: "is it bin day tomorrow" asks no date.
_ASKED_BY = {
    "HassGetCurrentTime": re.compile(r"\b(?:time|how late|o'?clock)\b"),
    "HassGetCurrentDate": re.compile(
        r"\b(?:date|what day|which day|day is it|day of the (?:week|month)|today's|"
        r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday) today)\b"
    ),
    "HassGetWeather": re.compile(
        r"\b(?:weather|whether|forecast|rain|raining|rainy|sunny|sun|snow|snowing|wind|windy|"
        r"umbrella|coat|jacket|outside|out there|storm|stormy|cloudy|fog|foggy|frost|sunscreen|"
        r"hail|drizzle|(?:going to|gonna) be|today|tomorrow|tonight|this (?:week|weekend|"
        r"afternoon|evening))\b"
    ),
}
_ASKED_ABOUT = {"HassGetCurrentTime": "the time", "HassGetCurrentDate": "the date",
                "HassGetWeather": "the weather"}  # fmt: skip
_LIST = re.compile(r"\b(?:lists?|timers?)\b")
# A list item that names nothing: "add something to the shopping list".
_VAGUE_ITEM = re.compile(
    r"(?:something|some stuff|stuff|things|a thing|(?:(?:to|my|the|a|on|it|that|this|our|"
    r"of|in|and|for|them|those|these|they)\s*)*)"
)
# What may stand around a value said alone: "about twenty degrees please".
_AROUND_A_VALUE = frozenset({
    "um", "uh", "er", "erm", "about", "around", "like", "maybe", "oh", "so", "degrees",
    "degree", "percent", "celsius", "fahrenheit", "please",
})  # fmt: skip
_PLEASE_END = re.compile(r"\b(?:please|pls)$")  # "time please": asked
_BARE_ASK = re.compile(
    r"(?:the )?(?:weather|forecast|time|date|temperature(?: (?:in|of) (?:the )?[a-z ]+)?)"
)  # "weather", "temperature in the family room": asked
_VOLUME_INTENTS = frozenset({"HassSetVolume", "HassSetVolumeRelative"})
_SOUND = re.compile(r"\b(?:volume|louder|quieter|softer|loud|quiet|sound|noise|hear)\b")
# One word that is a whole command to the player or the lights where you are.
_ONE_WORD = re.compile(
    r"(?:louder|quieter|softer|brighter|dimmer|previous|skip|play|resume|unpause)(?: please)?"
)
# Something to play put on a player: "stick on peppa pig", not "put on the tv".
_PUT_ON = re.compile(
    r"\b(?:put|stick|pop|throw|chuck|whack) on (?!(?:the|my|a|our|that|this|it|tv|telly|"
    r"television|speaker|music|radio)\b)[a-z]"
)
# "put the lion king on the tv": something to play, put on a player.
_PUT_X_ON = re.compile(
    r"\b(?:put|stick|pop|throw|chuck|whack) (?!(?:it|that|this|them|the (?:tv|telly|television|"
    r"speaker|music|radio))\b)[a-z' ]+? on (?:the |my )?(?:tv|telly|television|speaker|radio)\b"
)
# Someone else's things: "your heating bills", "your lights".
_YOURS = re.compile(
    r"\byour (?:\w+ )?(?:heating|lights?|lamps?|tv|telly|music|fan|blinds|curtains|door|"
    r"thermostat|heater|speaker|bills?|end|side)\b"
)
_DRAW = re.compile(r"\bdraw\b")
_DRAWN_WAY = re.compile(r"\b(?:open|opened|close|closed|shut|back|apart|together|across|in)\b")
_YOUR_TIMER = re.compile(r"\b(?:your|their|his|her) (?:\w+ )?(?:timers?|ovens?|clocks?)\b")
# "in the loo": a place said; those words are no place.
_PLACE = re.compile(
    r"\b(?:in|into) the ([a-z']+(?: [a-z']+)?)(?=$| (?:please|now|pls|thanks|for me)\b)"
)
_NOT_PLACES = frozenset({
    "morning", "evening", "afternoon", "night", "house", "home", "moment", "dark", "way",
    "end", "meantime", "middle", "room", "place", "flat", "world", "air", "background",
    "corner", "window", "same", "mood", "light", "lights", "garden", "first", "on", "off",
    "up", "down", "out", "too", "again", "please", "now", "as", "well", "there", "here",
})  # fmt: skip
# Who a question about people asks after: without one, "is it cold in the bathroom" is no
# question about who is there.
_PEOPLE = re.compile(
    r"\b(?:anyone|anybody|someone|somebody|who|who's|whos|people|empty|nobody|no one|person|"
    r"kids|everyone|everybody)\b"
)
# The clock and the sky asked about someone else's plans: "what time is your flight".
_THERE = re.compile(r"\b(?:there too|over there|where you are|up there|down there)\b")
_BEEN = re.compile(r"\b(?:been|was|were)\b")
_OTHERS_PLANS = re.compile(r"\b(?:your|his|her|their|does|did|was|were)\b")
# Set a timer only when one is named or asked for: "bakers you have two hours" sets none.
_REMIND = re.compile(
    r"\b(?:(?:remind|wake|alert|ping|buzz|tell|call) me|countdown|time (?:\w+ ){0,2}(?:minutes?|"
    r"seconds?|hours?))\b"
)
_OFF = re.compile(r"\boff\b")
_ON = re.compile(r"\bon\b")
# Numbers that are no value: "one" ("that one"), and those inside a name.
_NOT_A_VALUE = frozenset({1})
# Words for the whole home, and words of a name that say only a kind ("the curtains").
_WHOLE = re.compile(r"\b(?:all|every|everything|everywhere|whole|entire|house|home)\b")
_GENERIC_NAME = frozenset({
    "the", "a", "my", "our", "light", "lights", "lamp", "lamps", "lighting", "bulb", "blind",
    "blinds", "curtain", "curtains", "shade", "shades", "shutter", "shutters", "fan", "fans",
    "speaker", "tv", "telly", "television", "music", "heating", "heat", "heater", "thermostat",
    "temperature", "door", "lock", "window", "switch", "plug", "big", "main",
})  # fmt: skip
_LAMP = re.compile(r"\blamp\b")
_HEATER = re.compile(r"\bheaters?\b")  # any heating device ("the heating" is the thermostat)
# More light said of a room: only its lights give it ("darker" may be the blinds).
_BRIGHTER = re.compile(r"\b(?:brighten|brighter|lighter|more light|light up)\b")
_JOINS = re.compile(r"\b(?:and|plus|as well as)\b|,")
# A self-correction, and "not the X": what was said before it is taken back.
_AFTER_CORRECTION = re.compile(
    r"\b(?:no|sorry|i mean|i meant|actually|rather|not the \w+(?: \w+)?|make that)\b"
)
# Words that point at a thing or a place the words do not name: "the other light", "in there".
_VAGUE = re.compile(r"\b(?:the other (?:one|\w+)|(?:in|out|over|up|down) there)\b")
# Domains whose words people swap ("curtains" for blinds, "heater" for the thermostat): one
# of them in the speaker's room may be the one meant, though another room's is named so.
_ONE_KIND = frozenset({"cover", "climate"})
# Words that say which of a kind ("the big light", "the front door"), never a thing alone.
_MODIFIERS = frozenset({
    "big", "little", "small", "front", "back", "side", "main", "top", "bottom", "left",
    "right", "upper", "lower", "outdoor", "indoor", "bedside", "overhead",
})  # fmt: skip
_WH = frozenset({"what", "what's", "whats", "where", "where's", "wheres", "who", "who's", "which"})
_STRANDED = frozenset({"to", "at", "for", "with", "from", "of", "by"})
DEFAULT = DecisionsConfig()


def kinds_said(text: str) -> set[str]:
    """The domains of the kind words said ("the lights", "the telly"): {"light", …}."""
    return {d for words, kinds in _KIND_DOMAINS if words.search(text.lower()) for d in kinds}


def names_a_kind(text: str) -> bool:
    """Whether ``text`` says a word for a kind of device ("lights", "the telly")."""
    return bool(_KIND.search(text.lower()))


def words_of(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def negated(text: str) -> bool:
    return bool(_NEGATED.search(text.lower()))


def bare_value(text: str) -> bool:
    """Whether ``text`` is only a value ("twenty degrees", "about 50 percent"): no request."""
    numbers = find_numbers(text)
    if not numbers:
        return False
    rest = text
    for start, end, _ in reversed(numbers):
        rest = rest[:start] + " " + rest[end:]
    return set(words_of(rest)) <= _AROUND_A_VALUE


def _said_twice(text: str) -> bool:
    """ "Pump up the volume pump up the volume": the same words twice over."""
    words = words_of(text)
    half = len(words) // 2
    return len(words) >= 4 and len(words) % 2 == 0 and words[:half] == words[half:]


def cut_off(text: str) -> bool:
    """Whether ``text`` stops after a word that cannot end a request ("switch off the"). A
    question may end on its preposition ("what's the heating set to", "where's alice got to")."""
    words = words_of(text)
    while words and words[0] in ("uh", "um", "er", "erm", "so", "and", "oh", "okay", "ok"):
        words = words[1:]  # "uh what's the timer at"
    if len(words) > 2 and words[0] in _WH and words[-1] in _STRANDED:
        return False
    if len(words) > 2 and words[0] in (*_WH, "how") and words[-1] in ("in", "on"):
        return True  # "what's the weather in", "what's the weather gonna be on"
    if len(words) > 2 and words[-2] in ("you", "ye") and words[-1] in _CUT_OFF:
        return False  # "… if you would", "turn it off could you"
    return bool(words) and words[-1] in _CUT_OFF


class Decider:
    """Turns a reading into act, ask or refuse (``Command.decision``), with the question or
    the reason said."""

    def __init__(self, home: Home, config: DecisionsConfig | None = None) -> None:
        self.home = home
        self.config = config or DEFAULT
        self.gazetteer = Gazetteer(home)
        self._names = {d.id: d.name for d in home.devices}
        self._areas = {d.id: d.area for d in home.devices}
        self._domains = {d.id: d.domain for d in home.devices}
        self._people = {w for p in home.people for w in words_of(p.name)}
        named = [n for group in (home.devices, home.areas, home.floors) for x in group
                 for n in x.spoken_names()]  # fmt: skip
        self._vocab = {w for n in named for w in words_of(n)} | {
            w.removesuffix("s") for n in named for w in words_of(n)
        }
        self.vocabulary = frozenset(self._vocab)  # the words of the home's names
        # words that start a name and never end one ("front" of "front door", "big" of "big
        # light"): a sentence ending on one was cut off ("lock the front")
        lasts = {words_of(n)[-1] for n in named if words_of(n)}
        self._unfinished = ({w for n in named for w in words_of(n)[:-1]} - lasts) & _MODIFIERS

    def decide(self, command: Command, context: Context | None = None) -> Command:
        context = context or Context()
        text = command.text.lower()
        if not command.understood:
            return replace(command, decision="refuse")
        if command.intent == "HassNevermind":  # does nothing; "the" is no "never mind"
            known = command.layer != "model" or _NEVERMIND.search(text)
            return replace(command, decision="act") if known else _refuse(command, "no request")
        if negated(text) or _WITHDRAWN.search(text):
            return _refuse(command, "a request not to do something: nothing to do")
        if command.intent in LIST_INTENTS and _VAGUE_ITEM.fullmatch(
            str(command.slots.get("item", "")).strip().lower()
        ):
            return _refuse(command, "what to put on the list was not said: say the item")
        if command.intent == "HassBroadcast" and _VAGUE_ITEM.fullmatch(
            str(command.slots.get("message", "")).strip().lower()
        ):
            return _refuse(command, "what to announce was not said")
        if (
            command.intent == "HassCancelTimer"
            and len(str(command.slots.get("name", "")).split()) > 3
        ):
            return _refuse(command, "which timer? say its name or its time")
        if bare_value(text):
            return _refuse(command, "only a value was heard, not what to do with it")
        if kind_of(command.intent) == "control" and self._only_a_name(text):
            return _refuse(command, "only a name was heard, not what to do with it")
        if (other := self.to_others(text)) is not None:
            return _refuse(command, f"said to someone else, or of what you will do ('{other}')")
        if kind_of(command.intent) == "control" and (left := EXCEPT.search(text)):
            return _refuse(command, f"'{left.group()}' was said: I cannot leave things out, "
                           "so name what to act on")  # fmt: skip
        if (cut_off(text) or (words_of(text) or [""])[-1] in self._unfinished) and not (
            command.intent == "HassRespond" and command.layer != "model"
        ):
            # "where does my data go to": Home Assistant's own question, whole as said
            return _refuse(command, f"only part of a request was heard ('{_tail(text)}')")
        if (
            kind_of(command.intent) == "control"
            and command.intent not in _FREE_TEXT  # "broadcast … see you later": its words
            and (when := _WHEN.search(text))
            and not (command.intent in _A_MOMENT_OK and _A_MOMENT.fullmatch(when.group()))
        ):
            return _refuse(command, f"a command for later ('{when.group()}'): say when as a time "
                           "('at 7 pm') or a while ('in 5 minutes')")  # fmt: skip
        if (
            command.intent in ("HassCancelTimer", "HassCancelAllTimers")
            and _DURATION.search(text)
            and not _CANCEL.search(text)
            and not any(k.startswith("start_") for k in command.slots)  # "the 5 minute timer"
        ):
            return _refuse(command, "a time said: to shorten a timer, say 'take 1 minute off'")
        if command.intent == "HassMediaSearchAndPlay" and (
            why := self._not_to_play(str(command.slots.get("search_query", "")).lower())
        ):
            return _refuse(command, why)
        if command.intent == "HassClimateGetTemperature" and not command.targets:
            return replace(command, decision="refuse", reason=(
                "nothing here says the temperature: name a room that has a thermostat or a "
                "sensor"))  # fmt: skip
        if kind_of(command.intent) == "control" and _said_twice(text):
            return replace(command, decision="ask", clarify=self.question(command),
                           reason="the same words twice, as in a song")  # fmt: skip
        if (elsewhere := self._elsewhere(text, command)) is not None:
            return replace(command, decision="ask", clarify=self.question(command),
                           reason=f"none of it is in the {elsewhere}")  # fmt: skip
        if command.layer != "model":
            return self._acting(command, text, context)
        return self._model(command, text, context)

    def _not_in_here(self, text: str, command: Command, context: Context) -> str | None:
        """ "Put the telly on in here" said where there is no telly: "in here" is the
        room you are in, and none of the things read is."""
        here = context.command_area()
        if here is None or not IN_HERE.search(text) or not command.targets:
            return None
        if any(self._areas.get(t) == here for t in command.targets):
            return None
        return "'in here', and none of it is here"

    def _only_a_name(self, text: str) -> bool:
        """Whether ``text`` is a device's name and nothing else ("robot vacuum", "the
        telly"): no request, however a reading of it acts."""
        words = words_of(text)
        spans = self.gazetteer.matches(text, "device")
        named = {w for a, b, _ in spans for w in words_of(text[a:b])}
        return bool(spans) and set(words) <= named | {"the", "my", "our", "a", "um", "uh"}

    def _described_away(self, text: str, command: Command, context: Context) -> str | None:
        """ "Turn the big light on" said in the bedroom: the living room's big light is named
        only by words any room's light could have, and this room has lights of its own; the
        speaker may mean this room's, so ask."""
        here = context.command_area()
        if here is None or len(command.targets) != 1:
            return None
        device = self.home.device(command.targets[0])
        if device.domain != "light" or device.area == here:
            return None
        if not any(d.domain == "light" for d in self.home.devices if d.area == here):
            return None
        for a, b, named in self.gazetteer.matches(text, "device"):
            words = set(words_of(text[a:b]))
            if named.id == device.id and words <= _ANY_ROOMS:
                return f"'{text[a:b]}' could be this room's too"
        return None

    def _not_to_play(self, query: str) -> str | None:
        """Why a search's words are nothing to play ("play it again sam", "put the heater on"
        read as a search for "the heater on"), else None."""
        words = words_of(query)
        if words and words[0] in ("it", "that", "this", "them", "those", "these"):
            return f"what to play was not said ('{query}')"
        things = [d for _, _, d in self.gazetteer.matches(query, "device")]
        if any(d.domain != "media_player" for d in things) or kinds_said(query) - {"media_player"}:
            return f"'{query}' is a thing in the home, not something to play"
        return None

    def _acting(self, command: Command, text: str, context: Context) -> Command:
        """Act, or ask first when the reading is of things elsewhere, said only by a kind."""
        if (
            kind_of(command.intent) == "control"
            and _LAMP.search(text)
            and "name" not in command.slots
            and command.targets
            and not any(_LAMP.search(self._names[t].lower()) for t in command.targets)
        ):  # "turn off the lamp in the kitchen": the kitchen has no lamp
            return replace(command, decision="ask", clarify=self.question(command),
                           reason="a lamp was said, and none of these is one")  # fmt: skip
        if kind_of(command.intent) == "control" and (
            here := self._not_in_here(text, command, context)
        ):
            return replace(command, decision="ask", clarify=self.question(command), reason=here)
        if kind_of(command.intent) == "control" and (
            away := self._described_away(text, command, context)
        ):
            return replace(command, decision="ask", clarify=self.question(command), reason=away)
        if (
            command.intent == "HassLightSet"
            and "name" not in command.slots
            and not _LIGHT_WORDS.search(text)
        ):  # "set the living room to 68": the lights, or the heating?
            return replace(command, decision="ask", clarify=self.question(command),
                           reason="a level said of a place, not of its lights")  # fmt: skip
        if kind_of(command.intent) == "control" and (
            away := self._not_here(text, command, context)
        ):
            return replace(command, decision="ask", clarify=self.question(command), reason=away)
        if (
            command.intent in ("HassTurnOn", "HassTurnOff")
            and _DRAW.search(text)
            and not _DRAWN_WAY.search(text)
        ):  # "draw the curtains": open them or close them?
            return replace(command, decision="ask", clarify=self.question(command),
                           reason="'draw' says neither open nor close")  # fmt: skip
        if kind_of(command.intent) == "control" and (vague := _VAGUE.search(text)):
            return replace(command, decision="ask", clarify=self.question(command),
                           reason=f"'{vague.group()}' does not say which")  # fmt: skip
        return replace(command, decision="act")

    def thresholds(self, intent: str | None) -> Thresholds:
        return getattr(self.config, kind_of(intent))

    def _model(self, command: Command, text: str, context: Context) -> Command:
        intent = command.intent or ""
        limits = self.thresholds(intent)
        confidence = command.confidence
        if confidence < limits.ask:
            return _refuse(command, f"not sure what was meant ({intent} at {confidence:.2f})")
        kind = kind_of(intent)
        if kind == "answer":
            if (
                intent == "HassGetState"
                and command.slots.get("domain") == "person"
                and "name" not in command.slots
                and not _PEOPLE.search(text)
            ):
                return _refuse(command, "not a question about who is where")
            if intent in _CLOCK_AND_SKY and (others := _OTHERS_PLANS.search(text)):
                return _refuse(command, f"a question about someone's plans ('{others.group()}')")
            if intent == "HassGetWeather" and (there := _THERE.search(text)):
                return _refuse(command, f"a question about somewhere else ('{there.group()}')")
            if (
                intent == "HassGetState"
                and command.slots.get("domain") == "person"
                and (_BEEN.search(text))
            ):
                return _refuse(command, "a question about who was somewhere, not who is")
            if intent in _ASKED_BY and not _ASKED_BY[intent].search(text):
                return _refuse(command, f"not asked about {_ASKED_ABOUT[intent]}")
            if intent == "HassGetState" and (why := self._not_about(text, command, context)):
                return _refuse(command, why)
            if (
                intent == "HassRespond"
                or _QUESTION.search(text)
                or _PLEASE_END.search(text)
                or _BARE_ASK.fullmatch(text)
            ):
                return replace(command, decision="act" if confidence >= limits.act else "refuse")
            return _refuse(command, "not said as a question or a request")
        if kind == "control" and _YES_NO.search(text):
            return _refuse(command, "a question about how things are, not a request")
        if kind == "control" and (said := self._other_kind(text, command)):
            return _refuse(command, f"'{said}' was said, and the reading is of something else")
        if (
            kind == "control"
            and (did := _DID_IT.search(text))
            and not _IMPERATIVE.search(text, did.end())
        ):
            return _refuse(command, f"said of what was done ('{did.group().strip()}'), not asked")
        told = _STATEMENT.search(text)
        asked_after = told and any(
            not _OWN_PLAN_BEFORE.search(text[: m.start()])
            for m in _IMPERATIVE.finditer(text, told.end())
        )  # "i was going to put the heating on": the plan's own verb, not a request
        if told and (asked_after or _NEEDS_TO.search(text)):
            told = None  # "the floors are filthy run the vacuum", "… needs to go on"
        if kind == "control" and told and not _NEED.search(text):
            return _refuse(command, f"said of how things are ('{told.group().strip()}'), not "
                           "asked")  # fmt: skip
        if kind == "control" and (
            against := self._against(text, command) or self._against_more(text, command)
        ):
            return _refuse(command, against)
        cue = (intent in CUES and bool(CUES[intent].search(text))) or self._cued(text, command)
        if kind == "timer" and (yours := _YOUR_TIMER.search(text)):
            return _refuse(command, f"'{yours.group()}' is not this home's")
        if kind == "timer":
            about_timer = bool(_TIMER_WORD.search(text)) or (
                intent == "HassStartTimer" and cue and bool(_REMIND.search(text))
            )  # "wake me in ten minutes"
            if cue and about_timer and confidence >= limits.act:
                return replace(command, decision="act")
            return _refuse(command, "not clearly about a timer")
        grounded = self._grounded(text, command, context) or (
            intent in IMPLIED_DOMAIN
            and (len(words_of(text)) >= 2 or bool(_ONE_WORD.fullmatch(text)))
            and (intent not in _VOLUME_INTENTS or bool(_SOUND.search(text)))
            and (intent != "HassLightSet" or not _BRIGHT_THING.search(text))
            and not _THOSE.search(text)  # "make them brighter": which? (nothing pointed at)
        )  # "a bit brighter", "louder": the lights, the player; never a lone "up", and "i feel
        # a bit down today" is no volume
        sure = not _HEDGE.search(text)  # "the heating or the fan i dunno": ask
        if (
            cue
            and grounded
            and sure
            and confidence >= limits.act
            and self._named(text, command, context)
        ):
            return self._acting(command, text, context)
        if grounded and (cue or _NEED.search(text)) and len(words_of(text)) >= 2:
            return replace(command, decision="ask", clarify=self.question(command))
        missing = "what to do" if not cue else "what to do it to"
        return _refuse(command, f"a guess ({intent}): the words do not say {missing}")

    def _named(self, text: str, command: Command, context: Context) -> bool:
        """Whether the words say what to act on, not only where: a device, a kind of device,
        or nothing at all for an intent of one kind ("a bit brighter"). Only a room ("turn off
        the bedroom"), "it" with no hand pointing, or "everything" is a guess worth a question.
        """
        if self.gazetteer.matches(text, "device"):
            return True
        if _EVERYTHING.search(text):
            return False
        if command.intent == "HassClimateSetTemperature" or (
            command.intent == "HassLightSet" and _BRIGHTER.search(text)
        ):  # "make it warmer in the office", "brighten up the kitchen": its heating, lights
            return True
        if kinds := list(_KIND.finditer(text)):
            return not any(self._unknown_before(text, kind.start()) for kind in kinds)
        pointed = command.targets and context.pointing_target in command.targets
        if _DEICTIC.search(text) and not pointed:
            return False
        return not any(self.gazetteer.matches(text, f) for f in ("area", "floor"))

    def _not_here(self, text: str, command: Command, context: Context) -> str | None:
        """Why a reading of things elsewhere is a guess worth a question, else None: said by
        a word for a kind ("the curtains", "the lamp", "the temperature") with no place, none
        of the targets in the speaker's room, and either several rooms' things or a thing of
        the same kind in the speaker's room ("close the curtains" in a bedroom with blinds)."""
        here = context.command_area()
        if here is None or not command.targets or _WHOLE.search(text):
            return None
        if any(self.gazetteer.matches(text, f) for f in ("area", "floor")):
            return None
        named = self.gazetteer.matches(text, "device")
        if any(not set(words_of(text[a:b])) <= _GENERIC_NAME for a, b, _ in named):
            return None  # "the floor lamp": a name, wherever it is
        areas = {self._areas.get(t) for t in command.targets}
        if here in areas:
            lamp = _LAMP.search(text)
            if lamp and not any(
                d.area == here and _LAMP.search(d.name.lower()) for d in self.home.devices
            ):
                return f"no {lamp.group()} in this room"
            return None
        if len(areas) > 1:
            return "things in several rooms, none in this one"
        domains = {self._domains.get(t) for t in command.targets} & _ONE_KIND
        if any(d.area == here and d.domain in domains for d in self.home.devices):
            return f"said of a kind, and the {self._names.get(command.targets[0])} is elsewhere"
        others = [
            d for d in self.home.devices if d.domain in domains and d.id not in command.targets
        ]
        if others and _HEATER.search(text):  # "turn on the heater" in the kitchen: which?
            return f"said of a kind, and the home has another: the {others[0].name}"
        return None

    def _not_about(self, text: str, command: Command, context: Context) -> str | None:
        """Why a question about a thing's state is not about the things read, else None: no
        thing, place or kind named ("what are you watching"), a kind said that they are not
        ("are the garden lights still on" read as the sprinkler), or nothing to ask about."""
        if command.slots.get("domain") == "person":
            return None
        if not command.targets:
            return "no thing or person to ask about"
        named = self.gazetteer.matches(text, "device")
        if named and not any(d.id in command.targets for _, _, d in named):
            return f"the {named[0][2].name} was said, and the question read is about another"
        if not (self._grounded(text, command, context) and not _LIST.search(text)):
            return "no thing or place named to ask about"
        if said := self._other_kind(text, command):
            return f"'{said}' was said, and the question read is about something else"
        return None

    def _cued(self, text: str, command: Command) -> bool:
        """Words that say the action for these targets beyond the intent's cues: a level said
        to a level intent ("office heater to eighteen": the value is in the words, checked by
        ``_against``), "up" and "down" said to blinds."""
        domains = {self._domains.get(t) for t in command.targets}
        kinds = [k for words, k in _KIND_DOMAINS if words.search(text)]
        if any(not k & domains for k in kinds):
            return False  # "lights at thirty percent and the telly off" read as the volume
        named = bool(self.gazetteer.matches(text, "device")) or bool(kinds)
        if (
            command.intent in _LEVEL_SLOTS
            and named  # "one hundred and eighty" alone is no volume
            and any(_numeric(command.slots.get(k)) for k in _LEVEL_SLOTS[command.intent])
        ):
            return bool(find_numbers(text)) or bool(_LEVEL_WORD.search(text))
        if domains == {"cover"} and command.intent in _COVER_CUES:
            return bool(_COVER_CUES[command.intent].search(text))
        return False

    def to_others(self, text: str) -> str | None:
        """The words that say a sentence is said to someone else ("mum can you …") or of what
        the speaker will do ("let me …"), else None."""
        if said := _TO_OTHERS.search(text):
            return said.group().strip()
        return self.addressed(text)

    def addressed(self, text: str) -> str | None:
        """The name or word of address a sentence starts with ("mum can you …", "josh skip
        this song"): said to that person, not to the assistant; else None."""
        words = words_of(text)
        lead = [w for w in words if w not in ("um", "uh", "oh", "hey", "oi", "ok", "okay")]
        first = lead[0] if lead else None
        if first is not None and len(words) > 2 and (first in _VOCATIVES or first in self._people):
            return first
        if first in _OTHER_ASSISTANTS and len(words) > 1:  # "alexa stop"
            return first
        if len(words) > 3 and words[-1] in _TRAILING_VOCATIVES:  # "… the lamp off darling"
            return words[-1]
        if said := _YOU_TOO.search(text):  # "… before you come to bed": a person comes
            return said.group()
        if said := _TITLE.search(text):  # "close the curtains mrs hughes"
            return said.group()
        if (
            len(lead) > 2
            and lead[1] in _TOLD
            and first not in _STARTERS
            and first not in self._vocab
            and first.isalpha()
        ):  # "josh skip this song", "sean would you ever turn the big light off"
            return first
        return None

    def _against_more(self, text: str, command: Command) -> str | None:
        """More words against a control reading: something to play said to a reading that
        only turns a player on ("stick on peppa pig on the television"), someone else's
        things ("save 30 percent on your heating bills"), a place this home does not have
        ("pop the light on in the loo")."""
        domains = {self._domains.get(t) for t in command.targets}
        if (
            command.intent == "HassTurnOn"
            and "media_player" in domains
            and (_PUT_ON.search(text) or _PUT_X_ON.search(text))
        ):
            return "something to play was said: say 'play …'"
        if yours := _YOURS.search(text):
            return f"'{yours.group()}' is not this home's"
        for thing in _HOUSEHOLD.finditer(_AFTER_CORRECTION.split(text)[-1]):
            if not set(thing.group().split()) <= self._vocab:  # "put the kettle on"
                return f"no {thing.group()} in this home"
        if command.intent in ("HassMediaNext", "HassMediaPrevious") and (
            other := _NEXT_THING.search(text)
        ):
            return f"'{other.group()}' is nothing a player skips to"  # "next slide please"
        for place in _PLACE.finditer(text):
            for word in place.group(1).split():
                if word not in self._vocab and word not in _NOT_PLACES:
                    return f"no place called '{place.group(1)}' in this home"
        return None

    def _against(self, text: str, command: Command) -> str | None:
        """Why the words speak against a control reading, else None: "off" said to a reading
        that turns on or sets a level ("turn the lights off we're going up to bed" read as
        brighter), or a number said that the reading has no value for ("the lamp to blue and
        fifty percent" read as the colour only)."""
        intent = command.intent
        if _OFF.search(text) and (
            intent in ("HassLightSet", "HassFanSetSpeed", "HassSetPosition")
            or (intent == "HassTurnOn" and not _ON.search(text))
        ):
            return "'off' was said, and the reading does not turn anything off"
        devices = self.gazetteer.matches(text, "device")
        domains = {self._domains.get(t) for t in command.targets}
        joined = bool(_JOINS.search(text))  # "the tv and the lamp": each thing read after
        meant = self.gazetteer.matches(_AFTER_CORRECTION.split(text)[-1], "device")
        for _, _, device in meant:  # "the hoover light no the hall light": the hall light
            if not joined and device.id not in command.targets and device.domain not in domains:
                return f"the {device.name} was said, and the reading is of something else"
        named = [(a, b) for a, b, _ in devices] + [
            (a, b) for kind in ("area", "floor") for a, b, _ in self.gazetteer.matches(text, kind)
        ]
        said = [
            text[a:b] for a, b, value in find_numbers(text)
            if value not in _NOT_A_VALUE and not any(s <= a and b <= e for s, e in named)
        ]  # fmt: skip
        valued = intent not in _FREE_TEXT
        if said and valued and not any(_numeric(v) for v in command.slots.values()):
            return f"'{said[0]}' was said, and the reading has no value for it"
        return None

    def _other_kind(self, text: str, command: Command) -> str | None:
        """A kind of device said that none of the targets is ("turn up the heat" read as a
        lamp), when the words name no device by its name; else None."""
        named = self.gazetteer.matches(text, "device")
        if not command.targets or (named and (_JOINS.search(text) or _HEDGE.search(text))):
            return None  # "the tv and the lamp": each read after; "… or the fan": asked
        domains = {self._domains[t] for t in command.targets if t in self._domains}
        said = [
            (m.group(), kinds)
            for words, kinds in _KIND_DOMAINS
            for m in words.finditer(text)
            if not any(s <= m.start() and m.end() <= e for s, e, _ in named)
        ]  # a kind word of a device's own name ("the garden lights") is that device
        if said and not any(kinds & domains for _, kinds in said):
            return said[0][0]
        return None

    def _unknown_before(self, text: str, at: int) -> bool:
        """Whether the word before a kind of device names something this home does not have
        ("the pool lights"): then the reading is the nearest thing, a guess."""
        before = words_of(text[:at])
        return bool(before) and before[-1] not in _GENERIC and before[-1] not in self._vocab

    def _elsewhere(self, text: str, command: Command) -> str | None:
        """The room the words name when none of the targets is in it ("turn the tv on in the
        kitchen", the TV being in the living room), else None. Only what follows a
        self-correction counts ("the kitchen, no, the bedroom light")."""
        text = _AFTER_CORRECTION.split(text)[-1]
        devices = self.gazetteer.matches(text, "device")
        placed = {self._areas.get(t) for t in command.targets}
        if not command.targets or None in placed:
            return None
        for start, end, area in self.gazetteer.matches(text, "area"):
            inside = any(s <= start and end <= e for s, e, _ in devices)
            if not inside and area.id not in placed:
                return str(area.name)
        floors = {self.home.area(a).floor for a in placed}
        for start, end, floor in self.gazetteer.matches(text, "floor"):
            inside = any(s <= start and end <= e for s, e, _ in devices)
            if not inside and floor.id not in floors:  # "the upstairs telly"
                return str(floor.name)
        return None

    def _grounded(self, text: str, command: Command, context: Context) -> bool:
        """Whether the words name what the command acts on."""
        pointed = command.targets and context.pointing_target in command.targets
        if pointed and _DEICTIC.search(text):
            return True
        return any(self.gazetteer.matches(text, f) for f in ("device", "area", "floor")) or bool(
            _KIND.search(text)
        )

    def question(self, command: Command) -> str:
        return f"Do you want me to {describe(command, self._names)}?"


# Readings whose words are free text that may hold a number ("play 99 red balloons").
_FREE_TEXT = frozenset({"HassMediaSearchAndPlay", "HassBroadcast", "HassListAddItem",
                        "HassShoppingListAddItem", "HassListCompleteItem"})  # fmt: skip
_CLOCK_AND_SKY = frozenset({"HassGetCurrentTime", "HassGetCurrentDate", "HassGetWeather"})


def _numeric(value: object) -> bool:
    """Whether a slot value is a number or a signed change ("up" and "down" are none)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(re.fullmatch(r"[+-]?\d+(?:\.\d+)?", value.strip()))


def describe(command: Command, names: dict[str, str]) -> str:
    """What a command would do, in words: 'turn off the Kitchen Light and the Counter Light'."""
    said = [names.get(t, t) for t in command.targets]
    if len(said) > 3:
        said = [*said[:3], f"{len(said) - 3} more"]
    things = " and ".join(filter(None, [", ".join(said[:-1]), said[-1] if said else ""]))
    things = f"the {things}" if things else "that"
    slots = command.slots
    match command.intent:
        case "HassTurnOn":
            return f"turn on {things}"
        case "HassTurnOff":
            return f"turn off {things}"
        case "HassLightSet" if "brightness" in slots:
            return f"set {things} to {slots['brightness']} percent"
        case "HassLightSet" if "color" in slots:
            return f"make {things} {slots['color']}"
        case "HassSetPosition" if "position" in slots:
            return f"set {things} to {slots['position']} percent open"
        case "HassSetVolume" if "volume_level" in slots:
            return f"set the volume of {things} to {slots['volume_level']} percent"
        case "HassClimateSetTemperature" if "temperature" in slots:
            return f"set {things} to {slots['temperature']} degrees"
        case "HassMediaPause":
            return f"pause {things}"
        case "HassMediaUnpause":
            return f"resume {things}"
        case "HassMediaNext":
            return f"skip to the next track on {things}"
        case "HassMediaPrevious":
            return f"go back a track on {things}"
        case "HassVacuumStart":
            return f"start {things}"
        case "HassVacuumReturnToBase":
            return f"send {things} back to its dock"
    for slot, (up, down, unit) in _CHANGE_WORDS.items():
        if slot in slots:
            step = slots[slot]
            way = up if step == "up" or (not isinstance(step, str) and step > 0) else down
            by = "" if isinstance(step, str) else f" by {abs(step):g}{unit}"
            return f"{way.format(things)}{by}"
    return f"do {command.intent} on {things}"


_CHANGE_WORDS = {
    "brightness_change": ("make {} brighter", "make {} dimmer", " percent"),
    "volume_step": ("turn up {}", "turn down {}", " percent"),
    "temperature_change": ("make {} warmer", "make {} cooler", " degrees"),
    "position_change": ("open {} further", "close {} further", " percent"),
    "percentage_change": ("speed up {}", "slow down {}", " percent"),
}


def _refuse(command: Command, reason: str) -> Command:
    return replace(command, decision="refuse", reason=reason)


def _tail(text: str, words: int = 6) -> str:
    said = words_of(text)
    return ("… " if len(said) > words else "") + " ".join(said[-words:]) + " …"
