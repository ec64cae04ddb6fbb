"""Everything the product says to people, in Chinese (default) and English.

One flat catalog per language keeps the two in step: a test checks that both have the same keys.
Pages and messages look strings up with ``t(lang, key, **values)``. Each feature may keep its words in
a module of this package (``FEATURES`` below); they are merged into one catalog on its first look-up
(not at import: a cold start need not load every feature's words before its first request).
"""

from __future__ import annotations

import threading
from typing import Any

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "app.title": "售后服务中心",
        "lang.switch": "English",
        "form.title": "故障报修 / 服务申请",
        "form.intro": "请填写以下信息，带 * 的为必填项。提交后您会收到单号和查询链接。",
        "form.section.customer": "客户信息",
        "form.section.product": "产品信息",
        "form.section.fault": "故障情况",
        "field.customer_name": "客户名称",
        "field.contact_person": "联系人",
        "field.phone": "联系电话",
        "field.phone.hint": "手机或座机；境外号码请加国家代码，如 +852",
        "field.email": "电子邮箱",
        "field.province": "省份",
        "field.province.choose": "请选择省份",
        "field.city": "城市",
        "field.address": "详细地址",
        "field.project_name": "项目名称",
        "field.product_model": "产品型号/规格",
        "field.serial_number": "产品编号（出厂编号）",
        "field.order_number": "订单号/合同号",
        "field.kind": "服务类型",
        "field.description": "故障描述",
        "field.suspected_cause": "可能原因",
        "field.preferred_time": "希望上门时间",
        "field.photos": "现场照片（最多 {max} 张，每张不超过 {mb} MB）",
        "kind.fault": "故障维修",
        "kind.installation": "安装调试指导",
        "kind.maintenance": "维护保养",
        "kind.complaint": "投诉",
        "kind.consultation": "咨询",
        "form.submit": "提交",
        "form.submitting": "正在提交…",
        "form.errors": "请修改标红的内容后再提交。",
        "photo.uploading": "上传中…",
        "photo.progress": "上传中 {percent}%",
        "photo.uploaded": "已上传",
        "photo.remove": "移除",
        "error.required": "此项为必填项。",
        "error.too_long": "内容过长，最多 {max} 个字。",
        "form.chars_max": "最多 {max} 个字",
        "form.chars_left": "还可输入 {left} 个字（最多 {max} 个字）",
        "error.phone_invalid": "电话号码格式不正确，请填写手机号（如 13800138000）或带区号的座机号。",
        "error.email_invalid": "电子邮箱格式不正确。",
        "error.province_unknown": "请选择省份。",
        "error.choice_invalid": "请选择列表中的一项。",
        "error.photos_too_many": "最多只能上传 {max} 张照片。",
        "error.photo_missing": "照片“{name}”没有上传成功，请重新选择。",
        "error.photo_too_large": "照片“{name}”超过 {mb} MB。",
        "error.photo_not_image": "文件“{name}”不是图片（支持 JPG、PNG、WebP、HEIC、GIF）。",
        "error.photo_bad_key": "照片“{name}”无效，请重新上传。",
        "error.invalid": "此项内容无效。",
        "error.unknown_field": "不认识的字段。",
        "error.body_too_large": "提交的内容太大。",
        "error.bad_json": "请求内容不是有效的 JSON。",
        "error.bad_form": "表单内容无法识别，请刷新页面后重试。",
        "error.idempotency_mismatch": "同一个提交编号被用于不同的内容，请刷新页面后重新填写。",
        "error.in_progress": "您的报修正在提交中，请稍候刷新页面。",
        "error.not_found": "没有找到这个页面。",
        "date.placeholder": "年-月-日，如 2026-12-31",
        "datetime.placeholder": "年-月-日 时:分，如 2026-12-31 09:30",
        "error.not_found.tracking": "查询链接无效或已失效。请核对短信或邮件中的链接。",
        "error.server": "系统暂时出现问题，您填写的内容没有丢失，请稍后重试。",
        "error.unavailable": "系统尚未配置完成，暂时无法使用。请稍后再试，或联系服务中心。",
        "error.local_only": "此页面只在本地模式下可用。",
        "confirm.title": "报修已受理",
        "confirm.number": "您的服务单号：",
        "confirm.link": "随时通过此链接查看处理进度：",
        "confirm.notified": "我们已把单号和链接发送到您的手机和邮箱（如有填写）。",
        "confirm.next": "售后服务主管将在 1 小时内与您联系。",
        "track.title": "服务单 {number}",
        "track.status": "当前状态",
        "track.timeline": "处理记录",
        "track.submitted": "提交时间",
        "track.product": "产品",
        "track.photos": "照片",
        "track.survey": "为本次服务打分",
        "track.acceptance_copy": "下载您签字的验收单",
        "track.no_form": "这张服务单还没有归档的验收单。",
        "status.new": "已受理，待分派",
        "status.triaged": "已分类，待派工",
        "status.dispatched": "已派工",
        "status.on_site": "服务人员在现场",
        "status.waiting_on_customer": "等待客户",
        "status.awaiting_approval": "待审核关闭",
        "status.closed": "已完成",
        "status.cancelled": "已取消",
        "event.submit": "报修已受理（{channel}）",
        "event.other": "{summary}",
        "channel.web": "网页",
        "channel.phone": "电话",
        "channel.fax": "传真",
        "channel.email": "邮件",
        "channel.visit": "来访",
        "msg.customer.subject": "【售后服务】报修已受理：{number}",
        "msg.customer.body": (
            "{name}，您好：\n\n您的报修已受理，服务单号 {number}。\n"
            "产品：{model}\n\n随时查看处理进度：{link}\n\n售后服务主管将在 1 小时内与您联系。"
        ),
        "msg.customer.sms": "【售后服务】报修{number}已受理，查看进度：{link}",
        "msg.desk.subject": "新服务单 {number}：{customer}（{province}）{model}",
        # The staff topic's subject: SNS takes ASCII only, so it is the same in every language.
        "msg.desk.subject.ascii": "New ticket {number}",
        "msg.desk.chat": "【售后服务】新服务单 {number}：{customer}（{province}）{model}。处理：{link}",
        "msg.desk.body": (
            "新服务单 {number}\n渠道：{channel}\n类型：{kind}\n客户：{customer}\n联系人：{contact}\n"
            "电话：{phone}\n邮箱：{email}\n地址：{province} {city} {address}\n项目：{project}\n产品：{model}\n"
            "产品编号：{serial}\n订单号：{order}\n故障描述：{description}\n可能原因：{cause}\n"
            "希望上门时间：{preferred}\n照片：{photos} 张\n\n"
            "请在 1 小时内联系报修人。\n打开服务单：{staff_link}"
        ),
        "outbox.title": "本地发件箱",
        "outbox.intro": "本地模式下系统发出的全部邮件和短信（来自本地 AWS 模拟服务），最新的在前。",
        "outbox.empty": "还没有发出任何消息。",
        "outbox.older": "更早的消息 →",
        "outbox.newer": "← 较新的消息",
        "outbox.email": "邮件",
        "outbox.sms": "短信",
        "outbox.to": "收件人",
        "outbox.from": "发件人",
        "outbox.subject": "主题",
        "outbox.topic": "主题订阅",
        "clock.title": "本地时钟",
        "clock.intro": "把系统时间往前拨，观察时限预警和逐级升级，不必真的等几个小时。定时任务按同一时钟运行。",
        "clock.now": "系统当前时间",
        "clock.offset": "已拨快",
        "clock.advance": "往前拨（小时）",
        "clock.go": "拨快",
        "clock.reset": "恢复真实时间",
        "clock.jump": "拨到指定时刻（北京时间）",
        "clock.jump_go": "拨到该时刻",
        "clock.bad_moment": "请按“年-月-日 时:分”填写日期和时间，如 2026-12-31 09:30。",
        "clock.not_forward": "时钟只能往前拨：请选择晚于系统当前时间的时刻，或先恢复真实时间。",
        "role.technician": "服务人员",
        "role.supervisor": "售后服务主管",
        "role.chief_engineer": "总工/技术部经理",
        "role.general_manager": "总经理",
        "milestone.escalation_notice": "通报领导",
        "milestone.contacted": "联系报修人",
        "milestone.dispatched": "派工",
        "milestone.on_site": "到达现场",
        "milestone.arrival_reported": "到场汇报",
        "milestone.progress_reported": "每日进度汇报",
        "milestone.resolved": "修复",
        "milestone.loaner_provided": "提供备用机",
        "milestone.acceptance_filed": "验收单归档",
        "milestone.refusal_settled": "客户拒签处理",
        "step.notice": "通报",
        "step.prompt": "待处理",
        "step.warning": "即将超时",
        "step.breach": "已超时",
        "step.latest_breach": "已超过最迟时限",
        "priority.A": "A 特急",
        "priority.B": "B 紧急",
        "priority.C": "C 一般",
        "priority.none": "未分级",
        "deadline.pending": "进行中",
        "deadline.paused": "已暂停",
        "deadline.met": "按时完成",
        "deadline.met_late": "超时完成",
        "deadline.missed": "已超时",
        "deadline.not_started": "未开始",
        "deadline.waived": "不再需要",
        "msg.escalation.subject": "【{level}级 {what}】{number} {milestone}（{priority}）",
        "msg.escalation.subject.owner": "【您负责的时限{what}】{number} {milestone}（{priority}）",
        "msg.escalation.body": (
            "{role}：\n\n服务单 {number}（{priority}）的“{milestone}”{what}。\n"
            "期限：{due}{late}；依据：{rule}\n客户：{customer}（{province}）\n产品：{model}\n故障：{description}\n\n"
            "查看并认领：{link}\n认领后将停止继续向上级升级。"
        ),
        "msg.notice.subject": "【{priority}服务单通报】{number} {customer}（{province}）",
        "msg.notice.body": (
            "{role}：\n\n{priority}服务单 {number} 已受理，按规定通报您（依据：{rule}）。\n"
            "客户：{customer}（{province}）\n产品：{model}\n故障：{description}\n\n查看详情：{link}"
        ),
        "msg.notice.sms": "【售后服务】{priority}服务单{number}通报：{customer}（{province}）{model}。详情：{link}",
        # Shorter wordings, for when the one above would not fit one message (chalicelib/domain/sms.py).
        "msg.notice.short.sms": "【售后服务】{priority}{number}，{province}{model}：{link}",
        "msg.notice.shortest.sms": "【售后服务】{priority}{number}，{province}：{link}",
        "msg.escalation.sms": "【售后服务】{number}“{milestone}”{what}：{link}",
        "step.late": "，已超时 {late}",
        "ack.title": "服务单 {number}",
        "ack.intro": "您收到此链接是因为：{level} 级（{role}）。",
        "ack.intro.owner": "您收到此链接是因为：这是您负责的时限（{role}）。",
        "ack.take": "我来处理（认领此超时）",
        "ack.done": "已认领，{name}。不会再向上级升级此超时。",
        "ack.already": "此超时已有人认领。",
        "ack.take.ahead": "我来处理（认领此时限）",
        "ack.done.ahead": "已认领，{name}。已记入服务单记录；此时限若仍超时，照常告知上级。",
        "ack.already.ahead": "此时限已有人认领。",
        "ack.take.notice": "我来处理（认领此服务单）",
        "ack.done.notice": "已认领，{name}。已记入服务单记录。",
        "ack.already.notice": "此通报已有人认领。",
        "ack.bad_link": "此链接无效或已过期。",
        "ack.busy": "服务单正在被他人修改，尚未认领，请再点一次。",
        "ack.schedule": "服务时限",
        "ack.timeline": "全部记录",
        "ack.col.milestone": "环节",
        "ack.col.target": "时限",
        "ack.col.due": "截止",
        "ack.col.met": "完成",
        "ack.col.state": "状态",
        "ack.col.why": "计算依据",
        "ack.customer": "客户",
        "ack.priority": "等级",
        "ack.plan": "服务方案",
    },
    "en": {
        "app.title": "After-sales Service Desk",
        "lang.switch": "中文",
        "form.title": "Report a fault / request service",
        "form.intro": "Please fill in the form; fields marked * are required. You will get a ticket number and a tracking link.",
        "form.section.customer": "Customer",
        "form.section.product": "Product",
        "form.section.fault": "The fault",
        "field.customer_name": "Customer name",
        "field.contact_person": "Contact person",
        "field.phone": "Phone",
        "field.phone.hint": "Mobile or landline; outside mainland China add the country code, e.g. +852",
        "field.email": "Email",
        "field.province": "Province",
        "field.province.choose": "Choose a province",
        "field.city": "City",
        "field.address": "Address",
        "field.project_name": "Project name",
        "field.product_model": "Product model / spec",
        "field.serial_number": "Serial number",
        "field.order_number": "Order / contract number",
        "field.kind": "Type of request",
        "field.description": "Fault description",
        "field.suspected_cause": "Suspected cause",
        "field.preferred_time": "Preferred visit time",
        "field.photos": "Photos (up to {max}, at most {mb} MB each)",
        "kind.fault": "Fault / repair",
        "kind.installation": "Installation & commissioning guidance",
        "kind.maintenance": "Maintenance",
        "kind.complaint": "Complaint",
        "kind.consultation": "Question",
        "form.submit": "Submit",
        "form.submitting": "Submitting…",
        "form.errors": "Please correct the fields marked in red.",
        "photo.uploading": "Uploading…",
        "photo.progress": "Uploading… {percent}%",
        "photo.uploaded": "Uploaded",
        "photo.remove": "Remove",
        "error.required": "This field is required.",
        "error.too_long": "Too long: at most {max} characters.",
        "form.chars_max": "At most {max} characters",
        "form.chars_left": "{left} characters left (at most {max})",
        "error.phone_invalid": "This is not a valid phone number. Enter a mobile (e.g. 13800138000), a landline with area code, or an international number with +.",
        "error.email_invalid": "This is not a valid email address.",
        "error.province_unknown": "Please choose a province.",
        "error.choice_invalid": "Please choose one of the options.",
        "error.photos_too_many": "At most {max} photos.",
        "error.photo_missing": "The photo “{name}” did not finish uploading; please choose it again.",
        "error.photo_too_large": "The photo “{name}” is larger than {mb} MB.",
        "error.photo_not_image": "The file “{name}” is not a picture (JPG, PNG, WebP, HEIC or GIF).",
        "error.photo_bad_key": "The photo “{name}” is not valid; please upload it again.",
        "error.invalid": "This value is not valid.",
        "error.unknown_field": "Unknown field.",
        "error.body_too_large": "The request is too large.",
        "error.bad_json": "The request body is not valid JSON.",
        "error.bad_form": "The form could not be read; please reload the page and try again.",
        "error.idempotency_mismatch": "This submission key was already used for different content; reload the page and fill it in again.",
        "error.in_progress": "Your report is still being submitted; please refresh the page in a moment.",
        "error.not_found": "Page not found.",
        "date.placeholder": "year-month-day, e.g. 2026-12-31",
        "datetime.placeholder": "year-month-day hour:minute, e.g. 2026-12-31 09:30",
        "error.not_found.tracking": "This tracking link is not valid. Please check the link in your SMS or email.",
        "error.server": "Something went wrong on our side. Nothing you entered is lost; please try again shortly.",
        "error.unavailable": "The service desk is not fully set up yet. "
        "Please try again later or call the service desk.",
        "error.local_only": "This page exists only in local mode.",
        "confirm.title": "We have your request",
        "confirm.number": "Your ticket number:",
        "confirm.link": "Follow its progress at any time here:",
        "confirm.notified": "We sent the number and link to your phone and email (where given).",
        "confirm.next": "A service supervisor will contact you within 1 hour.",
        "track.title": "Ticket {number}",
        "track.status": "Status",
        "track.timeline": "Timeline",
        "track.submitted": "Submitted",
        "track.product": "Product",
        "track.photos": "Photos",
        "track.survey": "Rate our service",
        "track.acceptance_copy": "Download the acceptance form you signed",
        "track.no_form": "This ticket has no filed acceptance form yet.",
        "status.new": "Received, awaiting dispatch",
        "status.triaged": "Classified, awaiting dispatch",
        "status.dispatched": "Technician dispatched",
        "status.on_site": "Technician on site",
        "status.waiting_on_customer": "Waiting for you",
        "status.awaiting_approval": "Awaiting closure approval",
        "status.closed": "Completed",
        "status.cancelled": "Cancelled",
        "event.submit": "Request received ({channel})",
        "event.other": "{summary}",
        "channel.web": "web",
        "channel.phone": "phone",
        "channel.fax": "fax",
        "channel.email": "email",
        "channel.visit": "visit",
        "msg.customer.subject": "We received your service request {number}",
        "msg.customer.body": (
            "Dear {name},\n\nWe received your service request. Your ticket number is {number}.\n"
            "Product: {model}\n\nFollow its progress at any time: {link}\n\n"
            "A service supervisor will contact you within 1 hour."
        ),
        "msg.customer.sms": "[Service desk] Request received, ticket {number}. Track it: {link}",
        "msg.desk.subject": "New ticket {number}: {customer} ({province}) {model}",
        "msg.desk.subject.ascii": "New ticket {number}",
        "msg.desk.chat": "[Service desk] New ticket {number}: {customer} ({province}) {model}. Open: {link}",
        "msg.desk.body": (
            "New ticket {number}\nChannel: {channel}\nKind: {kind}\nCustomer: {customer}\nContact: {contact}\n"
            "Phone: {phone}\nEmail: {email}\nAddress: {province} {city} {address}\nProject: {project}\n"
            "Product: {model}\nSerial number: {serial}\nOrder number: {order}\nDescription: {description}\n"
            "Suspected cause: {cause}\nPreferred time: {preferred}\nPhotos: {photos}\n\n"
            "Contact the reporter within 1 hour.\nOpen the ticket: {staff_link}"
        ),
        "outbox.title": "Local outbox",
        "outbox.intro": "Every email and SMS the system sent in local mode (read from the local AWS stand-in), newest first.",
        "outbox.empty": "Nothing has been sent yet.",
        "outbox.older": "Older messages →",
        "outbox.newer": "← Newer messages",
        "outbox.email": "Email",
        "outbox.sms": "SMS",
        "outbox.to": "To",
        "outbox.from": "From",
        "outbox.subject": "Subject",
        "outbox.topic": "Topic",
        "clock.title": "Local clock",
        "clock.intro": "Move the system's time forward to watch deadlines warn and escalate without waiting hours. The scheduled jobs follow the same clock.",
        "clock.now": "System time now",
        "clock.offset": "Ahead by",
        "clock.advance": "Move forward (hours)",
        "clock.go": "Move forward",
        "clock.reset": "Back to real time",
        "clock.jump": "Move to a moment (service time)",
        "clock.jump_go": "Move to it",
        "clock.bad_moment": "Type the date and time as year-month-day hour:minute, e.g. 2026-12-31 09:30.",
        "clock.not_forward": "The clock only moves forward: pick a moment after the system time now, or go back to real time first.",
        "role.technician": "technician",
        "role.supervisor": "service supervisor",
        "role.chief_engineer": "chief engineer",
        "role.general_manager": "general manager",
        "milestone.escalation_notice": "leaders told",
        "milestone.contacted": "contact the reporter",
        "milestone.dispatched": "dispatch",
        "milestone.on_site": "on site",
        "milestone.arrival_reported": "arrival report",
        "milestone.progress_reported": "daily progress report",
        "milestone.resolved": "resolved",
        "milestone.loaner_provided": "loaner provided",
        "milestone.acceptance_filed": "acceptance form filed",
        "milestone.refusal_settled": "customer's refusal to sign settled",
        "step.notice": "notice",
        "step.prompt": "now owed",
        "step.warning": "due soon",
        "step.breach": "missed",
        "step.latest_breach": "missed its outer limit",
        "priority.A": "A critical",
        "priority.B": "B urgent",
        "priority.C": "C general",
        "priority.none": "not classified",
        "deadline.pending": "running",
        "deadline.paused": "paused",
        "deadline.met": "met",
        "deadline.met_late": "met late",
        "deadline.missed": "missed",
        "deadline.not_started": "not started",
        "deadline.waived": "no longer owed",
        "msg.escalation.subject": "[Level {level} {what}] {number} {milestone} ({priority})",
        "msg.escalation.subject.owner": "[Your deadline {what}] {number} {milestone} ({priority})",
        "msg.escalation.body": (
            "{role}:\n\nTicket {number} ({priority}): \"{milestone}\" {what}.\n"
            "Due: {due}{late}; rule: {rule}\nCustomer: {customer} ({province})\nProduct: {model}\nFault: {description}\n\n"
            "Open and take it: {link}\nTaking it stops further escalation."
        ),
        "msg.notice.subject": "[{priority} job notice] {number} {customer} ({province})",
        "msg.notice.body": (
            "{role}:\n\n{priority} job {number} has been received; you are told of it by rule ({rule}).\n"
            "Customer: {customer} ({province})\nProduct: {model}\nFault: {description}\n\nDetails: {link}"
        ),
        "msg.notice.sms": "[Service desk] {priority} job {number}: {customer} ({province}) {model}. Details: {link}",
        "msg.notice.short.sms": "[Service desk] {priority} {number}, {province} {model}: {link}",
        "msg.notice.shortest.sms": "[Service desk] {priority} {number}, {province}: {link}",
        "msg.escalation.sms": "[Service desk] {number} {milestone} {what}. Take it: {link}",
        "step.late": ", {late} late",
        "ack.title": "Ticket {number}",
        "ack.intro": "You got this link as level {level} ({role}).",
        "ack.intro.owner": "You got this link because this deadline is yours ({role}).",
        "ack.take": "I'll take it (acknowledge this breach)",
        "ack.done": "Taken by {name}. This breach will not escalate further.",
        "ack.already": "Someone already took this breach.",
        "ack.take.ahead": "I'll take it (own this deadline)",
        "ack.done.ahead": "Taken by {name}. Recorded on the ticket's timeline; if this deadline is still missed, "
        "the levels above are told as usual.",
        "ack.already.ahead": "Someone already took this deadline.",
        "ack.take.notice": "I'll take it (own this job)",
        "ack.done.notice": "Taken by {name}. Recorded on the ticket's timeline.",
        "ack.already.notice": "Someone already took this notice.",
        "ack.bad_link": "This link is not valid or has expired.",
        "ack.busy": "Others are changing this ticket right now; nothing was taken yet. Please press again.",
        "ack.schedule": "Deadlines",
        "ack.timeline": "Full timeline",
        "ack.col.milestone": "Milestone",
        "ack.col.target": "Target",
        "ack.col.due": "Due",
        "ack.col.met": "Met",
        "ack.col.state": "State",
        "ack.col.why": "Why",
        "ack.customer": "Customer",
        "ack.priority": "Priority",
        "ack.plan": "Service plan",
    },
}


