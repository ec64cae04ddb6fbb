"""Words of the public surface's guards: input no one can act on, and limits on how often."""

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "clock.bad_hours": "请填写 0 到 87840 之间的小时数。",
        "tech.error.signature_too_large": "签字图像超出签字板大小（最大 {width}×{height} 像素），请在本页签字板上重新签字。",
    },
    "en": {
        "clock.bad_hours": "Enter a number of hours from 0 to 87840.",
        "tech.error.signature_too_large": (
            "The signature image is larger than the signature pad (at most {width}×{height} pixels); "
            "please sign again on this page's pad."
        ),
    },
}
