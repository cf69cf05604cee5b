"""Suggest an appointment category from Nextech type and purpose names (pure, no I/O).

A suggestion only saves the practice typing: the spec makes the client confirm every
mapping, so when a name is ambiguous this returns None rather than guess.
"""

from __future__ import annotations

import re

from integrations.categories import Category

# Each signal is a list of regular expressions matched against the lower-cased name with
# punctuation turned into spaces ("Pre-Op" -> "pre op", "Non-Surgical" -> "non surgical").
BLOCK_TERMS = (r"block(ed)?", r"lunch", r"meeting", r"admin", r"hold", r"break", r"vacation",
               r"out of office", r"do not book", r"placeholder")
PRE_OP_TERMS = (r"pre ?op(s|erative)?",)
POST_OP_TERMS = (r"post ?op(s|erative)?",)
ONLINE_TERMS = (r"online", r"virtual", r"tele ?health", r"tele ?med(icine)?", r"video",
                r"zoom", r"facetime")
CONSULT_TERMS = (r"consult(s|ation|ations)?", r"cons")
SURGICAL_TERMS = (
    r"surgery", r"surgical", r"surgeries", r"augmentation", r"aug", r"rhinoplasty", r"rhino",
    r"septorhinoplasty", r"tummy tuck", r"abdominoplasty", r"lipo", r"liposuction",
    r"lipo ?sculpture", r"smart ?lipo", r"face ?lift", r"neck ?lift", r"brow ?lift",
    r"breast ?lift", r"arm ?lift", r"thigh ?lift", r"body ?lift", r"blepharoplasty", r"bleph",
    r"eyelid", r"bbl", r"brazilian butt lift", r"mastopexy", r"breast reduction",
    r"breast implants?", r"implants?", r"explant", r"capsulectomy", r"otoplasty",
    r"labiaplasty", r"gynecomastia", r"mommy makeover", r"fat transfer", r"fat grafting",
    r"reconstruction",
)
NON_SURGICAL_TERMS = (
    r"botox", r"dysport", r"xeomin", r"jeuveau", r"daxxify", r"neurotoxins?", r"tox",
    r"fillers?", r"dermal fillers?", r"juvederm", r"restylane", r"rha", r"sculptra",
    r"radiesse", r"kybella", r"injectables?", r"injections?", r"injector", r"lip flip",
    r"laser", r"ipl", r"photo ?facial", r"broad ?band light", r"halo", r"moxi", r"fraxel",
    r"facials?", r"peels?", r"chemical peel", r"hydra ?facial", r"micro ?needling",
    r"morpheus8?", r"rf", r"prp", r"dermaplaning", r"cool ?sculpting", r"emsculpt",
    r"body contouring", r"skin", r"skincare", r"esthetic(s|ian)?", r"aesthetics?", r"med ?spa",
    r"hair removal", r"tattoo removal", r"iv therapy", r"weight loss", r"semaglutide",
)
# "BBL" is both the Brazilian butt lift and Sciton's BroadBand Light laser; next to one of
# these words it is the laser.
BBL_LASER_CONTEXT = (r"photo ?facial", r"laser", r"ipl", r"hero", r"forever young",
                     r"broad ?band")


def _compile(terms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(terms) + r")\b")


_BLOCK = _compile(BLOCK_TERMS)
_PRE_OP = _compile(PRE_OP_TERMS)
_POST_OP = _compile(POST_OP_TERMS)
_ONLINE = _compile(ONLINE_TERMS)
_CONSULT = _compile(CONSULT_TERMS)
_SURGICAL = _compile(SURGICAL_TERMS)
_NON_SURGICAL = _compile(NON_SURGICAL_TERMS)
_BBL_LASER = _compile(BBL_LASER_CONTEXT)
_BBL = _compile((r"bbl",))
# "OR" (operating room) only counts when written in capitals among other words, so that
# "Botox or Filler" is not surgery.
_OPERATING_ROOM = re.compile(r"(?<![A-Za-z])OR(?![A-Za-z])")


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split())


def _surgical(text: str, raw: str) -> bool:
    found = _SURGICAL.search(text) is not None
    if found and _BBL.search(text) and _BBL_LASER.search(text):
        found = _SURGICAL.search(_BBL.sub(" ", text)) is not None
    if not found and not raw.isupper() and _OPERATING_ROOM.search(raw):
        found = True
    return found


def category_suggest(*, type_name: str, purpose_name: str | None = None,
                     surgical_practice: bool = True) -> Category | None:
    """The category the names point to, or None when they say nothing clear.

    The purpose refines the type: "Consultation" with purpose "Botox" is a non-surgical
    consult. A plain consult is surgical at a plastic-surgery practice and non-surgical at
    a med spa (`surgical_practice=False`).
    """
    raw = f"{type_name} {purpose_name or ''}"
    text = _normalise(raw)
    if _BLOCK.search(text):
        return Category.BLOCK
    if _PRE_OP.search(text):
        return Category.PRE_OP
    if _POST_OP.search(text):
        return Category.POST_OP
    if _ONLINE.search(text):
        return Category.ONLINE
    surgical = _surgical(text, raw)
    non_surgical = _NON_SURGICAL.search(text) is not None
    if _CONSULT.search(text):
        if surgical:
            return Category.SURGICAL_CONSULT
        if non_surgical or not surgical_practice:
            return Category.NON_SURGICAL_CONSULT
        return Category.SURGICAL_CONSULT
    if surgical:
        return Category.SURGICAL_APPOINTMENT
    if non_surgical:
        return Category.NON_SURGICAL_APPOINTMENT
    return None
