"""China's provincial-level divisions, keyed by ISO 3166-2 code.

The province decides in-province vs out-of-province deadlines (000 §4.4.2.1), so the form offers a
closed list instead of free text.
"""

from __future__ import annotations

# code: (Chinese name, English name)
PROVINCES: dict[str, tuple[str, str]] = {
    "CN-BJ": ("北京市", "Beijing"),
    "CN-TJ": ("天津市", "Tianjin"),
    "CN-HE": ("河北省", "Hebei"),
    "CN-SX": ("山西省", "Shanxi"),
    "CN-NM": ("内蒙古自治区", "Inner Mongolia"),
    "CN-LN": ("辽宁省", "Liaoning"),
    "CN-JL": ("吉林省", "Jilin"),
    "CN-HL": ("黑龙江省", "Heilongjiang"),
    "CN-SH": ("上海市", "Shanghai"),
    "CN-JS": ("江苏省", "Jiangsu"),
    "CN-ZJ": ("浙江省", "Zhejiang"),
    "CN-AH": ("安徽省", "Anhui"),
    "CN-FJ": ("福建省", "Fujian"),
    "CN-JX": ("江西省", "Jiangxi"),
    "CN-SD": ("山东省", "Shandong"),
    "CN-HA": ("河南省", "Henan"),
    "CN-HB": ("湖北省", "Hubei"),
    "CN-HN": ("湖南省", "Hunan"),
    "CN-GD": ("广东省", "Guangdong"),
    "CN-GX": ("广西壮族自治区", "Guangxi"),
    "CN-HI": ("海南省", "Hainan"),
    "CN-CQ": ("重庆市", "Chongqing"),
    "CN-SC": ("四川省", "Sichuan"),
    "CN-GZ": ("贵州省", "Guizhou"),
    "CN-YN": ("云南省", "Yunnan"),
    "CN-XZ": ("西藏自治区", "Tibet"),
    "CN-SN": ("陕西省", "Shaanxi"),
    "CN-GS": ("甘肃省", "Gansu"),
    "CN-QH": ("青海省", "Qinghai"),
    "CN-NX": ("宁夏回族自治区", "Ningxia"),
    "CN-XJ": ("新疆维吾尔自治区", "Xinjiang"),
    "CN-HK": ("香港特别行政区", "Hong Kong"),
    "CN-MO": ("澳门特别行政区", "Macao"),
    "CN-TW": ("台湾省", "Taiwan"),
}


def province_name(code: str, lang: str) -> str:
    zh, en = PROVINCES.get(code, (code, code))
    return zh if lang.startswith("zh") else en


def is_in_province(code: str, home_province: str) -> bool:
    return code == home_province
