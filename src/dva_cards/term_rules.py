"""Is this a term? The classifier's rules and the reasons it gives when something is not. Pure.

Each rule reads plain text (markdown already stripped) and answers with a reason code, or None when the
text passes. The word lists are about *how people write notes* (labels, function words, pointers), never
about a topic: the same rules must hold for notes on any subject.

Limits come from the labelled notes in tests/corpus: a term is a name, an abbreviation, a command or a
short concept, and labelled fronts are at most a handful of words (parenthesised expansions aside).
"""

from __future__ import annotations

import re
import unicodedata


def word_list(text: str) -> list[str]:
    """The whitespace-separated words of a word-list literal."""
    return text.split()


# -- reason codes (the text shown by `--explain`) ---------------------------------------------------------

EMPTY_DEFINITION = "empty definition"
LABEL = "label, not a term"
BOLD_IN_SENTENCE = "bold inside a sentence"
BOLD_SENTENCE = "whole sentence in bold"
SENTENCE = "sentence, not a term"
QUESTION = "question, not a term"
STEP = "step or instruction, not a term"
POINTS_ELSEWHERE = "back only points elsewhere"
LEAD_IN = "introduces a list, not a term"
VALUE = "a value, not an explanation"
NAME_LIST = "a list of names, not an explanation"
ADVICE = "advice, not an explanation"
ASSIGNMENT = "a variable being set, not a term"
ASIDE = "under a heading of tips, examples or issues"
NOT_TERM_TABLE = "table pairs descriptions with names, not terms with meanings"


def too_long(words: int) -> str:
    return f"term too long to be a term ({words} words)"


# Longest front (in words, parentheses not counted) that is still a term: marked by the writer, and plain.
MAX_TERM_WORDS = 8
MAX_PLAIN_TERM_WORDS = 6
# A CJK term has no spaces: this many ideographs count as one word.
_CJK_CHARS_PER_WORD = 2

# Labels open notes, tips and examples in the languages of the notes seen so far; matched casefolded,
# with trailing punctuation removed.
_LABELS = frozenset(
    [
        *word_list("note notes nb n.b tip tips hint hints example examples e.g eg i.e ie important remember"),
        *word_list("warning caution attention reminder summary tl;dr tldr pros cons advantages"),
        *word_list("disadvantages benefits drawbacks"),
        "exam tip",
        "exam tips",
        "key point",
        "key points",
        "use case",
        "use cases",
        "see also",
        "for example",
        "for instance",
        "pro tip",
        "format",
        "use when",
        "when to use",
        "syntax",
        "usage",
        *word_list("nota notas ejemplo ejemplos ej importante consejo consejos recuerda ojo resumen"),
        *word_list("pregunta respuesta observación observacion aviso ventajas desventajas"),
        "por ejemplo",
        "ver también",
        *word_list(
            "remarque remarques exemple exemples astuce astuces rappel résumé avantages inconvénients"
        ),
        "par exemple",
        "à retenir",
        "voir aussi",
        *word_list("hinweis beispiel beispiele tipp wichtig merke zusammenfassung"),
        "zum beispiel",
        *word_list("not notlar örnek örnekler önemli dikkat ipucu özet"),
        *word_list("注意 例如 比如 举例 示例 例子 提示 重要 总结 备注 例 小结 优点 缺点 注"),
    ]
)

# One of these before a label keeps it a label (`Quick tip`, `Important note`); some words are labels only
# so qualified (`Core goal`, `Key takeaway`), since alone they may name a thing.
_LABEL_QUALIFIERS = frozenset(word_list("key main core quick important final general short big"))
_QUALIFIED_LABELS = frozenset(
    word_list("goal goals idea ideas takeaway takeaways point points message lesson")
)

