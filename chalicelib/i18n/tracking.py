"""Words of the customer's tracking page and API: one sentence per public milestone
(``chalicelib/services/tracking.py``), some with the day it promises."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "track.step.received": "报修已受理",
        "track.step.reviewed": "服务主管已审核您的报修",
        "track.step.reviewed.on": "服务主管已审核您的报修，约定处理日期：{on}",
        "track.step.contacted": "服务人员已与您联系",
        "track.step.dispatched": "已安排服务工程师",
        "track.step.on_the_way": "服务工程师已出发，正在前往现场",
        "track.step.arrived": "服务工程师已到达现场",
        "track.step.repair_started": "开始维修",
        "track.step.resolved": "故障已排除",
        "track.step.paused": "处理暂停",
        "track.step.resumed": "处理继续",
        "track.step.acceptance_signed": "验收单已提交",
        "track.step.completed": "服务完成",
        "track.step.cancelled": "服务单已取消",
        "track.step.quote_sent": "报价单已发送，请查看并确认",
        "track.step.quote_approved": "客户已确认报价（服务协议已签订）",
        "track.step.quote_declined": "客户已拒绝报价",
        "track.step.parts_expected": "备件已订购",
        "track.step.parts_expected.on": "备件已订购，预计 {on} 到货",
        "track.step.parts_shipped": "备件已发货",
        "track.step.parts_received": "备件已到达",
        "track.step.loaner_issued": "已提供备用机",
        "track.step.loaner_returned": "备用机已归还",
        "track.step.survey_sent": "已发送满意度调查",
        "track.step.survey_answered": "您已提交满意度评价",
        "track.step.complaint_recorded": "投诉已登记",
        "track.step.reply_promised": "我们将答复您的投诉",
        "track.step.reply_promised.on": "我们将在 {on} 前答复您的投诉",
        "track.step.resolution_agreed": "已与您商定处理方案",
        "track.step.complaint_closed": "投诉已处理完毕",
        "track.step.information_added": "您补充了信息",
        "track.add.title": "补充信息或照片",
        "track.add.hint": "想起新的情况，或有新的照片？补充在这里，服务人员会看到。",
        "field.note": "补充说明",
        "track.add.submit": "提交补充",
        "track.add.done": "已收到您补充的信息，服务人员会看到。",
        "track.add.empty": "请填写补充说明或添加照片。",
        "track.add.closed": "服务单已结束，不能再补充信息。如有新的问题，请重新报修。",
        "track.add.limit.ticket": "这张服务单一小时内的补充已达上限（{most} 次）。请在 {minutes} 分钟后再提交；您填写的内容都已保留。",
        "track.add.limit.ip": "从您所在网络提交的补充过多。请在 {minutes} 分钟后再提交；您填写的内容都已保留。",
    },
    "en": {
        "track.step.received": "Request received",
        "track.step.reviewed": "Your request was reviewed by the service supervisor",
        "track.step.reviewed.on": "Your request was reviewed by the service supervisor; agreed date: {on}",
        "track.step.contacted": "We contacted you",
        "track.step.dispatched": "A service engineer was assigned",
        "track.step.on_the_way": "The service engineer is on the way",
        "track.step.arrived": "The service engineer arrived on site",
        "track.step.repair_started": "Repair started",
        "track.step.resolved": "Fault resolved",
        "track.step.paused": "Work paused",
        "track.step.resumed": "Work resumed",
        "track.step.acceptance_signed": "Acceptance form filed",
        "track.step.completed": "Service completed",
        "track.step.cancelled": "Request cancelled",
        "track.step.quote_sent": "Quote sent: please review and approve",
        "track.step.quote_approved": "Customer approved the quote (service agreement signed)",
        "track.step.quote_declined": "Customer declined the quote",
        "track.step.parts_expected": "Parts ordered",
        "track.step.parts_expected.on": "Parts ordered, expected on {on}",
        "track.step.parts_shipped": "Parts shipped",
        "track.step.parts_received": "Parts arrived",
        "track.step.loaner_issued": "Loaner provided",
        "track.step.loaner_returned": "Loaner returned",
        "track.step.survey_sent": "Satisfaction survey sent",
        "track.step.survey_answered": "You answered the satisfaction survey",
        "track.step.complaint_recorded": "Complaint recorded",
        "track.step.reply_promised": "We will reply to your complaint",
        "track.step.reply_promised.on": "We will reply to your complaint by {on}",
        "track.step.resolution_agreed": "Resolution agreed with you",
        "track.step.complaint_closed": "Complaint closed",
        "track.step.information_added": "You added information",
        "track.add.title": "Add information or photos",
        "track.add.hint": "Remembered something, or have new photos? Add them here and our staff will see them.",
        "field.note": "What you want to add",
        "track.add.submit": "Send",
        "track.add.done": "Thank you: what you added is on your request, and our staff will see it.",
        "track.add.empty": "Please write a note or add a photo.",
        "track.add.closed": "This request is finished, so nothing more can be added. For a new problem, please report it again.",
        "track.add.limit.ticket": (
            "This request has had as many additions as it may in one hour ({most}). Please send it again in "
            "{minutes} minutes; everything you typed is kept."
        ),
        "track.add.limit.ip": (
            "Too many additions have come from your network. Please send it again in {minutes} minutes; "
            "everything you typed is kept."
        ),
    },
}


def step_text(lang: str, milestone: str, on: datetime | date | None, *, timezone: str) -> str:
    """A milestone in ``lang``; the day it promises as a local date, when it has one."""
    from chalicelib.i18n import CATALOG as ALL
    from chalicelib.i18n import DEFAULT_LANGUAGE, t

    key = f"track.step.{milestone}"
    if on is not None and f"{key}.on" in ALL.get(lang, ALL[DEFAULT_LANGUAGE]):
        day = on.astimezone(ZoneInfo(timezone)).date() if isinstance(on, datetime) else on
        return t(lang, f"{key}.on", on=day.isoformat())
    return t(lang, key)
