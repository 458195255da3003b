"""Normalization makes spelling variants of the same question meet."""

from pathlib import Path

import pytest

from bot.text.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("كَمْ جيجاواطٍ؟", "كم جيجاواط"),  # diacritics and Arabic question mark
        ("الطاقـــة", "الطاقه"),  # tatweel, taa marbuta
        ("أإآٱا", "ا"),  # alef forms meet (and the stretch collapses)
        ("إلى مستشفى", "الي مستشفي"),  # alef maqsura
        ("مسؤول شاطئ", "مسوول شاطي"),  # hamza on waw and yaa
        ("٣٠ جيجا واط", "30 جيجا واط"),  # Arabic-Indic digits
        ("۳۰ گیگاوات", "30 كيكاوات"),  # Persian digits and letters
        ("٩٣٫١ مليون", "93 1 مليون"),  # Arabic decimal separator is punctuation here
        ("HIVE's   Revenue!!", "hive s revenue"),
        ("30GW?", "30 gw"),
        ("شكراااااا", "شكرا"),  # stretched letters
        ("1000 or 30000 GW", "1000 or 30000 gw"),  # but never stretched digits
        ("\u200fمرحبا\u200b بك\u2067", "مرحبا بك"),  # bidi marks and zero-width space
        ("ﻻ ﷲ", "لا الله"),  # presentation forms through NFKC
        ("<b>hi</b> *there*", "b hi b there"),
        # a Latin word typed onto the article or a clitic is that word; any other change of
        # script within a word parts two words
        ("الHSBC بلع البطاقة", "hsbc بلع البطاقه"),
        ("وبالCash", "cash"),
        ("بطاقتيRevolut", "بطاقتي revolut"),
        ("Revolutبطاقة", "revolut بطاقه"),
        ("😀🚀", ""),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_idempotent() -> None:
    text = "هَلْ الـ 30 جيجاواط تعمل فعلاً؟ Is it OPERATIONAL"
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize(
    "variants",
    [
        # "I want to know where my card is": Levantine, Gulf, Egyptian, Maghrebi, standard
        ["بدي اعرف وين بطاقتي", "ابغى اعرف وين بطاقتي", "عايز اعرف فين بطاقتي",
         "بغيت نعرف فين بطاقتي", "أريد أعرف أين بطاقتي"],
        # "why was my money taken"
        ["ليش انسحبت مصاريي", "ليه انسحبت فلوسي", "علاش انسحبت فلوسي", "لماذا انسحبت أموالي"],
        # "how much" and "my card" with the possessive particles
        ["قديش الرسوم على الكرت تبعي", "شحال الرسوم على الكارط ديالي",
         "كم الرسوم على البطاقة حقي", "كم الرسوم على البطاقة خاصتي"],
        # "and now": the conjunction stays on the standard word
        ["وهلق", "والحين", "ودابا", "والآن"],
        # "I need to change the code of my account": Maghrebi loanwords, Levantine, standard
        ["خصني نبدل الكود ديال الكونط", "لازمني نبدل الرمز خاص الحساب",
         "احتاج نبدل الرمز خاص الحساب"],
        # "what do I do now, I can't find the app": Gulf, Maghrebi, standard
        ["وش اسوي الحين مو لاقي الابليكيشن", "اشنو ندير دابا مش لاقي لابليكاسيون",
         "ماذا أفعل الآن لا لاقي التطبيق"],
        # "I already made a transfer a week ago and the ATM told me to wait": Maghrebi,
        # standard
        ["درت فيرمون ديجا هادي سيمانة و الديستريبيتور قالي تسنا",
         "قمت تحويل بالفعل هذي اسبوع و الصراف قال لي تسنا"],
        # "it gave me 600 only, and took 1000 from the account by itself"
        ["عطاني غير 600 و جبد 1000 من الكونط بوحدو", "أعطاني غير 600 و سحب 1000 من الحساب وحده"],
        # "my card was declined, why is it refused": Maghrebi with French loans, standard
        ["لاكارط تريفوزات، علاش كاترفوزي", "البطاقة رفضت، لماذا ترفض"],
        # "how do I activate it, and I forgot the password": Maghrebi, standard
        ["كيفاش نأكتيفيها و نسيت المودباس", "كيف أفعلها و نسيت كلمة المرور"],
        # "a direct debit on my account I never agreed to"
        ["بريليفمون ف الكونط ديالي", "خصم مباشر في الحساب خاصتي"],
        # "I want to order a physical card from the app": Maghrebi loanwords, standard
        ["بغيت نكوموندي كارط فيزيك من لابلي", "أريد أطلب بطاقة فعلية من التطبيق"],
        # "the transfer is still pending since yesterday": Levantine, standard
        ["الحوالة لسا معلقة من مبارح", "التحويل مازال معلقة من أمس"],
        # "how much do you take on a transfer", "I want to stop the card and add another"
        ["شحال كتاخدو على الحوالة", "كم تأخذ على التحويل"],
        ["بغيت نحبس الكارط و نزيد وحدة", "أريد أوقف البطاقة و أضيف وحدة"],
        # "automatic top-up, and the messages": loanwords meet standard words with a hamza
        ["التعبئة الأوتوماتيك و الميساجات", "التعبئة التلقائية و الرسائل"],
        # "the contactless payment is still pending": French loans in Maghrebi letters
        # (پ, ط for t), standard
        ["الپيمون سان كونطاكت باقي أونطونت", "الدفع بدون تلامس باقي معلق"],
        # "the exchange rate of the euro today", "a bank transfer to the beneficiary"
        ["الطو دالشونج ديال الأورو ليوما", "السعر خاص الصرف خاص اليورو اليوم"],
        ["ڤيرمو بنكير للبينيفيسيير", "تحويل مصرفي للمستفيد"],
        # "can I add my card to Google Pay": Maghrebi and Gulf spellings of Google
        ["واش نقدر نزيد لاكارط ل گوگل پاي", "هل يمكنني اضيف البطاقه ل قوقل باي",
         "هل يمكنني أضيف البطاقة ل جوجل باي"],
        # "how much do you take on a top-up by bank transfer": English loans of one and
        # of two words in Gulf spelling, standard
        ["كم تاخذون على التوب أب بالترانسفير", "كم تاخذون على التعبئة بالتحويل"],
        # "a direct debit I don't know, and the refund still hasn't shown": Levantine
        ["دايركت ديبت ما بعرفه والريفند لسا ما بين", "خصم مباشر ما بعرفه والاسترداد مازال ما بين"],
        # "I forgot the passcode, the virtual card is pending": Gulf, standard
        ["نسيت الباسكود والفيرتشوال كارد بندنق", "نسيت كلمة المرور والبطاقة الافتراضية معلق"],
        # "the transfer is still in progress", "I want to change the PIN of the card":
        # Maghrebi with French words in Latin letters or in Arabic ones, standard
        ["الفيرمون مازال en cours", "التحويل مازال معلق"],
        ["بغيت نبدل البين ديال الكارط", "أريد نبدل رقم التعريف الشخصي خاص البطاقة"],
        # "the virement was refused, the PIN of the card is blocked": Maghrebi with French
        # in Latin letters, standard
        ["الفيرمان refusé و le code PIN ديال la carte bloqué",
         "التحويل رفض و le رقم التعريف الشخصي خاص la بطاقة محظور"],
        # "I want a plastic card, I can't get into the app": Levantine, standard
        ["بدي كرت بلاستيك، مش قادر افوت عالابلكيشن", "اريد بطاقة فعلية، لا قادر ادخل علي التطبيق"],
        # "the transfer fees by bank virement, and the activation": French in Latin letters
        # behind the Maghrebi article, English in Gulf letters with the standard one
        ["الفرايس ديال الvirement والاكتيفيت", "الرسوم ديال تحويل والتفعيل"],
        # "the PIN is locked, by mistake": Gulf and Levantine, standard
        ["البين مقفول بالغلط", "رقم التعريف الشخصي محظور بالخطأ"],
        # "the payment at the card terminal": Maghrebi, French typed onto a clitic
        ["الپايمون فالTPE", "الدفع جهاز الدفع"],
        # "the card still hasn't arrived": Gulf, standard; "from another bank": Maghrebi,
        # standard
        ["الكارد لين الحين ما وصلت", "البطاقة حتى الآن ما وصلت"],
        ["حولت من بنكة خرا", "حولت من بنكة أخرى"],
        # "the limit of the physical card", "the statement and the tracking": French in
        # Latin letters, standard
        ["plafond ديال carte physique", "حد ديال بطاقة فعلية"],
        ["le relevé و le suivi", "le كشف الحساب و le تتبع"],
        # "I withdrew at the ATM with the account's card", "the top-up has fees": northern
        # Maghrebi with Spanish and French loans, standard
        ["جبدت من الكاخيرو ب كارطة ديال الكوينطا", "سحبت من الصراف ب بطاقة خاص الحساب"],
        ["الريكارج فيه فريس", "الشحن فيه رسوم"],
        ["الكود السري ديال لكارط", "الرقم السري خاص البطاقة"],
        ["كيفاش نفسخ الحساب", "كيف اغلق الحساب"],
        ["تشيف بيتعبى بروحه", "كيف بيتعبى وحده"],
        ["بغيت نبدل الكود", "اريد اغير الرمز"],  # Maghrebi "change", not "replace"
        # "how long do I still have to wait", "which ATMs", "the transfers are declined",
        # "the product does not work on your system": Maghrebi, standard
        ["شحال باقي خاصني نتسنى", "كم باقي احتاج انتظر"],
        ["شمن گيشيات", "اي صرافات"],
        ["الفيرمونات كترفض", "التحويلات ترفض"],
        ["البرودوي ماخدامش فالسيستيم ديالكم", "المنتج لا يعمل فالنظام خاصتكم"],
        # "the ATM swallowed my card", "how do I activate my card", "I got blocked, unblock
        # me", "how do I report that it was stolen", "I live in America, an American card":
        # Maghrebi with French loans, standard
        ["لاميكينة كلات ليا لاكارط", "الصراف ابتلعت لي البطاقة"],
        ["كيفاش نفعل لاكارط ديالي", "كيف أفعل البطاقة خاصتي"],
        ["تبلوكيت، ديبلوكيوني", "حظر، الغي الحظر"],
        ["كيفاش ندير ديكلاراسيون", "كيف افعل ابلاغ"],
        ["ساكن فميريكان، كارط ميريكانية", "ساكن فأمريكا، بطاقة أمريكية"],
        ["الابونمون والريسو ديال الفرود", "الاشتراك والايصال خاص الاحتيال"],
    ],
)
def test_dialect_words_meet_in_their_standard_form(variants: list[str]) -> None:
    assert len({normalize(v).replace("نعرف", "اعرف") for v in variants}) == 1


