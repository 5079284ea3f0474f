"""Distributed mode (``QUEUE_BACKEND=redis``): the bot queues, ``bossctl worker``s run the jobs.

::

    bot (gateway)                       PostgreSQL (the store)            bossctl worker × N
    submit ─► job row (queued) ─────────────►  jobs, files, history  ◄──── claim fair next (lease)
           └► arq ticket ─► Redis (arq queue) ───────────────────────────► run_ticket
    Cancel button ─► job row cancelled ─────►                        ◄──── seen within ~1 s: kill

* **The engine is arq.** Each queued job gets one *ticket* (an arq job). arq gives the workers
  their share of tickets, caps them at ``WORKER_CONCURRENCY``, times them out, retries them with
  backoff when the store is unreachable and keeps each worker's health-check key.
* **The store decides which job a ticket runs.** A ticket claims the fair next job from the SQL
  queue (round-robin across users, then priority, then age), so the persistence issue's
  fairness, quotas and ``MAX_QUEUE_SIZE`` hold across every worker, and the queue stays the one
  source of truth: Redis only carries tickets, which can always be re-made.
* **Leases.** A claimed job carries its worker's name and a lease the worker renews; when a
  worker dies, the lease runs out, the job goes back to the queue (``resumed``) and a new ticket
  is sent. Reconciliation (every worker, every third of a lease) also tops the tickets up to the
  number of active jobs, which covers tickets lost with a Redis restart.
* **No double posts.** Posted files are recorded per batch; a job run again skips them, and each
  send carries a nonce Discord uses to drop a repeat.
* **No shared disk.** A worker downloads into its own DOWNLOAD_DIR and posts over REST.
"""

from boss_bot.core.distributed.tickets import Tickets

__all__ = ["Tickets"]
