"""Language tags most manifests use, checked and converted without loading langcodes (~25 ms
at start-up, a tenth of `segpack tag`'s).

A bare two-letter ISO 639 code (`en`, `fa`) or one with a two-letter region (`en-US`, `pt-BR`)
is checked against the sets below; any other tag goes to `langcodes.tag_is_valid`, which is
the authority. The sets hold exactly what langcodes accepts in those two shapes, and the
three-letter codes ID3 wants are exactly what langcodes gives (tests compare them code by code),
so the answer never depends on which path gave it.
"""

from __future__ import annotations

LANGUAGES = frozenset("""
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
    hy hz ia id ie ig ii ik in io is it iu iw ja ji jv jw ka kg ki kj kk kl km kn ko kr ks ku kv
    kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne ng nl nn no nr
    nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq
    sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
    yo za zh zu
""".split())
"""Two-letter language subtags langcodes accepts (ISO 639-1, with the deprecated iw, in, ji
and jw it still reads)."""

REGIONS = frozenset("""
    AA AC AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BU BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CP CR CS CT CU CV CW CX CY
    CZ DD DE DG DJ DK DM DO DY DZ EA EC EE EG EH ER ES ET EU EZ FI FJ FK FM FO FQ FR FX GA GB GD
    GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU HV IC ID IE IL IM IN IO IQ
    IR IS IT JE JM JO JP JT KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA
    MC MD ME MF MG MH MI MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NH NI NL
    NO NP NQ NR NT NU NZ OM PA PC PE PF PG PH PK PL PM PN PR PS PT PU PW PY PZ QA QM QN QO QP QQ
    QR QS QT QU QV QW QX QY QZ RE RH RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS
    ST SU SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM TN TO TP TR TT TV TW TZ UA UG UK UM UN US UY
    UZ VA VC VD VE VG VI VN VU WF WK WS XA XB XC XD XE XF XG XH XI XJ XK XL XM XN XO XP XQ XR XS
    XT XU XV XW XX XY XZ YD YE YT YU ZA ZM ZR ZW ZZ
""".split())
"""Two-letter region subtags langcodes accepts (ISO 3166-1 and the reserved/private codes)."""


def quick_answer(tag: str) -> bool | None:
    """True when `tag` is `xx` or `xx-YY` from the sets above; None when langcodes must say."""
    if len(tag) == 2:
        return True if tag in LANGUAGES else None
    if len(tag) == 5 and tag[2] == "-" and tag[:2] in LANGUAGES:
        return True if tag[3:] in REGIONS else None
    return None


ALPHA3 = dict(pair.split(":") for pair in """
    aa:aar ab:abk ae:ave af:afr ak:aka am:amh an:arg ar:ara as:asm av:ava ay:aym az:aze ba:bak
    be:bel bg:bul bh:bih bi:bis bm:bam bn:ben bo:bod br:bre bs:bos ca:cat ce:che ch:cha co:cos
    cr:cre cs:ces cu:chu cv:chv cy:cym da:dan de:deu dv:div dz:dzo ee:ewe el:ell en:eng eo:epo
    es:spa et:est eu:eus fa:fas ff:ful fi:fin fj:fij fo:fao fr:fra fy:fry ga:gle gd:gla gl:glg
    gn:grn gu:guj gv:glv ha:hau he:heb hi:hin ho:hmo hr:hrv ht:hat hu:hun hy:hye hz:her ia:ina
    id:ind ie:ile ig:ibo ii:iii ik:ipk in:ind io:ido is:isl it:ita iu:iku iw:heb ja:jpn ji:yid
    jv:jav jw:jav ka:kat kg:kon ki:kik kj:kua kk:kaz kl:kal km:khm kn:kan ko:kor kr:kau ks:kas
    ku:kur kv:kom kw:cor ky:kir la:lat lb:ltz lg:lug li:lim ln:lin lo:lao lt:lit lu:lub lv:lav
    mg:mlg mh:mah mi:mri mk:mkd ml:mal mn:mon mo:ron mr:mar ms:msa mt:mlt my:mya na:nau nb:nob
    nd:nde ne:nep ng:ndo nl:nld nn:nno no:nor nr:nbl nv:nav ny:nya oc:oci oj:oji om:orm or:ori
    os:oss pa:pan pi:pli pl:pol ps:pus pt:por qu:que rm:roh rn:run ro:ron ru:rus rw:kin sa:san
    sc:srd sd:snd se:sme sg:sag sh:srp si:sin sk:slk sl:slv sm:smo sn:sna so:som sq:sqi sr:srp
    ss:ssw st:sot su:sun sv:swe sw:swa ta:tam te:tel tg:tgk th:tha ti:tir tk:tuk tl:fil tn:tsn
    to:ton tr:tur ts:tso tt:tat tw:twi ty:tah ug:uig uk:ukr ur:urd uz:uzb ve:ven vi:vie vo:vol
    wa:wln wo:wol xh:xho yi:yid yo:yor za:zha zh:zho zu:zul
""".split())
"""The ISO 639-2/T code of each language above, as `langcodes.Language.get(x).to_alpha3()`
gives it (deprecated codes map as langcodes maps them: iw -> heb, tl -> fil)."""

FROM_ALPHA3 = {three: two for two, three in ALPHA3.items()
               if two not in ("in", "iw", "ji", "jw", "mo", "sh", "tl")}
"""Back from a three-letter code to the tag `langcodes.standardize_tag` gives (eng -> en)."""


def quick_alpha3(tag: str) -> str | None:
    """`en-GB` -> `eng` for a tag whose language is two letters from the table; None when
    langcodes must say."""
    return ALPHA3.get(tag[:2]) if quick_answer(tag) else None