# Words that make a run of words a clause rather than a name: copulas, auxiliaries, pronouns opening a
# sentence. A term may contain none of them.
CLAUSE_WORDS = frozenset(
    [
        *word_list("is are was were be been being am isn't aren't wasn't weren't"),
        *word_list("can can't cannot could will won't would should shouldn't must may might shall"),
        *word_list("do does did don't doesn't didn't has have had hasn't haven't"),
        *word_list("it it's this these those they we you i he she there here that's there's"),
        *word_list("what whatever whoever"),  # `Focus on what matters`: a relative clause
        # (not Spanish `hay`, "there is": it is also an English word, as in `hay fever`)
        *word_list("es son está están era fue puede pueden debe deben"),
        *word_list("est sont était peut peuvent doit doivent"),
        *word_list("ist sind war kann können muss"),
    ]
)
# Last words of a line that leads into a list (`purchase options include:`, `such as:`) rather than naming.
_LEAD_IN_ENDINGS = frozenset(
    word_list(
        "include includes including like as following follows e.g eg i.e ie supports provides contains offers "
        "allows has have with for to of by via from when if because where which that then and or against "
        "incluye incluyen como con para de comme avec pour de des"
    )
)
# First words of a plain phrase that make it a statement or a list, not a name.
_SENTENCE_OPENERS = frozenset(
    word_list(
        "every all another each some any no only if when most many both either neither other such using "
        # connectives and comparatives open a clause (`Otherwise: ...`, `More instances = higher cost`)
        "otherwise else therefore thus hence however more less fewer higher lower larger smaller "
        "否则 因此 所以 但是 然后 如果 "
        "todos todas cada algunos si cuando tous toutes chaque si quand"
    )
)
# Words that make the text a question when it opens with them.
_QUESTION_WORDS = frozenset(
    word_list(
        "how why what when where which who whom whose cómo qué cuándo dónde comment pourquoi "
        "quand quel quelle wie warum was wann wo"
    )
)
# Openers of steps and instructions.
_STEP_OPENERS = re.compile(
    r"(?:step|paso|étape|etape|schritt|adım|adim)\s*\d+\b|第\s*\d+\s*步|\d+(?:\.\d+)*[.)]\s",
    re.IGNORECASE,
)
# Backs that send the reader elsewhere instead of answering.
_POINTERS = re.compile(
    r"(?:same(?: as)?(?: the)? (?:previous|above|before|below|last)|see (?:above|below|previous|next)"
    r"|as above|as before|ditto|idem|ibid\.?|tbd|todo|\.\.\.|…|ver arriba|ver abajo|igual que (?:el )?anterior"
    r"|the rest|everything else|all (?:the )?others|el resto|le reste"
    r"|voir ci-dessus|voir ci-dessous|comme ci-dessus|同上|见上|见下|同前)[.!]?",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。！？](?:[\"')\]]*)$")
_INNER_SENTENCE_BREAK = re.compile(r"[.!?。！？;；]\s+\S|[。！？；]")
_PARENTHESISED = re.compile(r"\([^()]*\)|（[^（）]*）")
# Abbreviations that end in a dot without ending a sentence.
_DOTTED_ABBREVIATION = re.compile(
    r"(?:\b[A-Za-z]\.){2,}$|\b(?:etc|vs|inc|ltd|approx|no|nr|e\.g|i\.e)\.$", re.I
)


def is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") and unicodedata.category(char).startswith("L")


def word_count(term: str) -> int:
    """Words in a term, parenthesised parts left out; runs of CJK ideographs count per two characters."""
    if term.isascii():  # no ideographs: every token is one word (the usual case, spared a test per char)
        return len(_PARENTHESISED.sub(" ", term).split())
    words = 0
    for token in _PARENTHESISED.sub(" ", term).split():
        cjk = sum(1 for char in token if is_cjk(char))
        if cjk:
            words += -(-cjk // _CJK_CHARS_PER_WORD) + (1 if len(token) > cjk and not token.isascii() else 0)
        else:
            words += 1
    return words


def _folded_words(text: str) -> list[str]:
    return [word.strip(".,;:!?()[]{}\"'`*_") for word in text.casefold().split()]


_LABEL_NUMBER = re.compile(r"\s*#?\d+$")


def is_label(term: str) -> bool:
    """`Note`, `Exam tip`, `e.g.` and their kin: words that introduce a remark instead of naming a thing."""
    folded = " ".join(term.casefold().replace("：", ":").split()).rstrip(" :.-–—!")
    if folded in _LABELS:
        return True
    qualifier, _, rest = folded.partition(" ")
    if qualifier in _LABEL_QUALIFIERS and (rest in _LABELS or rest in _QUALIFIED_LABELS):
        return True  # `Quick tip`, `Core Goal`, `Key takeaway`
    # "Note 2", "Tip #3", "注意事项" style variants: a label followed by a number.
    head = _LABEL_NUMBER.sub("", folded)
    return head != folded and head in _LABELS


def term_rejection(term: str, *, marked: str = "") -> str | None:
    """Why `term` (plain text) cannot be a card's front, or None if it can.

    `marked` is the markup kind the writer put around the term ("strong", "em", "code", "link", or "" for
    plain text): a whole sentence in bold gets its own reason.
    """
    text = " ".join(term.split())
    if not text:
        return EMPTY_DEFINITION
    if is_label(text):
        return LABEL
    if marked == "code":
        return None  # commands, flags and values: the writer marked them as literal names
    words = _folded_words(_PARENTHESISED.sub(" ", text))
    if words and words[0] in _QUESTION_WORDS or text.endswith(("?", "？")):
        return QUESTION
    if _STEP_OPENERS.match(text):
        return STEP
    sentence = _looks_like_sentence(text, words)
    if sentence:
        return BOLD_SENTENCE if marked == "strong" else SENTENCE
    if not marked and ends_in_lead_in(words):
        return LEAD_IN
    if not marked and words and (words[0] in _SENTENCE_OPENERS or "," in text):
        return SENTENCE
    count = word_count(text)
    if count > (MAX_TERM_WORDS if marked else MAX_PLAIN_TERM_WORDS):
        return too_long(count)
    if not marked and _article_inside(words):
        return SENTENCE
    return None


# `Owning the equipment limits the agility`: inside a name an article follows a preposition (`Software as
# a Service`, `Man in the middle`); after any other word it opens the object of a verb, so the phrase is a
# clause. Names of three words or fewer are left alone.
_ARTICLES_INSIDE = frozenset(word_list("the a an"))
_PREPOSITIONS = frozenset(
    word_list("of in on at to as for with by from into onto over under per via about between through across")
)
_MIN_CLAUSE_WORDS = 4


def _article_inside(words: list[str]) -> bool:
    return len(words) >= _MIN_CLAUSE_WORDS and any(
        word in _ARTICLES_INSIDE and words[index - 1] not in _PREPOSITIONS
        for index, word in enumerate(words[1:], start=1)
    )


# `Something you know`, `Things we own`: an indefinite pronoun and a clause reduced to its subject and verb
# name a category; the pronoun after it is not the subject of a sentence.
_INDEFINITES = frozenset(word_list("something someone somebody anything anyone things"))
_SUBJECT_PRONOUNS = frozenset(word_list("you we they i"))
_MAX_RELATIVE_WORDS = 4


def _indefinite_with_relative(words: list[str]) -> bool:
    return (
        len(words) <= _MAX_RELATIVE_WORDS
        and len(words) >= 3
        and words[0] in _INDEFINITES
        and words[1] in _SUBJECT_PRONOUNS
    )


def ends_in_lead_in(words: list[str]) -> bool:
    """`purchase options include`, `Driven by`: the words lead into what follows instead of naming."""
    return bool(words) and words[-1] in _LEAD_IN_ENDINGS


def _looks_like_sentence(text: str, words: list[str]) -> bool:
    if any(word in CLAUSE_WORDS for word in words) and not _indefinite_with_relative(words):
        return True
    if _SENTENCE_END.search(text) and not _DOTTED_ABBREVIATION.search(text):
        return len(words) > 1
    return bool(_INNER_SENTENCE_BREAK.search(text))


def back_rejection(back: str, *, lists_answer: bool = False, marked: bool = False) -> str | None:
    """Why `back` (markdown) does not answer anything, or None if it does.

    `lists_answer`: the back is a table cell under a meaning header, where a list of names is the answer.
    `marked`: the writer marked the term (bold, code...), which makes a measured property (`*Memory* - 128
    MB to 10 GB`) a card they asked for; only an unmarked `Broadcast address: 10.0.0.255` is a bare value.
    """
    stripped = back.strip().strip("*_").strip()
    if not stripped:
        return EMPTY_DEFINITION
    if _POINTERS.fullmatch(stripped) or _ONLY_LINKS.fullmatch(stripped):
        return POINTS_ELSEWHERE
    if _is_value(stripped, numbers=not marked) or not marked and _is_bare_token(stripped):
        return VALUE
    if not lists_answer and _is_name_list(stripped):
        return NAME_LIST
    if _says_nothing(stripped):
        return EMPTY_DEFINITION
    return None


# `service-name.namespace.svc.cluster.local`, `/var/log/syslog`: one dotted or slashed token is a value.
_BARE_TOKEN = re.compile(r"[\w-]+(?:[./][\w-]+)+/?")


def _is_bare_token(back: str) -> bool:
    return bool(_BARE_TOKEN.fullmatch(back.strip("`")))


def _says_nothing(back: str) -> bool:
    """`You might.`: only pronouns and auxiliaries, nothing a learner could recall."""
    words = _folded_words(back)
    return bool(words) and all(word in CLAUSE_WORDS for word in words)


def is_reference(front: str, back: str) -> bool:
    """`Cracking The Coding Interview - Gayle Laakmann McDowell`: a title and its author, not a definition.

    Both sides are capitalised word by word: a title, then a name with no verb or explanation.
    """
    words = back.rstrip(".").replace("&", " ").split()
    titled = all(word[:1].isupper() or word.isdigit() for word in front.split())
    return (
        titled
        and len(front.split()) >= 2
        and _MIN_NAME_WORDS <= len(words) <= _MAX_NAME_WORDS
        and all(
            word[:1].isupper() and word[1:].replace("-", "").isalpha() and not word.isupper()
            for word in words
        )
    )


# A person's full name, or two of them: `Upload Version` (two words) is a step's name, not an author.
_MIN_NAME_WORDS = 3
_MAX_NAME_WORDS = 6


_LIST_SPLIT = re.compile(r"\s*(?:,|、|，|;|\bor\b|\band\b|\bvs\.?|\bo\b|\by\b|\bou\b|\bet\b)\s*")
# Whether `_LIST_SPLIT` can split at all: a quicker search, since most backs are sentences without a list.
_LIST_SEPARATOR = re.compile(r",|、|，|;|\bor\b|\band\b|\bvs|\bo\b|\by\b|\bou\b|\bet\b")
_MAX_LISTED_WORDS = 3
_MIN_LOWER_LISTED = 3


def _is_name_list(back: str) -> bool:
    """`Blob, Queue, Table, File` or `Premium vs. Standard`: instances named, nothing explained."""
    if "\n" in back or "`" in back:
        return False
    text = back.rstrip(" .…").removesuffix("etc").rstrip(" ,.…")
    if not _LIST_SEPARATOR.search(text):
        return False  # one part: no list
    parts = [part for part in _LIST_SPLIT.split(text) if part]
    if len(parts) < 2:
        return False
    if all(part.isalpha() and part.islower() for part in parts):
        # `tcp, udp, or icmp`: lowercase single words count from three on (`region or zonal` may be a
        # choice explained, `you make and maintain them` is a clause).
        return len(parts) >= _MIN_LOWER_LISTED
    return all(
        len(part.split()) <= _MAX_LISTED_WORDS and not part[:1].islower() and not any(map(is_cjk, part))
        for part in parts
    )


def says_see_elsewhere(back: str) -> bool:
    """`same as previous`, `see above`: words that send the reader elsewhere."""
    return bool(_POINTERS.fullmatch(back.strip().strip("*_").strip()))


# Backs made only of links: a reference, not an answer.
_ONLY_LINKS = re.compile(
    r"(?:(?:see|ver|voir|siehe|参见|见)(?: also)?:?\s*)?"
    r"(?:(?:\[[^\]]*\]\([^)]*\)|<?https?://\S+?>?)[\s,、;；/|&]*)+",
    re.IGNORECASE,
)
_YES_NO = frozenset(
    word_list("yes no true false none n/a sí si oui non ja nein evet hayır 是 否 有 无 对 错")
)


_CODE_VALUE = re.compile(r"`+\s*(?:[OΩΘoΘθω]\(.*\)|[\d.,:/%-]+\s*\w{0,6}|yes|no|true|false)\s*`+[.;,]?", re.I)


def _is_value(back: str, *, numbers: bool) -> bool:
    """A measurement, a bound or a yes/no (`` `O(n)` ``, `30 days`, `10.0.0.1`, `No`): facts, not meanings."""
    if _CODE_VALUE.fullmatch(back):
        return True
    words = back.rstrip(".").split()
    if len(words) == 1 and words[0].casefold().strip("`*_") in _YES_NO:
        return True
    # `30 days`, `10.16.16.1 - VPC Router`, `4 days, maximum of 14 days`: the answer opens with a number.
    return numbers and 0 < len(words) <= _MAX_VALUE_WORDS and bool(_NUMBER.fullmatch(words[0].strip("`*_,;")))


_MAX_VALUE_WORDS = 7
_NUMBER = re.compile(r"[~<>≤≥]?\$?\d[\d.,:/%x-]*\w{0,3}")


# Header cells that name the sides of a term | definition table (casefolded, punctuation trimmed).
_TERM_HEADERS = frozenset(
    word_list("""term terms name names concept concepts keyword keywords word words abbreviation abbreviations acronym
    acronyms command commands option options flag flags parameter parameters key keys field fields setting
    settings property properties port ports code codes status type types resource resources component
    components feature features verb verbs operator operators method
    methods function functions tool tools element elements attribute attributes variable variables
    término términos nombre concepto comando opción palabra abreviatura
    terme termes nom concept commande mot abréviation
    begriff befehl name
    terim komut kavram
    术语 名称 名词 概念 命令 关键字 缩写 字段 参数 状态码 选项""")
)
_MEANING_HEADERS = frozenset(
    word_list("""definition definitions description descriptions meaning meanings explanation explanations purpose
    use usage role function details detail info summary shortcut shortcuts alias aliases abbreviation
    descripción definición significado explicación uso función
    définition description signification explication rôle utilisation
    bedeutung beschreibung erklärung
    açıklama anlamı tanım
    定义 描述 说明 含义 解释 意义 作用 用途 功能 意思""")
)


_MEANING_HEADER_PHRASES = frozenset({"what it does", "what it is", "used for", "what it means", "stands for"})


# Second columns that hold values, not meanings: such tables are settings or inventories.
_VALUE_HEADERS = frozenset(
    word_list("version versions value values default defaults count size price cost limit")
)


def _header_key(cell: str) -> str:
    return " ".join(cell.casefold().strip(" :*_`.").split())


def is_definition_table(header: list[str]) -> bool:
    """A table whose header names a term side or a meaning side in its first two columns.

    Two columns are enough when either header names its side; with more columns (`Type | Description |
    Example`) the second header must name a meaning.
    """
    if len(header) < 2:
        return False
    first, second = (_header_key(cell) for cell in header[:2])
    if second in _VALUE_HEADERS:
        return False
    if len(header) > 2:
        return second in _MEANING_HEADERS or second in _MEANING_HEADER_PHRASES
    return (
        first in _TERM_HEADERS
        or second in _MEANING_HEADERS
        or second in _MEANING_HEADER_PHRASES
        or any(word in _MEANING_HEADERS for word in second.split())
        or any(word in _TERM_HEADERS for word in first.split())
    )


# Headings that announce advice, examples or troubleshooting rather than vocabulary: items under them read
# like definitions (`**Security**` + sub-bullets) but hold recommendations or instances. A heading is such
# an aside when it opens with one of the first words (`Best Practices`, `Example of ...`) or ends with one
# of the last words (`Debugging Tips`, `Common Issues`, `Real-world Example`); `Limits and Best Practices`
# is not one, nor is `Common Abbreviations` (`common` alone says nothing about what follows).
_ASIDE_FIRST_WORDS = frozenset(
    word_list("""example examples tip tips best troubleshooting debugging exercise exercises question questions
    problems pitfalls scenario scenarios recommendations quiz ejemplo ejemplos consejos ejercicios preguntas
    exemple exemples conseils exercices 示例 例子 练习 技巧 örnek örnekler""")
)
_ASIDE_LAST_WORDS = frozenset(
    word_list(
        "tips example examples issues problems errors pitfalls mistakes solutions exercises questions troubleshooting"
    )
)


_WORD = re.compile(r"\w+")


def is_aside_heading(title: str) -> bool:
    words = [word for word in _WORD.findall(title.casefold()) if not word.isdigit()]
    return bool(words) and (words[0] in _ASIDE_FIRST_WORDS or words[-1] in _ASIDE_LAST_WORDS)


def is_description_table(header: list[str], rows: list[list[str]]) -> bool:
    """Rows whose first cell is longer than the second read `need -> name`, the reverse of a glossary.

    A second header that names a meaning (`Shortcut`, `Description`) settles the question the other way.
    """
    if len(header) >= 2 and _header_key(header[1]) in _MEANING_HEADERS:
        return False
    pairs = [row for row in rows if len(row) == 2]
    if not pairs:
        return False
    first = sum(word_count(row[0]) for row in pairs)
    second = sum(word_count(row[1]) for row in pairs)
    return first > second


# Capitalised imperatives that open advice (`Choose a region close to users`, `→ Use the cold tier`).
_ADVICE = re.compile(
    r"(?:Use|Choose|Ensure|Check|Consider|Avoid|Prefer|Always|Never|Don't|Do not|Make sure|Remember to"
    r"|Usa|Utiliza|Elige|Evita|Utilisez|Choisissez|Évitez|Verwende|Nutze)\b"
)


# `must use a Customer Gateway`: an obligation about the front, not what the front is.
_OBLIGATION = re.compile(r"(?:must|should|shall|need to|needs to|has to|have to|debe|doit|muss)\b", re.I)


def is_advice(back: str, *, marked: bool = False) -> bool:
    """An imperative, or for a plain term an obligation (a marked term's `must implement...` is its spec)."""
    text = back.lstrip("*_ ")
    return bool(_ADVICE.match(text) or not marked and _OBLIGATION.match(text))
