"""Parts of a monthly-report build, queued on SQS for the ``report_part`` function (one message each)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.adapters.aws import client
from chalicelib.services.ports import ReportPartJob

BATCH = 10  # SendMessageBatch takes at most ten messages


class SqsReportQueue:
    def __init__(self, queue_url: str):
        self._queue_url = queue_url

    def send(self, jobs: Sequence[ReportPartJob]) -> None:
        sqs = client("sqs")
        for first in range(0, len(jobs), BATCH):
            batch = jobs[first : first + BATCH]
            response = sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(job.index), "MessageBody": job.model_dump_json()} for job in batch],
            )
            if response.get("Failed"):
                failed = ", ".join(f"{f['Id']}: {f.get('Message', f.get('Code'))}" for f in response["Failed"])
                raise RuntimeError(f"report parts not queued ({failed})")
