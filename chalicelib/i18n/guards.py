"""Words of the public surface's guards: input no one can act on, and limits on how often."""

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "clock.bad_hours": "请填写 0 到 87840 之间的小时数。",
    },
    "en": {
        "clock.bad_hours": "Enter a number of hours from 0 to 87840.",
    },
}
