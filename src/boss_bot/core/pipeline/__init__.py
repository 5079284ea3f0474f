"""The request pipeline: one link in, files posted (or archived), a summary out. No Discord here.

::

    submit ─► (already posted here? → AlreadyPosted) ─► quota ─► persisted job (queued)
           ─► claimed in fair order ─► downloading ─► compressing ─► uploading ─► succeeded
                                                          (or failed / cancelled at any point)

Where each part lives:

=====================  ===========================================================================
``pipeline.py``        :class:`Pipeline`: what the edges call (submit, wait, cancel, retry, …),
                       building and starting the parts below
``types.py``           the contract with the edges: :class:`Stage`, :class:`Uploader`,
                       :class:`Attachment`, :class:`JobHost`, :class:`JobResult`, …
``scheduler.py``       which job runs next (fair claims, download slots), cancels made elsewhere,
                       worker leases, queue positions
``run.py``             one job from claim to final status: its steps in order, its outcome
``download.py``        step: download the link (progress relayed); keep files in the archive
``fit.py``             step: compress or split what is over the per-file limit
``deliver.py``         step: plan the messages, post them, record each, adapt to a 413
``plan.py``            which files go in which message (pure), the idempotent send's nonce
``records.py``         what is recorded for each posted file
``recovery.py``        jobs this process did not submit: restarts, retries, expired leases
``held.py``            the jobs this process holds, shared by all of the above
``context.py``         :class:`JobRun`, what one job's steps pass along
=====================  ===========================================================================

* **Persisted first.** :meth:`Pipeline.submit` writes the job to the store's queue before any
  work starts; the scheduler claims it when a download slot is free.
* **Cancel from anywhere.** Every ~1 s the scheduler reads the status of the jobs this process
  holds; a job cancelled in the database (``bossctl queue cancel``) has its task cancelled: the
  download manager kills the tool's processes and everything in the job's directory goes.
* **Restarts.** Jobs that were running are queued again (``resumed``) after their partial files
  are removed; every job still active is handed to the :class:`JobHost` (the bot), which tells
  its user and says where its files go. A graceful shutdown leaves running jobs in the database
  for the next start, so nothing is silently lost.
* **Dedup.** The same canonical media posted in the same guild within ``DEDUP_WINDOW_HOURS`` is
  answered with the earlier post's link instead of a re-upload (``force`` skips the check).
  ``download-only`` files go to the :class:`~boss_bot.core.archive.Archive`, deduplicated by
  sha256.
* **Roles.** ``embedded`` (the default) does all of the above in one process. In distributed
  mode (QUEUE_BACKEND=redis, :mod:`boss_bot.core.distributed`) the bot's pipeline is the
  ``dispatcher``: it persists jobs, sends each a ticket through arq and follows their status
  in the database, but runs none. A ``worker`` pipeline runs the jobs its arq tickets claim
  (:meth:`Pipeline.run_claimed`), holding a lease it renews; cancels still reach it through the
  database.
* **Records.** Stage and status changes, the files (size, sha256, dimensions, the message they
  were posted in), one metrics row per job and the history entry of a successful post all go to
  the store.
"""

from boss_bot.core.errors import UploadError, UploadTooLargeError
from boss_bot.core.jobs import JobRequest, LimitBook
from boss_bot.core.pipeline.pipeline import Pipeline
from boss_bot.core.pipeline.plan import batch_nonce
from boss_bot.core.pipeline.types import (
    AdoptReason,
    AlreadyPosted,
    Attachment,
    Dispatch,
    FileReport,
    JobHost,
    JobResult,
    Outcome,
    OutFile,
    Posted,
    Role,
    Stage,
    StageCallback,
    StageName,
    UploadBatch,
    Uploader,
)

__all__ = [
    "AdoptReason",
    "AlreadyPosted",
    "Attachment",
    "Dispatch",
    "FileReport",
    "JobHost",
    "JobRequest",
    "JobResult",
    "LimitBook",
    "OutFile",
    "Outcome",
    "Pipeline",
    "Posted",
    "Role",
    "Stage",
    "StageCallback",
    "StageName",
    "UploadBatch",
    "UploadError",
    "UploadTooLargeError",
    "Uploader",
    "batch_nonce",
]
