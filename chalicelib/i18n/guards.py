"""Words of the public surface's guards: input no one can act on, and limits on how often."""

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "clock.bad_hours": "请填写 0 到 87840 之间的小时数。",
        "tech.error.signature_too_large": "签字图像超出签字板大小（最大 {width}×{height} 像素），请在本页签字板上重新签字。",
        "error.too_many_reports.phone": (
            "这个电话号码一小时内提交的报修已达上限（{most} 次）。请在 {minutes} 分钟后再提交；"
            "您填写的内容都已保留在下面。情况紧急请直接致电售后服务中心。"
        ),
        "error.too_many_reports.ip": (
            "从您所在网络提交的报修过多。请在 {minutes} 分钟后再提交；您填写的内容都已保留在下面。"
            "情况紧急请直接致电售后服务中心。"
        ),
        "error.photo_in_use": "照片 {name} 已附在另一份报修上，请移除后重新上传。",
        "timeline.sms_withheld.limit": "未发确认短信：该号码今天的确认短信已达上限（邮件照常发送）",
        "timeline.sms_withheld.international": "未发确认短信：境外号码不发短信（邮件照常发送）",
        "error.short_link": "短信里的这个链接已过期或不存在。如需帮助，请致电售后服务中心。",
    },
    "en": {
        "clock.bad_hours": "Enter a number of hours from 0 to 87840.",
        "tech.error.signature_too_large": (
            "The signature image is larger than the signature pad (at most {width}×{height} pixels); "
            "please sign again on this page's pad."
        ),
        "error.too_many_reports.phone": (
            "This phone number has sent as many reports as it may in one hour ({most}). Please send it again "
            "in {minutes} minutes; everything you typed is kept below. If it is urgent, please call the "
            "service centre."
        ),
        "error.too_many_reports.ip": (
            "Too many reports have come from your network. Please send it again in {minutes} minutes; "
            "everything you typed is kept below. If it is urgent, please call the service centre."
        ),
        "error.photo_in_use": "The photo {name} is already attached to another report; remove it and upload it again.",
        "timeline.sms_withheld.limit": (
            "no confirmation SMS: this number has had today's confirmation SMS (email sent as usual)"
        ),
        "timeline.sms_withheld.international": (
            "no confirmation SMS: numbers outside China get none (email sent as usual)"
        ),
        "error.short_link": "This link from an SMS has expired or does not exist. For help, call the service desk.",
    },
}
