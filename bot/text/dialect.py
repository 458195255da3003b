"""Everyday dialect words folded into one Modern Standard Arabic form.

People ask in their own dialect: "بدي" (Levantine), "ابغى" (Gulf), "عايز" (Egyptian) and
"بغيت" (Maghrebi) all mean "اريد". Knowledge is mostly written in one or two of them, so
the words that carry a question's intent meet in their standard form on both sides:
question words, time words, wanting, needing, being able, doing, waiting, negation,
"this", "there is", "mine", the pronouns, what happens to a card or to money (works,
stolen, lost, declined, deducted, withdrawn, blocked, sent, topped up, ordered, cancelled,
stopped, added, taken, bought, shown, gone through, expired), living somewhere, and the
everyday names of money, fees, balance, card, account, transfer, code, wallet, shop,
phone, app, system, product, ATM, card terminal, limit, salary, refund, exchange rate,
payment, pending, option, beneficiary and disposable (French loanwords in the Maghreb,
written with پ, ڤ, گ or ط for t as often as not, English ones in the Gulf, the Levant and
Egypt, some of two words: "توب اب", "دايركت ديبت"). The same names typed in English
among Arabic words ("التحويل failed", "الtop up") are read in Arabic too, but never in an
English question. Other words stay as they are: the character n-grams and the sentence
encoder cover them. A word is listed only where its dialect meaning is the usual one; a
word with a common standard meaning of its own ("ايه" is "what" in Cairo and "yes" in
Damascus, "ماشي" is "not" in Rabat and "fine" in Jerusalem) stays. Keys and values are
in normalized spelling (see normalize.py: ا for every alef, ه for taa marbuta, ي for alef
maqsura, ك for gaf).

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
    "كيف": "كيفاش كفاش كيفش شلون اشلون ازاي تشيف",
    "كم": "قديش قداش قداه شحال كام",
    "بكم": "بقديش بقداش بشحال بكام",
    "متي": "امتي ايمتي امتا ايمتا وقتاش فوقاش",
    "اي": "شمن اشمن انهي انهو",
    "هل": "واش",
    "من": "مين منو شكون",
    # when: now, still, yesterday, today, tomorrow, always
    "الان": "هلق هلا دحين الحين دلوقتي دلوقت دابا توا دروك",
    "مازال": "لسا لسه لساتها باقا للحين لسي مزال",
    "حتي": "لين",
    "امس": "البارح امبارح مبارح",
    "اليوم": "النهارده الليوم ليوما",
    "غدا": "بكره بكرا غدوه",
    "دايما": "ديما",
    "الاسبوع": "السيمانه",
    "اسبوع": "سيمانه",
    "يوم": "نهار",
    "ساعات": "سوايع",
    "اثنين": "جوج",
    "ثلاث": "تلات تلاته تلاث",
    "بالفعل": "ديجا",
    # wanting, needing, being able, doing, waiting
    "اريد": "بدي بدك ابغي ابغا ابي ابا نبغي نبي بغيت كنبغي كانبغي باغي باغيه عايز عاوز "
            "عايزه عاوزه حاب حابب حابه",
    "نريد": "بدنا بغينا عايزين عاوزين حابين",
    "يريد": "بده بدو يبي يبغي بغا",
    "تريد": "بدها تبي تبغي بغات",
    "احتاج": "خصني خاصني لازمني محتاج",
    "يمكنني": "بقدر اقدر نقدر اكدر نكدر بقدرش",
    "يمكن": "ينفع",
    "افعل": "اسوي نسوي ندير نديرو ناكتيفي نكتيفي نفعل",  # also "activate" (افعّل)
    "قمت": "درت",
    "انتظر": "كنتسنا كنستنا نتسنا نستنا كانتسنا كنتسني نتسني كانتسني مستني مستنيه بستني "
             "استني",
    "ينتظر": "كيتسني كيتسنا",
    "احصل": "نجيب",
    "استلم": "نتوصل كنتوصل استقبل",
    "استلام": "استقبال",
    "استلمت": "توصلت",
    "ساعدوني": "عاونوني",
    "اغير": "نبدل كنبدل كانبدل",
    "اغيره": "نبدلو نبدله",
    "اغيرها": "نبدلها",
    "ساعدني": "عاوني عاونيني",
    "ادخل": "افوت",
    "يدخل": "يفوت",
    # negation, "this", "that", "there is", "nothing", "thing", the future
    "لا": "مش موش مو مب",
    "لا يوجد": "مفيش مافيش",
    "لا شيء": "والو",
    "كل شيء": "كلشي",
    "لا احد": "محد",
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
    "كل": "كاع",
    "لان": "حيت",
    "عندما": "ملي",
    "ان": "بلي",
    # how much, how fast, please
    "كثيرا": "بزاف برشا واجد وايد",
    "اكثر": "كثر",
    "وحده": "بوحدو بوحدها بوحدهم بروحه بروحو بروحها",
    "قليلا": "شوي شويه شويا",
    "بسرعه": "دغيا دغيه فيسع بالزربه زربه",
    "من فضلك": "عافاك عفاك بليز عافاكم عفاكم تكفون",
    # people
    "نحن": "احنا حنا",
    "صديقي": "صاحبي",
    "المنزل": "الدار",
    "الخارج": "برا",
    "الاخري": "لوخرا لخري",
    "اخري": "خرا اخرا",
    "انتم": "انتو انتوما",
    "هم": "هوما",
    "اخي": "خويا",
    "اختي": "ختي",
    "زوجتي": "مرتي",
    "صاحب العمل": "الباطرون باطرون",
    # what happened to the card or the money
    "تعمل": "خدامه خداما شغاله بتشتغل زابطه",
    "يعمل": "خدام شغال بيشتغل زابط",
    "تعملون": "خدامين",
    "سرقت": "تسرقت تسرقات اتسرقت انسرقت تشفرت تشفرات volé volée vole volee",
    "سرق": "اتسرق انسرق تسرق",
    "سرقوا": "شفرو",
    "ابتلعت": "كلات",
    "ابتلعها": "كلاها",
    "ضاعت": "تودرات تودرت perdu perdue",
    "فقدت": "ودرت",
    "رفضت": "اترفضت انرفضت ترفضت ترفضات ترفوزات تريفوزات تريفيزات ديكلاين ديكلايند",
    "رفض": "اترفض انرفض ترفوزا تريفوزا تريفيزا ريفيزا refusé refusée",
    "ترفض": "كترفض كيترفض كاترفض ترفوزي كترفوزي كاترفوزي كيترفوزا كيتريفيزا كتريفيزا",
    "خصم": "اتخصم انخصم تخصم تقطع تحيد ديبت دبت",
    "خصمت": "اتخصمت انخصمت تخصمات تقطعات",
    "خصموا": "تقطعو قطعو حيدو",
    "سحب": "جبد روتري ريتري ريطري retrait",
    "السحب": "الروتري الريتري الريطري",
    "سحبت": "جبدت اتسحبت",
    "اسحب": "نجبد كنجبد",
    "حظر": "بلوكي نبلوكي بلوكيو بلوكيوها تبلوكا تبلوكات تبلوكيت تبلوكاو مبلوكيه مبلوكه "
            "بلوك",
    "الغي الحظر": "ديبلوكي نديبلوكي ديبلوكيه نديبلوكيه ديبلوكيها نديبلوكيها ديبلوكيوني "
                  "ديبلوكيني",
    "اخترقت": "تهاكات تهاكا تهكرت اتهكرت انهكرت تهكرات انخرقت تهاكاو piraté piratée",
    "مخترقه": "مهاكيه مهكره",
    "خطا": "غلط غالط ايرور ارور erreur",
    "الخطا": "الغلط",
    "ارسلت": "صيفطت بعت بعتت",
    "ارسل": "صيفط نصيفط كنصيفط ابعت",
    "ارسلوا": "صيفطو",
    "يرسل": "يصيفط يبعت",
    "ترسل": "تصيفط",
    "اعطاني": "عطاني",
    "اعطتني": "عطتني",
    "اطلب": "نكوموندي كنكوموندي",
    "طلبت": "كومونديت",
    "الغيت": "كنسلت",
    "الغي": "نانولي انولي تانيلا تانيلات تانولا تانولات كنسل كانسل اكنسل annulé annulée "
            "annule annulee",
    "الالغاء": "الانولاسيون لانولاسيون",
    "اشتريت": "شريت",
    "اشتري": "نشري كنشري",
    "الشراء": "الشرا الاشا",
    "شراء": "اشا",
    "مصدر": "origine",
    "الهويه": "identité identite",
    "محظور": "bloqué bloquée bloque bloquee مقفول",
    "وصلني": "جاني",
    "وصلتني": "جاتني جاوني",
    "ظهر": "بان",
    "ظهرت": "بانت بانو",
    "يظهر": "كيطلع كايطلع يبان",
    "تظهر": "كتطلع كاتطلع تبان",
    "تمت": "دازت",
    "تم": "داز",
    "تمر": "تدوز كتدوز كاتدوز كدوز كيدوز",
    "ذهبت": "مشات",
    "وجدت": "لقيت",
    "تذكرت": "عقلت",
    "رايت": "شفت",
    "تحديث": "ابديت",
    "تفعيل": "اكتيفيت",
    "التفعيل": "الاكتيفيت",
    "انتهت": "سالات تسالات كسبيرات اكسبايرد",
    "تنتهي": "تسالا تسالي تكسبيرا",
    "احذف": "نحيد",
    "اوقف": "نحبس كنحبس",
    "اضيف": "نزيد كنزيد تزاد",
    "اخذ": "خدا",
    "اخذت": "خدات",
    "تاخذ": "تاخد كتاخد كاتاخد كتاخدو كاتاخدو",
    "اعيش": "ساكن ساكنه نسكن",
    "فشل": "ايشيك فاشل échec echec",
    "فشلت": "فاشله",
    "عبيت": "عمرت شارجيت",
    "اعبي": "نعمر كنعمر نشارجي نشارج",
    "يعبي": "يتشارجا يتشارج يتعمر",
    "معلق": "انطونت اونطونت attente بندنق بندنج بيندنق بيندنج بيندينغ اوناتونت",
    "اتحقق": "نفيريفيي نفيريفي اوثق",
    "افعلها": "ناكتيفيها نكتيفيها نفعلها",
    "التحقق": "الفيريفيكاسيون الفيريفيكيشن التوثيق vérification",
    "تحقق": "توثيق فيريفيكاسيون فيريفيكيشن",
    "التعبيه": "التعمار",
    "الشحن": "الرشارج الريشارج الشارج الشارجمون الروشارج الريكارج",
    "شحن": "رشارج ريشارج شارج شارجمون روشارج ريكارج",
    "افتح": "نحل",
    "اغلق": "نسد نسكر نفرمي نفسخ",
    # money and banking
    "اموال": "فلوس مصاري fonds",
    "الاموال": "الفلوس لفلوس المصاري",
    "اموالي": "فلوسي مصاريي",
    "نقدا": "كاش ليكيد espèces especes",
    "النقد": "الكاش",
    "رسوم": "فريه مصاريف كوميسيون فري فريي فرايس فريس frais",
    "الرسوم": "الفريه الفري المصاريف الكوميسيون الفريي الفرايس",
    "الدفع": "الخلاص البيمون لبيمون البايمون لبايمون paiement",
    "الرصيد": "السولد الصولد البالانس solde",
    "رصيد": "بالانس",
    "العمله": "الدوفيز",
    "سعر الصرف": "الكور",
    "الصرف": "الشونج الشانج الكامبيو",
    "صرف": "شونج كامبيو échange echange",
    "تتبع": "سويفي suivi",
    "اثبات": "justificatif",
    "سعر": "طو taux",
    "كشف الحساب": "الريليفي الريلوفي الروليفي الرولوفي ستيتمنت الستيتمنت relevé releve",
    "رقم الحساب": "الريب",
    "رقم التعريف الشخصي": "البين",
    "كلمه المرور": "الموديباس موديباس المودباس مودباس باسكود الباسكود باسوورد الباسوورد "
                   "باسورد الباسورد",
    "خصم مباشر": "بريليفمون البريليفمون بريليفمو البريليفمو بريليفمان البريليفمان "
                 "بريلفمون البريلفمون prélèvement prelevement",
    "تلامس": "كونتاكت كونطاكت",
    "بدون": "سانس السانس سان السان",
    "بدون تلامس": "كونتاكتلس الكونتاكتلس سانكونتاكت السانكونتاكت سانكونطاكت السانكونطاكت",
    "تلقاييه": "اوتوماتيك اوطوماتيك automatique",
    "التلقاييه": "الاوتوماتيك الاوطوماتيك",
    "التلقايي": "الاوتوماتيكي الاوطوماتيكي",
    "تلقايي": "اوتوماتيكي اوطوماتيكي",
    "تلقاييا": "اوتوماتيكيا اوطوماتيكيا",
    "اليورو": "الاورو",
    "يورو": "اورو",
    "الانترنت": "الانترنيت",
    "انترنت": "انترنيت",
    "الموقع": "السيت",
    "موقع": "سيت",
    "رسايل": "ميساجات مساجات",
    "الرسايل": "الميساجات المساجات",
    "رساله": "ميساج مساج",
    "الرقم": "النمره النيميرو",
    "رقم": "نمره نيميرو",
    "العنوان": "لادريس الادريس",
    "الخيار": "الاوبسيون لوبسيون الاوبشن",
    "خيار": "اوبسيون اوبشن",
    "المستفيد": "البينيفيسيير لبينيفيسيير",
    "مستفيد": "بينيفيسيير",
    "يمكن التخلص منها": "جيطابل جيتابل جتابل الجيطابل الجيتابل ديسبوزبل الديسبوزبل jetable "
                        "jetables",
    "اتخلص منها": "نلوحها",
    "الطلب": "الكوموند الاوردر",
    "طلب": "كوموند اوردر",
    "الخصم": "الديبي الديبت",
    "مباشر": "ديريكت دايركت",
    "مصرفي": "بنكير bancaire",
    "جوجل": "كوكل غوغل قوقل",
    "مباشره": "نيشان",
    "المواقع": "السيتات",
    "مواقع": "سيتات",
    "المتاجر": "الحوانت الحوانيت الماكازات",
    "اضافيه": "زايده",
    "الاضافيه": "الزايده",
    "تكلف": "كتسوا كيسوا",
    "التسليم": "الليفريزون ليفريزون livraison",
    "الفرع": "الوكاله",
    "جواز السفر": "الباسبور باسبور الباسبورت باسبورت",
    "افتراضيه": "فيرتييل فيرتويل فيرتويال فيرتشوال فرتشوال فيرتوال فيرشوال virtuelle virtuel",
    "فعليه": "فيزيك فيزيكي بلاستيك بلاستيكي بلاستيكيه physique",
    "الفعليه": "الفيزيك البلاستيك البلاستيكي البلاستيكيه",
    "الوطنيه": "ناسيونال",
    "جهاز الدفع": "التيبي تيبي tpe",
    "ايداع": "فيرسمون ديبو",
    "الايداع": "الفيرسمون الديبو",
    "العمليه": "لوبيراسيون الاوبيراسيون",
    "عمليه": "اوبيراسيون",
    "المعامله": "الترانزاكسيون الترانزكشن الترانزاكشن",
    "معامله": "ترانزاكسيون ترانزكشن ترانزاكشن",
    "فاتوره": "فاكتوره",
    "الفاتوره": "الفاكتوره",
    "الحد": "البلافون الليميت الليمت",
    "حد": "بلافون ليميت ليمت لمت plafond",
    "الراتب": "السالير الصالير الخلصه",
    "استرداد": "ريمبورسمون رومبورسمون ريفند رفند remboursement",
    "الاسترداد": "الريمبورسمون الريفند الرفند",
    "الاسم": "السميه",
    "الاوراق": "الوراق",
    "البيانات": "الداطا الداتا",
    "صوره": "تصويره سيلفي",
    "الصوره": "التصويره السيلفي",
    "المشكله": "المشكل",
    "مشكله": "مشكل",
    "البريد": "البوسطه لابوسط",
    "اسمي": "سميتي",
    "الافتراضيه": "الفيرتييل الفيرتويل الفيرتويال الفيرتشوال الفرتشوال الفيرتوال",
    "مجانا": "فابور",
    "البطاقه": "الكرت الكارت الكارط لكارط لاكارط لاكارت الكارطه الكرط الطارخيطا الكارد",
    "بطاقه": "كرت كارت كارط كارطه طارخيطا carte",
    "بطاقتي": "كرتي كارتي كارطي كارطتي",
    "البطاقات": "الكارطات الكروت الكرتات",
    "بطاقات": "كارطات كروت cartes",
    "الحساب": "الكونط لكونط الكونت الاكونت الاكاونت الكوينطا",
    "حساب": "كونط كونت اكاونت اكونت كوينطا compte",
    "حسابي": "كونطي",
    "التحويل": "الفيرمون لفيرمون الفيرما الحواله الفيرمو لفيرمو الترانسفير الترانسفر الفيرمان",
    "تحويل": "فيرمون حواله فيرمو ترانسفير ترانسفر فيرمان virement",
    "التحويلات": "الحوالات الترانسفيرات الفيرمونات",
    "تحويلات": "حوالات ترانسفيرات فيرمونات",
    "البنك": "البنكه لبنكه البانكه لابانك",
    "البنوك": "البانكات",
    "بنوك": "بانكات",
    "الرمز": "الكود لكود",
    "المتجر": "الحانوت الماكازان الماكازا",
    "متجر": "حانوت ماكازان ماكازا",
    "السعر": "التمن الطو التو الريت",
    "الحد الاقصي": "الماكسيموم",
    "الحد الادني": "المينيموم",
    "الاماكن": "البلايص",
    "اماكن": "بلايص",
    "مكان": "بلاصه",
    "المكان": "البلاصه",
    "المحفظه": "البزطام",
    "ابلاغ": "ديكلاراسيون دكلاراسيون",
    "الابلاغ": "الديكلاراسيون لاديكلاراسيون الدكلاراسيون",
    "احتيال": "فرود fraude",
    "الاحتيال": "الفرود",
    "الاشتراك": "الابونمون لابونمون",
    "اشتراك": "ابونمون abonnement",
    "الايصال": "الريسو لوريسو",
    "ايصال": "ريسو reçu",
    "امريكا": "ميريكان لميريكان",
    "امريكي": "ميريكاني",
    "امريكيه": "ميريكانيه",
    "محفظتي": "بزطامي",
    "الصراف": "الكيشي لاكيشي الكيشه الماكينه المكنه الديستريبيتور المكينه البنكومات الكاخيرو "
              "لاميكينه الميكينه لاماشين "
              "guichet distributeur",
    "صراف": "كيشي كيشه ديستريبيتور مكينه ميكينه بنكومات كاخيرو",
    "الصرافات": "الكيشيات الديستريبيتورات",
    "صرافات": "كيشيات ديستريبيتورات",
    "المنتج": "البرودوي",
    "منتج": "برودوي",
    "النظام": "السيستيم",
    "نظام": "سيستيم",
    "جنيه": "ليبرا",
    "الهاتف": "الجوال الموبايل التيليفون التلفون التليفون البورطابل",
    "هاتفي": "جوالي موبايلي تيليفوني تلفوني تليفوني بورطابلي",
    "تطبيق": "ابلكيشن ابليكيشن",
    "التطبيق": "الابليكيشن الابلكيشن الابليكاسيون لابليكاسيون لابلي الابلي",
    "لي": "ليا",
    "لك": "ليك",
    "قال لي": "قالي",
    "يقول لي": "كيقولي",
    "علي": "عليا",
    "بها": "بيها",
    "بهم": "بيهم",
    # "mine", "yours", "of", "so that"
    "خاصتي": "تبعي تاعي ديالي حقي حقتي بتاعي بتاعتي",
    "خاصتك": "تبعك تاعك ديالك حقتك بتاعك بتاعتك",
    "خاصتنا": "تبعنا تاعنا ديالنا بتاعنا",
    "خاصتكم": "تبعكم تاعكم ديالكم بتاعكم",
    "خاص": "ديال د حقت",
    "لكي": "عشان علشان مشان باش",
}
# A normalized dialect word -> its standard form.
DIALECT_WORDS = {word: standard for standard, words in _GROUPS.items() for word in words.split()}
# Loans of two words, as people write them in the Gulf and the Levant: standard form ->
# the pairs, a comma between two.
_PAIRS = {
    "تعبيه": "توب اب",
    "التعبيه": "التوب اب",
    "خصم مباشر": "دايركت ديبت, ديركت ديبت",
    "الخصم المباشر": "الدايركت ديبت",
    "بطاقه افتراضيه": "فيرتشوال كارد, فيرتوال كارد",
    "البطاقه الافتراضيه": "الفيرتشوال كارد, الفيرتوال كارد",
    "بطاقه خصم": "ديبت كارد, دبت كارد",
    "بطاقه ايتمان": "كريدت كارد, كريديت كارد",
    "رقم التعريف الشخصي": "بن كود, البن كود, code pin",
    "الرقم السري": "الكود السري",
    "رقم سري": "كود سري",
    "معلق": "en attente, en cours",
    "بدون تلامس": "sans contact",
    "الصرف": "دو شونج, de change",
    "بطاقه الهويه": "لاكارط ناسيونال, الكارط ناسيونال, لاكارت ناسيونال",
}
# A normalized pair of dialect words -> its standard form.
DIALECT_PAIRS = {tuple(pair.split()): standard for standard, pairs in _PAIRS.items()
                 for pair in pairs.split(", ")}
# English words typed among Arabic ones ("الrate غلط", "التحويل failed", "بدي اعمل top
# up"): read so only in a question written mostly in Arabic letters, since an English
# question keeps every word of its own (see standard_words). Standard form -> words.
_ENGLISH_GROUPS = {
    "رسوم": "fee fees commission",
    "سعر": "rate",
    "صرف": "exchange",
    "محظور": "blocked locked",
    "حظر": "block",
    "الصراف": "atm gab dab",
    "الغي الحظر": "unblock unlock",
    "رفض": "declined decline rejected refused",
    "فشل": "failed fail failure",
    "معلق": "pending",
    "تعبيه": "topup",
    "تحويل": "transfer",
    "تحويلات": "transfers",
    "حولت": "transferred",
    "افتراضيه": "virtual",
    "فعليه": "physical",
    "بطاقه": "card",
    "بطاقات": "cards",
    "رقم التعريف الشخصي": "pin",
    "التطبيق": "app",
    "استرداد": "refund",
    "نقدي": "cash",
    "حساب": "account",
    "رصيد": "balance",
    "الغاء": "cancel cancellation",
    "الغيت": "cancelled canceled",
    "خطا": "error",
    "خاطي": "wrong",
    "حد": "limit",
    "حدود": "limits",
    "التحقق": "verification verify",
    "الهويه": "identity id",
    "كشف الحساب": "statement",
    "الدفع": "payment",
    "تفعيل": "activate activation",
    "تحديث": "update",
    "خصم": "debit deducted",
    "الراتب": "salary",
    "كلمه المرور": "passcode password",
    "سحب": "withdrawal withdraw",
    "فيزا": "visa",
    "ماستركارد": "mastercard",
    "مستفيد": "beneficiary",
    "الانترنت": "online",
    "العملات": "currencies",
    "عمله": "currency",
    "معامله": "transaction",
    "تتبع": "tracking",
    "التسليم": "delivery",
    "مرتين": "twice",
    "تلقاييه": "auto automatic",
    "اضافيه": "extra",
    "سرقت": "stolen",
    "فقدت": "lost",
    "مخترقه": "hacked",
}
_ENGLISH_PAIRS = {
    "تعبيه": "top up",
    "سعر الصرف": "exchange rate",
    "خصم مباشر": "direct debit",
    "بطاقه خصم": "debit card",
    "بطاقه ايتمان": "credit card",
    "بطاقه افتراضيه": "virtual card",
    "بطاقه فعليه": "physical card",
    "رقم التعريف الشخصي": "pin code",
    "ماستركارد": "master card",
    "ابل باي": "apple pay",
    "جوجل باي": "google pay",
    "امريكان اكسبريس": "american express",
    "تحويل مصرفي": "bank transfer",
    "سحب نقدي": "cash withdrawal",
    "بطاقه الهويه": "id card",
}
# A normalized English word, and pair, -> its standard form among Arabic words.
ENGLISH_WORDS = {word: standard for standard, words in _ENGLISH_GROUPS.items()
                 for word in words.split()}
ENGLISH_PAIRS = {tuple(pair.split()): standard for standard, pair in _ENGLISH_PAIRS.items()}
_ARABIC_LETTER = re.compile("[ء-ي]")
_LATIN_LETTER = re.compile("[a-z]")
CLITICS = frozenset("وبلفك")
# A one-letter clitic is read off a word of at least this many letters: "بد" ("لا بد") is
# not ب and the Maghrebi د.
MIN_CLITIC_WORD = 3
# Levantine and Gulf contractions of a word before the article: "عالكرت" is "على الكرت",
# "هالشهر" is "هذا الشهر".
CONTRACTIONS = {"عال": "علي", "هال": "هذا"}
# "ما...ش" (Maghrebi, Egyptian) and Egyptian "مب...ش", "مو...ش" around a word of at least two
# letters, or "ما" then a word ending in "ش".
_WRAPPED_NEGATION = re.compile(r"^(?:ما|م(?=[بو]))(\w{2,})ش$")
_NEGATED = re.compile(r"^(\w{2,})ش$")
# A dialect word of at least this many letters after "ما" is negated even without the
# closing ش ("ماخدامه"); shorter ones are most often part of another word ("ماليه" is
# "financial", not "ما" and "ليه").
MIN_NEGATED = 4
# A dialect word of at least this many letters after the Maghrebi د "of" is read so
# ("دلاكارط"); shorter ones make other words ("دوش", "دمو").
MIN_OF = 3


def standard_words(words: Sequence[str]) -> list[str]:
    """The standard form of each normalized word (see standard_word), in place: the word
    after a separate "ما" loses the "ش" that closes the negation, and the "ما" becomes "لا";
    a pair of dialect words ("توب اب") becomes its standard form and an empty word. Among
    Arabic words, English ones are read in Arabic too (see _ENGLISH_GROUPS)."""
    english = _among_arabic(words)
    standard: list[str] = []
    for i, word in enumerate(words):
        if len(standard) > i:  # the second word of a pair
            continue
        pair = _standard_pair(word, words[i + 1], english) if i + 1 < len(words) else None
        if pair is not None:
            standard += [_after_article(standard, pair), ""]
            continue
        if english and word in ENGLISH_WORDS:
            standard.append(_after_article(standard, ENGLISH_WORDS[word]))
            continue
        negated = _NEGATED.match(word) if i and words[i - 1] == "ما" else None
        if negated:
            standard[-1] = "لا"
            word = negated.group(1)
        standard.append(standard_word(word))
    return standard


def _after_article(standard: list[str], word: str) -> str:
    """`word` with the article typed apart before it ("ال card": "البطاقه"), which then
    leaves `standard`; a form of several words drops that article ("الـ PIN": "رقم
    التعريف الشخصي")."""
    if not standard or standard[-1] != "ال":
        return word
    standard[-1] = ""
    return word if " " in word or word.startswith("ال") else "ال" + word


def _among_arabic(words: Sequence[str]) -> bool:
    """Whether English words here are typed into an Arabic question: it has at least as
    many words in Arabic letters as in Latin ones."""
    arabic = sum(bool(_ARABIC_LETTER.search(word)) for word in words)
    return arabic > 0 and arabic >= sum(bool(_LATIN_LETTER.search(word)) for word in words)


def standard_word(word: str) -> str:
    """The standard form of a normalized word, also after a one-letter clitic (و "and", ب
    "with", ل "for", ف "in", ك "like"), with the Maghrebi article ل ("لبلايص": "البلايص"),
    after the Maghrebi د "of" ("دالشونج": "خاص الصرف") or in a contraction ("عالكرت": "علي
    البطاقه");
    a wrapped negation becomes "لا" and its word, as does a dialect word after a Maghrebi
    "ما" that leaves out the closing ش ("ماخدامه": "لا تعمل")."""
    standard = DIALECT_WORDS.get(word)
    if standard is not None:
        return standard
    if _has_clitic(word) and word[1:] in DIALECT_WORDS:
        return _with_clitic(word[0], DIALECT_WORDS[word[1:]])
    if word[:3] in CONTRACTIONS and "ال" + word[3:] in DIALECT_WORDS:
        return CONTRACTIONS[word[:3]] + " " + DIALECT_WORDS["ال" + word[3:]]
    if word[:1] == "ل" and "ا" + word in DIALECT_WORDS:
        return DIALECT_WORDS["ا" + word]
    if (word[:2] == "لل" and len(word) - 2 >= MIN_STEM  # ل + ال is written لل; "للتو" stays
            and "ا" + word[1:] in DIALECT_WORDS):
        return _with_clitic("ل", DIALECT_WORDS["ا" + word[1:]])
    if word[:1] == "د" and len(word) - 1 >= MIN_OF and word[1:] in DIALECT_WORDS:
        return DIALECT_WORDS["ديال"] + " " + DIALECT_WORDS[word[1:]]
    negated = _WRAPPED_NEGATION.match(word)
    if negated:
        return "لا " + standard_word(negated.group(1))
    if word.startswith("ما") and len(word) - 2 >= MIN_NEGATED and word[2:] in DIALECT_WORDS:
        return "لا " + DIALECT_WORDS[word[2:]]
    return word


def _standard_pair(first: str, second: str, english: bool = False) -> str | None:
    """The standard form of two words that are one dialect loan ("توب اب": "تعبيه"), also
    after a one-letter clitic ("بالتوب اب": "بالتعبيه"), or, if `english`, two English
    words of one meaning ("top up"), else None."""
    standard = DIALECT_PAIRS.get((first, second))
    if standard is None and english:
        standard = ENGLISH_PAIRS.get((first, second))
    if standard is not None:
        return standard
    if _has_clitic(first) and (first[1:], second) in DIALECT_PAIRS:
        return _with_clitic(first[0], DIALECT_PAIRS[first[1:], second])
    return None


def _has_clitic(word: str) -> bool:
    """Whether `word` may be a one-letter clitic on a word (see CLITICS)."""
    return word[:1] in CLITICS and len(word) >= MIN_CLITIC_WORD


def _with_clitic(clitic: str, standard: str) -> str:
    """A standard form with the clitic in front: ل + ال is written لل."""
    if clitic == "ل" and standard.startswith("ال"):
        return "ل" + standard[1:]
    return clitic + standard


# What a word the knowledge base does not know may be made of: the conjunctions و and ف;
# dialect verb prefixes (Maghrebi progressive ك, كا, تا and future غا, Egyptian passive ات
# and Levantine ان, Egyptian and Levantine future ه, ح and indicative ب, Maghrebi passive
# ت), the preposition ل and the Levantine ع ("on": "عحسابي"); object pronouns, the plural
# and the closing ش of a negation.
CONJUNCTIONS = ("و", "ف")
PREFIXES = ("كا", "تا", "غا", "ات", "ان", "ك", "ه", "ح", "ب", "ت", "ل", "ع")
SUFFIXES = ("ها", "هم", "ه", "ني", "لي", "ك", "ش", "ون", "وا")
MIN_STEM = 3


def readings(word: str) -> list[str]:
    """What a dialect word form may stand for, fewest letters changed first: without a
    conjunction, the negation around it, a prefix or a suffix, with the Levantine and
    Egyptian "your" كو as the standard كم ("عندكو": "عندكم"), without the Maghrebi plural
    و (or with the standard ون), with the Maghrebi past "ات" of "she" as the standard "ت"
    ("وصلات": "وصلت", "ما قبلاتش": "قبلت"), and with the Maghrebi first person ن as the
    standard ا ("نبدل": "ابدل"), the article of a contraction without its word
    ("عالرصيد": "الرصيد"), and the standard form of a dialect word that keeps its first
    letters ("ابيه": "ابي", "اريد"). Most are not words at all; whoever asks keeps the first
    one it knows."""
    starts = [(0, word)]
    if word[:1] in CONJUNCTIONS and len(word) > MIN_STEM:
        starts.append((1, word[1:]))
    if word[:3] in CONTRACTIONS and len(word) - 3 >= MIN_STEM:
        starts.append((1, "ال" + word[3:]))
    for cost, start in list(starts):  # the Egyptian negation م...ش ("مظهرش": "ظهر")
        if start.startswith("م") and start.endswith("ش") and len(start) - 2 >= MIN_STEM:
            starts.append((cost + 2, start[1:-1]))
    stems = []  # (cost, stem, whether it keeps the start of the word)
    for cost, start in starts:
        stems.append((cost, start, True))
        stems += [(cost + len(prefix), start[len(prefix):], False) for prefix in PREFIXES
                  if start.startswith(prefix) and len(start) - len(prefix) >= MIN_STEM]
    forms = []
    for cost, stem, whole in stems:
        endings = [(cost, stem)]
        if stem.endswith("كو") and len(stem) > MIN_STEM:  # Levantine, Egyptian "your" (plural)
            endings.append((cost + 1, stem[:-1] + "م"))
        if stem.endswith("و") and len(stem) > MIN_STEM:
            endings += [(cost + 1, stem[:-1]), (cost + 1, stem + "ن")]
        endings += [(cost + len(suffix), stem[:-len(suffix)]) for suffix in SUFFIXES
                    if stem.endswith(suffix) and len(stem) - len(suffix) >= MIN_STEM]
        endings += [(changed + 1, form[:-2] + "ت") for changed, form in endings
                    if form.endswith("ات") and len(form) > MIN_STEM]
        forms += [(changed, form, whole) for changed, form in endings]
        forms += [(changed + 1, "ا" + form[1:], False) for changed, form in endings
                  if form.startswith("ن") and len(form) > MIN_STEM]
    forms.sort(key=lambda form: form[0])
    read = []
    for _, form, whole in forms[1:]:
        read.append(form)
        # A dialect word read off a prefix is most often a piece of another word ("انسان"
        # is not "ان" and "سان", "without").
        standard = DIALECT_WORDS.get(form, "") if whole else ""
        if standard and " " not in standard:  # a reading is one word
            read.append(standard)
    return list(dict.fromkeys(read))
