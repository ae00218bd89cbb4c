"""Spotting a clearly frustrated user, so that a human takes over at once.

The rule, in French and English, on the text folded (lower case, no accents, apostrophes
straightened), so that "ca fait 3 fois", "ça fait 3 fois" and "CA FAIT 3 FOIS" read alike:

- **One strong sign is enough**: a complaint about the help itself or about waiting ("ras le
  bol", "c'est n'importe quoi", "personne ne répond", "useless", "waste of time"), or asking
  again and again ("ça fait 3 fois", "c'est la troisième fois que je demande", "for the third
  time", "I've asked 4 times").
- **Weak signs need company**: words that also describe a plain problem ("rien ne marche",
  "nothing works", "toujours pas", "c'est nul", "still not") and typography ("!!!", "?!",
  shouting in capitals). Two of them together are frustration; one alone is not, so "rien ne
  marche sur mon imprimante" or "the printer still does not print" stay problem reports and
  get an answer, while "rien ne marche !!!" brings a person.
- Shouting alone (three or more words, nearly all in capitals, with "!!" or "??") is strong.

A count of times that is not about asking ("j'ai redémarré deux fois") is no sign: only
"ça fait N fois", an ordinal from the third on ("3e fois", "third time") or "N times" after
asking words count.
"""

from __future__ import annotations

import re

from nlu.entities import fold

STRONG = (
    # English
    "useless",
    "stupid bot",
    "dumb bot",
    "you are not helping",
    "you're not helping",
    "youre not helping",
    "this is ridiculous",
    "ridiculous",
    "waste of time",
    "for god's sake",
    "fed up",
    "sick of this",
    "sick and tired",
    "i give up",
    "wtf",
    "this is a joke",
    "pathetic",
    "nobody answers",
    "nobody is answering",
    "no one answers",
    "no one is answering",
    "nobody helps",
    "still no answer",
    "still waiting",
    "how many times",
    "again and again",
    # French
    "sert a rien",
    "sers a rien",
    "servez a rien",
    "t'es nul",
    "tu es nul",
    "vous etes nuls",
    "bot nul",
    "ras le bol",
    "ras-le-bol",
    "j'en ai marre",
    "jen ai marre",
    "marre de",
    "en ai marre",
    "n'importe quoi",
    "nimporte quoi",
    "c'est pas possible",
    "c'est pas croyable",
    "c'est une blague",
    "perte de temps",
    "tu comprends rien",
    "tu ne comprends rien",
    "vous comprenez rien",
    "inutile",
    "personne ne repond",
    "personne repond",
    "personne ne m'aide",
    "personne m'aide",
    "toujours pas de reponse",
    "toujours rien",
    "toujours pas regle",
    "toujours pas resolu",
    "combien de fois",
    "encore et encore",
    "j'en peux plus",
    "je n'en peux plus",
    "c'est lamentable",
    "honteux",
    "inadmissible",
    "inacceptable",
    "unacceptable",
)
WEAK = (
    "rien ne marche",
    "rien marche",
    "rien ne fonctionne",
    "rien fonctionne",
    "ca marche jamais",
    "ca ne marche jamais",
    "toujours pas",
    "c'est nul",
    "nul a chier",
    "nothing works",
    "nothing is working",
    "never works",
    "still not",
    "still doesn't",
    "still does not",
    "still broken",
    "this sucks",
    "rubbish",
    "again!",
    "encore!",
)
_ORDINALS = (
    r"troisieme|quatrieme|cinquieme|sixieme|dixieme|enieme|nieme|"
    r"third|fourth|fifth|sixth|tenth|umpteenth|nth"
)
_NUMBER = r"(\d+|trois|quatre|cinq|six|dix|cent|mille|three|four|five|six|ten|hundred)"
_ASKING = r"(demand|appel|ecri|redi|di|ask|call|writ|tell|told|said|repeat|explain|expliqu)\w*"
REPEATED = re.compile(
    r"(?<!\w)("
    rf"(ca|ça) fait {_NUMBER} fois"  # "ça fait 3 fois que..."
    rf"|({_ORDINALS}) (fois|time)"  # "la troisième fois", "the third time"
    r"|([3-9]|\d\d+) ?(e|eme|ieme|rd|th) (fois|time)"  # "3e fois", "4th time"
    rf"|{_ASKING} (.{{0,20}} )?{_NUMBER} (fois|times)"  # "j'ai demandé 3 fois", "asked 4 times"
    rf"|{_NUMBER} (fois|times) (que|now|already|deja)"  # "3 fois que je", "4 times now"
    r")(?!\w)"
)


def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


_STRONG, _WEAK = _phrases(STRONG), _phrases(WEAK)
_EXCLAIMING = re.compile(r"[!?]*![!?]*![!?]*!|\?!|!\?")  # "!!!", "?!", "!?"


def _folded(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u02bc", "'")
    return re.sub(r"\s+", " ", fold(text)).replace(" !", "!")


def _shouting(text: str) -> tuple[bool, bool]:
    """(half the words in capitals, nearly all of at least three words in capitals).

    Acronyms ("VPN", "SAP") are capitals too: two of them in a sentence are no shouting.
    """
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 1]
    capitals = sum(w.isupper() for w in words)
    many = capitals >= 3 and capitals >= 0.5 * len(words)
    return many, len(words) >= 3 and capitals >= 0.8 * len(words)


def frustrated(text: str) -> bool:
    """Whether the message is clearly frustrated, by the rule of the module docstring."""
    folded = _folded(text)
    if _STRONG.search(folded) or REPEATED.search(folded):
        return True
    some_capitals, all_capitals = _shouting(text)
    punctuated = bool(_EXCLAIMING.search(text.replace(" ", "")))
    if all_capitals and ("!!" in text or "??" in text):
        return True
    weak = len(_WEAK.findall(folded)) + punctuated + some_capitals
    return weak >= 2
