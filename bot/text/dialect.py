"""Everyday dialect words folded into one Modern Standard Arabic form.

People ask in their own dialect: "بدي" (Levantine), "ابغى" (Gulf), "عايز" (Egyptian) and
"بغيت" (Maghrebi) all mean "اريد". Knowledge is mostly written in one or two of them, so
the words that carry a question's intent meet in their standard form on both sides:
question words, time words, wanting, needing, being able, doing, waiting, negation,
"this", "there is", "mine", the pronouns, what happens to a card or to money (works,
stolen, lost, declined, deducted, withdrawn, blocked, sent, topped up, ordered, cancelled,
stopped, added, taken, bought, shown, gone through, expired), living somewhere, and the
everyday names of money, fees, balance, card, account, transfer, code, wallet, shop,
phone, app, ATM, card terminal, limit, salary and refund (French loanwords in the Maghreb,
English ones in the Gulf and Egypt). Other words stay as they are: the character n-grams
and the sentence encoder cover them. A word is listed only where its dialect meaning is
the usual one; a word with a common standard meaning of its own ("ايه" is "what" in Cairo
and "yes" in Damascus, "ماشي" is "not" in Rabat and "fine" in Jerusalem) stays. Keys and
values are in normalized spelling (see normalize.py: ا for every alef, ه for taa marbuta,
ي for alef maqsura, ك for gaf).

Egyptian and Maghrebi negation wraps the verb: "ماوصلتش" (it did not arrive), "مبيشتغلش"
(it does not work), "ما وصلتنيش"; such a word becomes "لا" and its verb, so it meets "لا
تعمل", "لم تصل" and "مش شغال" on the negation at least.

Dialect verbs carry prefixes a standard verb does not ("كيقطع", "هيوصل", "نبدل" for "I
change" in the Maghreb, "اتقفلت"), and any word may carry clitics the knowledge base never
saw on it ("والعمليه"): readings() lists what such a form may stand for, and the matcher
keeps the first reading its knowledge base knows (see vocabulary.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_GROUPS = {
    # question words
    "ماذا": "شو شنو شنهو شنهي شنوه ايش اش اشنو اشني شني وش ويش وشو",
    "لماذا": "ليش ليه علاش لاش علاه",
    "اين": "وين فين فاين وينه فينه",
    "كيف": "كيفاش كفاش كيفش شلون اشلون ازاي",
    "كم": "قديش قداش قداه شحال كام",
    "بكم": "بقديش بقداش بشحال بكام",
    "متي": "امتي ايمتي امتا ايمتا وقتاش فوقاش",
    "اي": "شمن اشمن انهي انهو",
    "هل": "واش",
    "من": "مين منو شكون",
    # when: now, still, yesterday, today, tomorrow, always
    "الان": "هلق هلا دحين الحين دلوقتي دلوقت دابا توا دروك",
    "مازال": "لسا لسه لساتها باقا للحين",
    "امس": "البارح امبارح مبارح",
    "اليوم": "النهارده الليوم",
    "غدا": "بكره بكرا غدوه",
    "دايما": "ديما",
    "الاسبوع": "السيمانه",
    "اسبوع": "سيمانه",
    "بالفعل": "ديجا",
    # wanting, needing, being able, doing, waiting
    "اريد": "بدي بدك ابغي ابغا ابي ابا نبغي نبي بغيت كنبغي كانبغي باغي باغيه عايز عاوز "
            "عايزه عاوزه حاب حابب حابه",
    "نريد": "بدنا بغينا عايزين عاوزين حابين",
    "يريد": "بده بدو يبي يبغي",
    "تريد": "بدها تبي تبغي",
    "احتاج": "خصني خاصني لازمني محتاج",
    "يمكنني": "بقدر اقدر نقدر اكدر نكدر بقدرش",
    "افعل": "اسوي نسوي ندير نديرو ناكتيفي نكتيفي",  # also "activate" (افعّل)
    "قمت": "درت",
    "انتظر": "كنتسنا كنستنا نتسنا نستنا كانتسنا مستني مستنيه بستني استني",
    "ينتظر": "كيتسني كيتسنا",
    # negation, "this", "that", "there is", "nothing", "thing", the future
    "لا": "مش موش مو مب",
    "لا يوجد": "مفيش مافيش",
    "لا شيء": "والو",
    "شيء": "شي اشي",
    "هذا": "هاد هاذ ده هادا هادشي",
    "هذه": "هذي هادي",
    "ذلك": "داك داكشي",
    "تلك": "ديك",
    "يوجد": "كاين كاينه كاينين اكو",
    "الذي": "اللي",
    "سوف": "غادي غادا رح راح",
    "في": "ف",
    "ايضا": "كمان برضو برضه",
    "لان": "حيت",
    "عندما": "ملي",
    "ان": "بلي",
    # how much, how fast, please
    "كثيرا": "بزاف برشا واجد وايد",
    "وحده": "بوحدو بوحدها بوحدهم",
    "قليلا": "شوي شويه شويا",
    "بسرعه": "دغيا دغيه فيسع",
    "من فضلك": "عافاك عفاك بليز",
    # people
    "نحن": "احنا حنا",
    "صديقي": "صاحبي",
    "المنزل": "الدار",
    "الخارج": "برا",
    "الاخري": "لوخرا",
    "انتم": "انتو انتوما",
    "هم": "هوما",
    "اخي": "خويا",
    "اختي": "ختي",
    # what happened to the card or the money
    "تعمل": "خدامه شغاله بتشتغل زابطه",
    "يعمل": "خدام شغال بيشتغل زابط",
    "سرقت": "تسرقت تسرقات اتسرقت انسرقت تشفرت تشفرات",
    "سرق": "اتسرق انسرق تسرق",
    "سرقوا": "شفرو",
    "ضاعت": "تودرات تودرت",
    "فقدت": "ودرت",
    "رفضت": "اترفضت انرفضت ترفضت ترفضات ترفوزات تريفوزات",
    "رفض": "اترفض انرفض ترفوزا تريفوزا",
    "ترفض": "كترفض كيترفض كاترفض ترفوزي كترفوزي كاترفوزي كيترفوزا",
    "خصم": "اتخصم انخصم تخصم",
    "خصمت": "اتخصمت انخصمت تخصمات",
    "سحب": "جبد روتري ريتري",
    "السحب": "الروتري الريتري",
    "سحبت": "جبدت اتسحبت",
    "اسحب": "نجبد كنجبد",
    "حظر": "بلوكي نبلوكي بلوكيو بلوكيوها تبلوكا تبلوكات مبلوكيه مبلوكه",
    "خطا": "غلط غالط",
    "ارسلت": "صيفطت بعت بعتت",
    "ارسل": "صيفط نصيفط كنصيفط ابعت",
    "ارسلوا": "صيفطو",
    "اعطاني": "عطاني",
    "اطلب": "نكوموندي كنكوموندي",
    "طلبت": "كومونديت",
    "الغي": "نانولي انولي",
    "الالغاء": "الانولاسيون لانولاسيون",
    "اشتريت": "شريت",
    "اشتري": "نشري كنشري",
    "الشراء": "الشرا",
    "وصلني": "جاني",
    "وصلتني": "جاتني جاوني",
    "ظهر": "بان",
    "ظهرت": "بانت بانو",
    "يظهر": "كيطلع كايطلع",
    "تظهر": "كتطلع كاتطلع",
    "تمت": "دازت",
    "تم": "داز",
    "تمر": "تدوز كتدوز كاتدوز",
    "ذهبت": "مشات",
    "وجدت": "لقيت",
    "رايت": "شفت",
    "انتهت": "سالات تسالات",
    "احذف": "نحيد",
    "اوقف": "نحبس كنحبس",
    "اضيف": "نزيد كنزيد",
    "اخذ": "خدا",
    "اخذت": "خدات",
    "تاخذ": "تاخد كتاخد كاتاخد كتاخدو كاتاخدو",
    "اعيش": "ساكن ساكنه",
    "فشل": "ايشيك",
    "عبيت": "عمرت شارجيت",
    "اعبي": "نعمر كنعمر نشارجي نشارج",
    "اتحقق": "نفيريفيي نفيريفي",
    "افعلها": "ناكتيفيها نكتيفيها",
    "التحقق": "الفيريفيكاسيون",
    "التعبيه": "التعمار",
    "الشحن": "الرشارج الريشارج",
    "شحن": "رشارج ريشارج",
    "افتح": "نحل",
    "اغلق": "نسد نسكر",
    # money and banking
    "اموال": "فلوس مصاري",
    "الاموال": "الفلوس لفلوس المصاري",
    "اموالي": "فلوسي مصاريي",
    "نقدا": "كاش ليكيد",
    "النقد": "الكاش",
    "رسوم": "فريه مصاريف كوميسيون",
    "الرسوم": "الفريه الفري المصاريف الكوميسيون",
    "الدفع": "الخلاص",
    "الرصيد": "السولد الصولد",
    "العمله": "الدوفيز",
    "سعر الصرف": "الكور",
    "كشف الحساب": "الريليفي الريلوفي",
    "رقم الحساب": "الريب",
    "كلمه المرور": "الموديباس موديباس المودباس مودباس",
    "خصم مباشر": "بريليفمون البريليفمون بريليفمو البريليفمو",
    "تلامس": "كونتاكت",
    "بدون": "سانس السانس",
    "بدون تلامس": "كونتاكتلس الكونتاكتلس سانكونتاكت السانكونتاكت",
    "تلقاييه": "اوتوماتيك",
    "التلقاييه": "الاوتوماتيك",
    "تلقاييا": "اوتوماتيكيا",
    "اليورو": "الاورو",
    "يورو": "اورو",
    "الانترنت": "الانترنيت",
    "انترنت": "انترنيت",
    "الموقع": "السيت",
    "موقع": "سيت",
    "رسايل": "ميساجات مساجات",
    "الرسايل": "الميساجات المساجات",
    "رساله": "ميساج مساج",
    "الرقم": "النمره",
    "رقم": "نمره",
    "العنوان": "لادريس الادريس",
    "الفرع": "الوكاله",
    "جواز السفر": "الباسبور باسبور",
    "افتراضيه": "فيرتييل فيرتويل",
    "فعليه": "فيزيك فيزيكي",
    "الفعليه": "الفيزيك",
    "الوطنيه": "ناسيونال",
    "جهاز الدفع": "التيبي تيبي",
    "ايداع": "فيرسمون ديبو",
    "الايداع": "الفيرسمون الديبو",
    "العمليه": "لوبيراسيون الاوبيراسيون",
    "عمليه": "اوبيراسيون",
    "المعامله": "الترانزاكسيون",
    "معامله": "ترانزاكسيون",
    "فاتوره": "فاكتوره",
    "الفاتوره": "الفاكتوره",
    "الحد": "البلافون الليميت",
    "حد": "بلافون ليميت",
    "الراتب": "السالير الصالير الخلصه",
    "استرداد": "ريمبورسمون الريمبورسمون",
    "الاسم": "السميه",
    "اسمي": "سميتي",
    "الافتراضيه": "الفيرتييل الفيرتويل",
    "مجانا": "فابور",
    "البطاقه": "الكرت الكارت الكارط لكارط لاكارط لاكارت الكارطه",
    "بطاقه": "كرت كارت كارط",
    "بطاقتي": "كرتي كارتي كارطي كارطتي",
    "الحساب": "الكونط لكونط الكونت الاكونت",
    "حساب": "كونط كونت",
    "حسابي": "كونطي",
    "التحويل": "الفيرمون لفيرمون الفيرما الحواله",
    "تحويل": "فيرمون حواله",
    "التحويلات": "الحوالات",
    "تحويلات": "حوالات",
    "البنك": "البنكه لبنكه البانكه لابانك",
    "البنوك": "البانكات",
    "بنوك": "بانكات",
    "الرمز": "الكود لكود",
    "المتجر": "الحانوت الماكازان",
    "متجر": "حانوت",
    "السعر": "التمن",
    "الحد الاقصي": "الماكسيموم",
    "الحد الادني": "المينيموم",
    "الاماكن": "البلايص",
    "مكان": "بلاصه",
    "المحفظه": "البزطام",
    "محفظتي": "بزطامي",
    "الصراف": "الكيشي لاكيشي الكيشه الماكينه المكنه الديستريبيتور",
    "صراف": "كيشي كيشه ديستريبيتور",
    "الهاتف": "الجوال الموبايل التيليفون التلفون التليفون البورطابل",
    "هاتفي": "جوالي موبايلي تيليفوني تلفوني تليفوني بورطابلي",
    "التطبيق": "الابليكيشن الابلكيشن الابليكاسيون لابليكاسيون لابلي الابلي",
    "لي": "ليا",
    "لك": "ليك",
    "قال لي": "قالي",
    "يقول لي": "كيقولي",
    "علي": "عليا",
    # "mine", "yours", "of", "so that"
    "خاصتي": "تبعي تاعي ديالي حقي حقتي بتاعي بتاعتي",
    "خاصتك": "تبعك تاعك ديالك حقتك بتاعك بتاعتك",
    "خاصتنا": "تبعنا تاعنا ديالنا بتاعنا",
    "خاصتكم": "تبعكم تاعكم ديالكم بتاعكم",
    "خاص": "ديال",
    "لكي": "عشان علشان مشان باش",
}
# A normalized dialect word -> its standard form.
DIALECT_WORDS = {word: standard for standard, words in _GROUPS.items() for word in words.split()}
CLITICS = frozenset("وبلفك")
# "ما...ش" (Maghrebi, Egyptian) and Egyptian "مب...ش", "مو...ش" around a word of at least two
# letters, or "ما" then a word ending in "ش".
_WRAPPED_NEGATION = re.compile(r"^(?:ما|م(?=[بو]))(\w{2,})ش$")
_NEGATED = re.compile(r"^(\w{2,})ش$")


def standard_words(words: Sequence[str]) -> list[str]:
    """The standard form of each normalized word (see standard_word), in place: the word
    after a separate "ما" loses the "ش" that closes the negation, and the "ما" becomes "لا"."""
    standard = []
    for i, word in enumerate(words):
        negated = _NEGATED.match(word) if i and words[i - 1] == "ما" else None
        if negated:
            standard[-1] = "لا"
            word = negated.group(1)
        standard.append(standard_word(word))
    return standard


def standard_word(word: str) -> str:
    """The standard form of a normalized word, also after a one-letter clitic (و "and", ب
    "with", ل "for", ف "in", ك "like"); a wrapped negation becomes "لا" and its word."""
    standard = DIALECT_WORDS.get(word)
    if standard is not None:
        return standard
    if word[:1] in CLITICS and word[1:] in DIALECT_WORDS:
        standard = DIALECT_WORDS[word[1:]]
        if word[0] == "ل" and standard.startswith("ال"):  # ل + ال is written لل
            return "ل" + standard[1:]
        return word[0] + standard
    negated = _WRAPPED_NEGATION.match(word)
    if negated:
        return "لا " + standard_word(negated.group(1))
    return word


# What a word the knowledge base does not know may be made of: the conjunctions و and ف;
# dialect verb prefixes (Maghrebi progressive ك, كا, تا and future غا, Egyptian passive ات
# and Levantine ان, Egyptian and Levantine future ه, ح and indicative ب, Maghrebi passive
# ت) and the preposition ل; object pronouns and the closing ش of a negation.
CONJUNCTIONS = ("و", "ف")
PREFIXES = ("كا", "تا", "غا", "ات", "ان", "ك", "ه", "ح", "ب", "ت", "ل")
SUFFIXES = ("ها", "هم", "ه", "ني", "لي", "ك", "ش")
MIN_STEM = 3


def readings(word: str) -> list[str]:
    """What a dialect word form may stand for, fewest letters changed first: without a
    conjunction, the negation around it, a prefix or a suffix, without the Maghrebi plural
    و (or with the standard ون), with the Maghrebi past "ات" of "she" as the standard "ت"
    ("وصلات": "وصلت", "ما قبلاتش": "قبلت"), and with the Maghrebi first person ن as the
    standard ا ("نبدل": "ابدل"). Most are not words at all; whoever asks keeps the first one
    it knows."""
    starts = [(0, word)]
    if word[:1] in CONJUNCTIONS and len(word) > MIN_STEM:
        starts.append((1, word[1:]))
    for cost, start in list(starts):  # the Egyptian negation م...ش ("مظهرش": "ظهر")
        if start.startswith("م") and start.endswith("ش") and len(start) - 2 >= MIN_STEM:
            starts.append((cost + 2, start[1:-1]))
    stems = []
    for cost, start in starts:
        stems.append((cost, start))
        stems += [(cost + len(prefix), start[len(prefix):]) for prefix in PREFIXES
                  if start.startswith(prefix) and len(start) - len(prefix) >= MIN_STEM]
    forms = []
    for cost, stem in stems:
        endings = [(cost, stem)]
        if stem.endswith("و") and len(stem) > MIN_STEM:
            endings += [(cost + 1, stem[:-1]), (cost + 1, stem + "ن")]
        endings += [(cost + len(suffix), stem[:-len(suffix)]) for suffix in SUFFIXES
                    if stem.endswith(suffix) and len(stem) - len(suffix) >= MIN_STEM]
        endings += [(changed + 1, form[:-2] + "ت") for changed, form in endings
                    if form.endswith("ات") and len(form) > MIN_STEM]
        forms += endings
        forms += [(changed + 1, "ا" + form[1:]) for changed, form in endings
                  if form.startswith("ن") and len(form) > MIN_STEM]
    forms.sort(key=lambda form: form[0])
    return list(dict.fromkeys(form for _, form in forms[1:]))
