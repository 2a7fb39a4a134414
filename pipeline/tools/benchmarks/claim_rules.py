"""The bureau's claim rules as the two comparison scripts (pandas_oop.py, polars_oop.py) both
apply them: Chinese headers, the visit types, the required columns, the money columns, the
resident-ID check (GB 11643), the line, and which files of a folder are claims. One list, so the
two scripts cannot drift apart; like them, it does not import oopwatch.
"""

from __future__ import annotations

from pathlib import Path

LINE_CENTS = 1_000_000  # 10,000 yuan: strictly over it is flagged
ZH = {
    "结算流水号": "claim_id",
    "身份证号": "person_id",
    "结算日期": "settle_date",
    "就诊类型": "visit_type",
    "医疗总费用": "total_cost",
    "基本医保统筹支付": "basic_paid",
    "大病保险支付": "critical_paid",
    "医疗救助支付": "assistance_paid",
    "其他保障支付": "other_paid",
    "政策范围内费用": "in_scope_cost",
    "冲销原流水号": "reverses",
}
VISIT_TYPES = ["inpatient", "outpatient", "chronic", "pharmacy", "住院", "普通门诊", "门诊慢特病"]
VISIT_TYPES += ["定点药店购药"]
REQUIRED = ["claim_id", "person_id", "settle_date", "visit_type", "total_cost", "basic_paid"]
REQUIRED += ["critical_paid", "assistance_paid"]
MONEY = ["total_cost", "basic_paid", "critical_paid", "assistance_paid", "other_paid"]
MONEY += ["in_scope_cost"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def claim_files(paths: list[Path]) -> list[Path]:
    """claims*.csv of the folders (sorted, as the bureau's import orders them) and files given."""
    files = []
    for path in paths:
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file())
            files += sorted(p for p in found if p.name.lower().startswith("claims"))
        else:
            files.append(path)
    return files
