"""A sample phiếu hẹn for the demo, the bench, the tests and the console's preview."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from printer.counter_slip import CounterSlip


def sample_counter_slip(**changes: Any) -> CounterSlip:
    slip = CounterSlip(
        kind="phieu_hen",
        dossier_code="BD-261203-0007",
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh có yếu tố nước ngoài",
        citizen_name="Nguyễn Thị Hồng Nhung",
        documents=(
            "Tờ khai đăng ký khai sinh (bản chính)",
            "Giấy chứng sinh (bản chính)",
            "Giấy tờ tuỳ thân của cha, mẹ (bản sao có chứng thực)",
        ),
        received_on=dt.date(2026, 4, 24),
        due_on=dt.date(2026, 5, 4),
        officer="Lê Văn Hùng",
        counter=5,
        centre_name="Trung tâm Hành chính công tỉnh Bình Dương",
    )
    return replace(slip, **changes)