class _Catalog(dict[str, dict[str, str]]):
    """The words by language; every look-up of a language's words first merges the features' words in
    (once). Whoever holds a language's words got them through one of these look-ups."""

    def __getitem__(self, lang: str) -> dict[str, str]:
        _merge_features()
        return super().__getitem__(lang)

    def get(self, lang: str, default: Any = None) -> Any:
        _merge_features()
        return super().get(lang, default)

    def items(self) -> Any:
        _merge_features()
        return super().items()

    def values(self) -> Any:
        _merge_features()
        return super().values()


CATALOG = _Catalog(CATALOG)

FEATURES = (
    "staff", "technician", "supervisor", "billing", "reports", "archive", "aftercare", "sla", "timeline", "tracking",
    "guards", "dispatch", "search", "staff_api",
)


_merged = False
_merging = threading.Lock()  # the sweep's workers may look words up at the same moment


def _merge_features() -> None:
    global _merged
    if _merged:
        return
    with _merging:
        if _merged:
            return
        import importlib

        for name in FEATURES:
            feature = importlib.import_module(f"{__name__}.{name}").CATALOG
            for lang, words in feature.items():
                own = dict.__getitem__(CATALOG, lang)
                clash = own.keys() & words.keys()
                if clash:
                    raise ValueError(f"i18n keys defined twice: {sorted(clash)}")
                own.update(words)
        _merged = True


def normalize_language(value: str | None) -> str:
    """Accepts what browsers and users send ("en-US", "zh", "EN") and falls back to Chinese."""
    if not value:
        return DEFAULT_LANGUAGE
    value = value.strip().lower()
    if value.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def t(lang: str, key: str, **values: Any) -> str:
    text = CATALOG.get(lang, CATALOG[DEFAULT_LANGUAGE]).get(key) or CATALOG[DEFAULT_LANGUAGE].get(key, key)
    return text.format(**values) if values else text
