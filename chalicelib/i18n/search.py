"""Words of the staff search page (查找服务单)."""

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "search.link": "查找服务单",
        "search.title": "查找服务单",
        "search.q": "单号、电话、产品编号、客户名称或地址",
        "search.q.hint": "电话怎么写都可以（如 138 0013 8000）；名称和地址输入其中连续的两个字以上即可。",
        "search.overdue": "只看已超时",
        "search.submit": "查找",
        "search.none": "没有找到符合条件的服务单。",
        "search.more": "下一页",
        "search.bad_cursor": "翻页链接无效或已过期，请重新查找。",
        "error.query_too_short": "请至少输入 {min} 个字或数字。",
    },
    "en": {
        "search.link": "Find a ticket",
        "search.title": "Find a ticket",
        "search.q": "Ticket number, phone, serial number, customer name or address",
        "search.q.hint": "Type the phone any way (e.g. 138 0013 8000); for names and addresses any two or more "
                         "characters in a row will do.",
        "search.overdue": "Overdue only",
        "search.submit": "Search",
        "search.none": "No ticket matches.",
        "search.more": "Next page",
        "search.bad_cursor": "This page link is invalid or has expired. Please search again.",
        "error.query_too_short": "Type at least {min} letters or digits.",
    },
}