def test_words_that_only_look_like_dialect_stay() -> None:
    assert normalize("الشوكولاتة وين الكرتون") == "الشوكولاته اين الكرتون"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("لاكارط ماخدامةش", "البطاقه لا تعمل"),  # Maghrebi "ما...ش" around the word
        ("ما وصلتنيش البطاقة", "لا وصلتني البطاقه"),  # "ما" apart, "ش" closing the verb
        ("ما هي الرسوم", "ما هي الرسوم"),  # "ما" before any other word stays
        ("الكارت مبيشتغلش", "البطاقه لا يعمل"),  # Egyptian "مب...ش"
        ("ماكاينش فلوس", "لا يوجد اموال"),  # the wrapped word is folded too
        ("ماعنديش", "لا عندي"),
        ("لكارط ماخدامة", "البطاقه لا تعمل"),  # Maghrebi "ما" without the closing ش
        ("ماكاين والو", "لا يوجد لا شيء"),
    ],
)
def test_wrapped_negation_becomes_la_and_its_word(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "word",
    # too short, or standard words ("ماليه": "financial", "دوش": "shower")
    ["ماش", "مارش", "ماتش", "مشمش", "ماشي", "بعمل", "الاب", "ماليه", "ماليا", "دوش",
     "بد", "ود", "كف", "توب", "اب", "عالم", "عالمي", "هاله", "للتو", "لابد", "للاب", "اكتفيت"],
)
def test_words_that_only_look_negated_or_dialect_stay(word: str) -> None:
    assert normalize(word) == word


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("خلصت بلاكارط", "خلصت بالبطاقه"),  # ب "with" on a dialect word
        ("رجعو للكونط", "رجعو للحساب"),  # ل + ال written لل
        ("ولاكارط", "والبطاقه"),  # و "and"
        ("كتدوز فكاع لحوانت", "تمر فكل المتاجر"),  # the Maghrebi article ل
        ("الكود دلاكارط", "الرمز خاص البطاقه"),  # the Maghrebi د "of"
        ("بالتوب اب", "بالتعبيه"),  # on the first word of a loan of two
        ("عالكرت", "علي البطاقه"),  # Levantine and Gulf "على" contracted before the article
        ("هالكارت", "هذا البطاقه"),  # and "هذا"
    ],
)
def test_one_letter_clitics_stay_on_the_standard_word(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("text", "dialect"),
    [("فين وصلات لاكارط ديالي؟", True), ("الكارت مبيشتغلش", True), ("وين بطاقتي", True),
     ("التحويل طلع failed", True), ("أين بطاقتي الجديدة؟", False),
     ("ما هي رسوم التحويل", False),
     ("where is my card", False), ("", False)],
)
def test_a_question_in_everyday_dialect_is_told_from_standard_arabic(text: str,
                                                                     dialect: bool) -> None:
    from bot.text.normalize import shows_dialect

    assert shows_dialect(text) is dialect


