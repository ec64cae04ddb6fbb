"""Words of the staff API's answers and of the webhook subscriptions (an integration reads them)."""

CATALOG: dict[str, dict[str, str]] = {
    "zh-CN": {
        "error.api.ticket_not_found": "没有这个服务单，或您无权查看。",
        "error.api.move_unknown": "没有这个操作。可用的操作：{moves}。",
        "error.api.move_illegal": "服务单处于“{status}”状态，不能执行此操作。",
        "error.api.stale": "服务单刚被别人修改过，请重新读取后再试。",
        "error.api.query_empty": "请给出查找内容（q）或至少一个筛选条件。",
        "error.api.limit": "每页条数应为 1 到 {most} 之间的整数。",
        "error.api.webhook_not_found": "没有这个 Webhook 订阅。",
        "error.api.webhook_secret": "签名密钥不可用：{detail}。请先在密钥库中存入至少 {min} 个字符的随机密钥。",
    },
    "en": {
        "error.api.ticket_not_found": "No such ticket, or you may not see it.",
        "error.api.move_unknown": "No such move. The moves are: {moves}.",
        "error.api.move_illegal": "The ticket is '{status}': this move is not possible now.",
        "error.api.stale": "Someone changed the ticket just now; read it again and retry.",
        "error.api.query_empty": "Say what to find (q) or give at least one filter.",
        "error.api.limit": "The page size must be a whole number from 1 to {most}.",
        "error.api.webhook_not_found": "No such webhook subscription.",
        "error.api.webhook_secret": "The signing secret is not usable: {detail}. Store a random secret of at "
        "least {min} characters in the secret store first.",
    },
}
