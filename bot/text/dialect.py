"""Everyday dialect words folded into one Modern Standard Arabic form.

People ask in their own dialect: "بدي" (Levantine), "ابغى" (Gulf), "عايز" (Egyptian) and
"بغيت" (Maghrebi) all mean "اريد". Knowledge is mostly written in one or two of them, so the
words that carry a question's intent (want, what, why, where, how, how much, when, now,
money, card, phone, ATM, "my", "so that") meet in their standard form on both sides.
Content words stay as they are: the character n-grams and the sentence encoder cover the
rest. Keys and values are in normalized spelling (see normalize.py: ا for every alef, ه for
taa marbuta, ي for alef maqsura, ك for gaf).
"""

from __future__ import annotations

_GROUPS = {
    "اريد": "بدي بدك ابغي ابغا ابي نبغي نبي بغيت عايز عاوز عايزه عاوزه حاب",
    "ماذا": "شو شنو شنهو ايش وش اشنو",
    "لماذا": "ليش ليه علاش لاش",
    "اين": "وين فين فاين",
    "كيف": "كيفاش شلون اشلون ازاي كيفش",
    "كم": "قديش قداش شحال كام",
    "متى": "امتي ايمتي وقتاش امتا",
    "الان": "هلق دحين الحين دلوقتي دابا توا",
    "هل": "واش",
    "اموال": "فلوس مصاري",
    "الاموال": "الفلوس المصاري",
    "اموالي": "فلوسي مصاريي",
    "البطاقه": "الكرت الكارت الكارط لاكارط لاكارت الكارطه",
    "بطاقتي": "كرتي كارتي",
    "الهاتف": "الجوال الموبايل التيليفون التلفون التليفون",
    "هاتفي": "جوالي موبايلي تيليفوني تلفوني تليفوني",
    "الصراف": "الكيشي لاكيشي الكيشه",
    "لي": "ليا",
    "خاصتي": "تبعي تاعي ديالي حقي حقتي بتاعي",
    "لكي": "عشان علشان مشان باش",
}
# A normalized dialect word -> its standard form.
DIALECT_WORDS = {word: standard for standard, words in _GROUPS.items() for word in words.split()}


def standard_word(word: str) -> str:
    """The standard form of a normalized word, also after the conjunction و ("and")."""
    standard = DIALECT_WORDS.get(word)
    if standard is not None:
        return standard
    if word.startswith("و") and word[1:] in DIALECT_WORDS:
        return "و" + DIALECT_WORDS[word[1:]]
    return word
