"""The concept types of the silver corpus: WordNet 3.1 subtrees named as entity types, and the other tables
the matching rules read (``COMPATIBLE``, ``RIVALS``, ``TITLES``): data, not code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """A concept type: its name in the corpus, its root synsets as ``(offset, one of its lemmas)`` and the
    roots of subtrees left out (``exclude``: humans are not labelled "mammal")."""

    name: str
    roots: tuple[tuple[int, str], ...]
    exclude: tuple[tuple[int, str], ...] = ()


def _c(name: str, *roots: tuple[int, str], exclude: tuple[tuple[int, str], ...] = ()) -> Category:
    return Category(name, roots, exclude)


# The concept types, by WordNet 3.1 offsets of data.noun (the lemma guards against another WordNet version).
# Their names differ from the instance types' and spaCy's (bar "language" and "time of day", which mean the
# same there): "writer" types named people such as Shakespeare, so the common noun "novelist" is an
# "occupation"; spaCy's FAC is also called "building" and "facility", so "hotel" is a "building type".
CATEGORIES: tuple[Category, ...] = (
    _c("disease", (14085287, "illness")),
    _c("mental disorder", (14107272, "mental disorder")),
    _c("symptom", (14323139, "symptom")),
    _c("injury", (14309164, "injury")),
    _c("musical instrument", (3806455, "musical instrument")),
    _c("chemical element", (14647071, "chemical element")),
    _c("food", (7571428, "food"), (21445, "food")),
    _c("fruit", (7721676, "edible fruit")),
    _c("vegetable", (7723196, "vegetable")),
    _c("beverage", (7897775, "beverage")),
    _c("alcoholic beverage", (7900542, "alcohol")),
    _c("dish", (7572999, "dish")),
    _c("meal", (7589261, "meal")),
    _c("dairy product", (7859751, "dairy product")),
    _c("baked goods", (7637670, "baked goods")),
    _c("condiment", (7826883, "condiment")),
    _c("dessert", (7625449, "dessert")),
    _c("cheese", (7866305, "cheese")),
    _c("bread", (7695101, "bread")),
    _c("meat", (7665463, "meat")),
    _c("sport", (524569, "sport")),
    _c("game", (456623, "game")),
    _c("language", (6916947, "natural language")),
    _c("currency", (13625961, "monetary unit"), (13407086, "currency")),
    _c("animal", (15568, "animal"), exclude=((2313712, "larva"), (1461483, "embryo"), (1324070, "young"),
                                             (2474393, "hominid"))),
    _c("mammal", (1864419, "mammal"), exclude=((2474393, "hominid"),)),
    _c("bird", (1505702, "bird")),
    _c("fish", (2514684, "fish")),
    _c("insect", (2162607, "insect")),
    _c("reptile", (1663732, "reptile")),
    _c("vehicle", (4531608, "vehicle"), (3105141, "conveyance")),
    _c("aircraft", (2689427, "aircraft")),
    _c("ship", (4537861, "vessel")),
    _c("weapon", (4572661, "weapon")),
    _c("drug", (3252323, "drug")),
    _c("color", (4966849, "chromatic color"), (4967256, "achromatic color")),
    _c("emotion", (7495208, "emotion")),
    _c("body part", (5227735, "body part")),
    _c("bone", (5277400, "bone")),
    _c("organ", (5305022, "organ")),
    _c("muscle", (5296796, "muscle")),
    _c("body fluid", (5404811, "body fluid")),
    _c("plant", (17402, "plant")),
    _c("tree", (13124818, "tree")),
    _c("flower", (11690372, "flower")),
    _c("fungus", (13013628, "fungus")),
    _c("bacteria", (1351171, "bacteria")),
    _c("virus", (1331343, "virus")),
    _c("clothing", (3055525, "clothing")),
    _c("headgear", (3507653, "headdress")),
    _c("furniture", (3410635, "furniture")),
    _c("building type", (2916498, "building")),
    _c("housing", (3551520, "housing")),
    _c("facility type", (3319968, "facility")),
    _c("medical facility", (3745009, "medical building"), (8070657, "medical institution")),
    _c("workplace", (4609402, "workplace")),
    _c("road", (4103160, "road")),
    _c("room", (4112987, "room")),
    _c("tool", (4459089, "tool")),
    _c("kitchen utensil", (3626258, "kitchen utensil")),
    _c("container", (3099154, "container")),
    _c("electronic device", (3283159, "electronic equipment"), (3086983, "computer"), (4067759, "receiver"),
       exclude=((6370600, "website"),)),  # WordNet files a website under "computer"
    _c("measuring instrument", (3739416, "measuring instrument")),
    _c("machine", (3705309, "machine"), exclude=((6370600, "website"),)),
    _c("sports equipment", (4292284, "sports equipment")),
    _c("jewelry", (3602662, "jewelry")),
    _c("toy", (3971038, "plaything")),
    _c("home appliance", (3533443, "home appliance")),
    _c("mineral", (14686753, "mineral")),
    _c("gemstone", (14723913, "gemstone")),
    _c("fabric", (3314753, "fabric")),
    _c("fuel", (14899228, "fuel")),
    _c("chemical compound", (14842408, "compound")),
    _c("protein", (14752903, "protein")),
    _c("hormone", (5414462, "hormone")),
    _c("vitamin", (15113825, "vitamin")),
    _c("dance", (429255, "dance")),
    _c("unit of measurement", (13604927, "unit of measurement")),
    _c("time unit", (15179734, "time unit")),
    _c("month", (15234209, "calendar month")),
    _c("day of the week", (15188204, "weekday")),
    _c("holiday", (15208263, "holiday")),
    _c("religion", (5955536, "religion")),
    _c("academic discipline", (6005806, "discipline"), exclude=((6167042, "performing arts"),)),  # "acting"
    _c("doctrine", (5952149, "doctrine")),
    _c("crime", (767761, "crime"), (220890, "homicide")),
    _c("document", (6481744, "document")),
    _c("musical composition", (7051211, "musical composition")),
    _c("literary work", (6375736, "literary composition")),
    _c("social event", (7303344, "social event")),
    _c("show", (6631572, "show")),
    _c("artwork", (2746552, "art")),
    _c("journey", (296527, "travel")),
    _c("music genre", (7085982, "music genre")),
    _c("geological formation", (9310874, "geological formation")),
    _c("body of water", (9248053, "body of water")),
    _c("celestial body", (9262646, "celestial body")),
    _c("weather phenomenon", (11445694, "atmospheric phenomenon")),
    _c("medical procedure", (1026334, "medical procedure")),
    _c("tax", (13330021, "tax")),
    _c("payment", (13302298, "regular payment")),
    _c("season", (15261272, "season")),
    _c("time of day", (15253174, "time of day")),
    # people by what they do; the finer types first take their part of the tree (the most specific wins)
    _c("occupation", (9655706, "worker"), (10499838, "professional"), (10580065, "scientist"),
       (10813654, "writer"), (9839665, "athlete"), (10539087, "religious leader"),
       (9528285, "spiritual leader"),
       (9637345, "creator"), (9633690, "communicator")),
    _c("performer", (10435383, "performer"), (9639952, "entertainer"), (10360025, "musician"),
       (10359679, "musician")),
    _c("military officer", (10336665, "military officer")),
    _c("police officer", (10269156, "lawman")),
    _c("health professional", (10184702, "health professional")),
    _c("teacher", (10065521, "educator")),
    _c("businessperson", (9902168, "businessperson")),
    _c("government official", (10392072, "official"), (9789895, "executive"), (9790372, "administrator"),
       (10184340, "head of state"), (10488931, "presiding officer")),
    _c("aristocrat", (9827177, "aristocrat")),
    _c("military unit", (8215338, "military unit")),
    _c("law enforcement agency", (8365742, "law enforcement agency")),
    _c("family member", (10255246, "relative")),
    _c("offender", (9657157, "wrongdoer")),  # "criminal" is an instance type
    _c("traveler", (9652940, "traveler")),
    _c("facial expression", (6890128, "facial expression")),
    _c("geometric shape", (13885789, "plane figure")),
)


# spaCy (OntoNotes) label -> lexicographer files of the synsets a span with that label can be (a WordNet match
# on exactly a spaCy entity's span must fit it: "Paris" as GPE is the city, not the Trojan prince)
COMPATIBLE = {
    "PERSON": {"noun.person"},
    "NORP": {"noun.group", "noun.cognition"},
    "FAC": {"noun.artifact", "noun.location"},
    "ORG": {"noun.group", "noun.artifact"},
    "GPE": {"noun.location"},
    "LOC": {"noun.location", "noun.object"},
    "PRODUCT": {"noun.artifact", "noun.substance", "noun.food"},
    "EVENT": {"noun.act", "noun.event", "noun.time"},
    "WORK_OF_ART": {"noun.communication", "noun.artifact"},
    "LAW": {"noun.communication", "noun.act"},
    "LANGUAGE": {"noun.communication"},
    "DATE": {"noun.time"},
    "TIME": {"noun.time"},
    "MONEY": {"noun.quantity", "noun.possession"},
    "QUANTITY": {"noun.quantity"},
}
RIVALS = 3  # a reading with at least 1/RIVALS of the best one's pointer count is a plausible rival

# first words of a full name that are titles, not given names ("King John" does not make "John" a surname)
TITLES = frozenset({
    "king", "queen", "saint", "st", "pope", "emperor", "empress", "prince", "princess", "lord", "lady",
    "sir", "dame", "mr", "mrs", "ms", "dr", "president", "general", "czar", "tsar", "tzar", "sultan", "shah",
    "caliph", "pharaoh", "duke", "duchess", "baron", "count", "earl", "cardinal", "bishop", "archbishop",
    "father", "brother", "sister", "mother", "uncle", "aunt", "san", "santa", "the", "virgin", "blessed"})
