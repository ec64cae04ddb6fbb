"""Words of the notice a technician gets when a job is dispatched to him (SMS and email), and of what his
supervisors are told when an SMS to him could not be sent."""

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "msg.dispatch.priority": "（{priority}）",
        "msg.dispatch.sms": "【售后服务】新派工{priority}：服务单{number}，{customer}（{province}{city}）{model}。查看任务：{link}",
        "msg.dispatch.short.sms": "【售后服务】新派工{priority}{number}，{city}：{link}",
        "msg.dispatch.shortest.sms": "【售后服务】新派工{priority}{number}：{link}",
        "msg.dispatch.subject": "【售后服务】派工通知：{number} {customer}",
        "msg.dispatch.body": (
            "{name}，您好：\n\n服务单 {number} 已派给您{priority}。\n\n"
            "客户：{customer}\n联系人：{contact} {phone}\n地址：{province}{city}{address}\n产品：{model}\n"
            "故障描述：{description}\n\n请尽快联系客户并安排出发。在手机上打开任务（签到、进展、验收）：\n{link}\n"
        ),
        "msg.sms_fallback.subject": "【售后服务】短信未能发给 {who}：服务单 {number}",
        "msg.sms_fallback.body": (
            "{name}，您好：\n\n发给服务人员 {who}（{phone}）的短信未能发出（{error}），请另行转告。短信原文：\n\n{text}\n"
        ),
        "msg.sms_fallback.chat": "【售后服务】短信未能发给 {who}（{phone}），请转告。服务单 {number}：{text}",
    },
    "en": {
        "msg.dispatch.priority": " ({priority})",
        "msg.dispatch.sms": "[Service desk] New job{priority}: {number}, {customer} ({province} {city}) {model}. "
                            "Open it: {link}",
        "msg.dispatch.short.sms": "[Service desk] New job{priority}: {number}, {city}: {link}",
        "msg.dispatch.shortest.sms": "[Service desk] New job{priority}: {number}: {link}",
        "msg.dispatch.subject": "[Service desk] Job dispatched to you: {number} {customer}",
        "msg.dispatch.body": (
            "Hello {name},\n\nTicket {number} has been dispatched to you{priority}.\n\n"
            "Customer: {customer}\nContact: {contact} {phone}\nAddress: {address}, {city}, {province}\n"
            "Product: {model}\nFault: {description}\n\nPlease call the customer and plan your visit. "
            "Open the job on your phone (check-in, progress, acceptance):\n{link}\n"
        ),
        "msg.sms_fallback.subject": "[Service desk] SMS to {who} not sent: ticket {number}",
        "msg.sms_fallback.body": (
            "Hello {name},\n\nAn SMS to technician {who} ({phone}) could not be sent ({error}); please pass it on. "
            "It said:\n\n{text}\n"
        ),
        "msg.sms_fallback.chat": "[Service desk] SMS to {who} ({phone}) not sent, please pass it on. Ticket {number}: {text}",
    },
}