def test_each_standard_form_is_listed_once() -> None:
    """A standard form written twice in the dialect list silently loses its first words (a
    dict literal keeps the last value)."""
    import ast
    from collections import Counter

    from bot.text import dialect

    tree = ast.parse(Path(dialect.__file__).read_text(encoding="utf-8"))
    groups = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                  and getattr(node.targets[0], "id", None) == "_GROUPS")
    standards = Counter(key.value for key in groups.keys)
    assert [standard for standard, count in standards.items() if count > 1] == []
    assert len(standards) == len(dialect._GROUPS)


def test_the_dialect_list_is_in_normalized_spelling() -> None:
    """Its words are looked up, and its standard forms matched, after normalization: a form
    with a hamza or a taa marbuta would never meet the knowledge base's words."""
    from bot.text import dialect
    from bot.text.normalize import fold

    spelled = [*dialect._GROUPS, *dialect.DIALECT_WORDS]
    assert [form for form in spelled if fold(form) != form] == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("التحويل طلع failed", "التحويل طلع فشل"),
        ("الrate غلط اكيد", "سعر خطا اكيد"),  # the article typed onto the English word goes
        ("الtop up ما زبط", "تعبيه ما زبط"),  # two English words of one meaning
        ("بقدر اعمل pin جديد من الapp", "يمكنني اعمل رقم التعريف الشخصي جديد من التطبيق"),
        ("pending الدفع", "معلق الدفع"),  # as many Arabic words as English ones
        ("بطاقتيVisa", "بطاقتي فيزا"),
        ("اقرب GAB فين كاين", "اقرب الصراف اين يوجد"),  # the Maghreb's ATM, in French
        ("الATM بلع البطاقة", "الصراف بلع البطاقه"),
        ("the atm ate my card", "the atm ate my card"),
        ("my transfer failed", "my transfer failed"),  # an English question keeps its words
        ("my card declined بطاقه", "my card declined بطاقه"),  # mostly English
    ],
)
def test_english_words_among_arabic_ones_are_read_in_arabic(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ما وصلت ال card", "ما وصلت البطاقه"),
        ("الـ PIN محظور", "رقم التعريف الشخصي محظور"),  # a standard form of several words
        ("ال توب اب", "التعبيه"),  # a dialect loan of two words too
    ],
)
def test_an_article_typed_apart_joins_the_word_read_after_it(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
