//! Group commit: small write transactions from many requests (a new invoice and its node
//! record, say) share one database transaction and one sync.
//!
//! Each request hands its writes to the store's one committer task as a job and waits. The task
//! takes every job waiting (up to `MAX_JOBS`), runs them one after another in one transaction and
//! commits once; only then is each job told it is done. When a job fails, the transaction is
//! rolled back and the group runs again with each job in a savepoint of its own: a failing job
//! gets its own error (nothing of it was written) and the others commit. If the commit fails,
//! every job of the group gets an error and none of them was written. So a job's answer means what a transaction's own commit means: written and
//! synced, or not written. A job may run more than once before its group commits, so it must do
//! nothing but its database writes, on the connection it is given (it must not wait for another
//! connection of the store: the group holds the writer). Nor may it carry on past a database
//! error of its own statements: on PostgreSQL such an error aborts the whole transaction, whose
//! COMMIT then rolls back without an error, so a job that swallowed one would have the group
//! answered as committed.
//!
//! There is no waiting to fill a group: a job that arrives while a group commits goes in the next
//! one, so under light load a group is one job and under heavy load each sync carries many.

use std::future::Future;
use std::pin::Pin;

use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};

/// The most jobs one transaction carries.
const MAX_JOBS: usize = 64;
/// Jobs that may wait for the committer before submitters wait to hand theirs over.
const QUEUE: usize = 1024;

/// A job's future, borrowing the group's connection.
pub type JobFuture<'c, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>;

/// A job as the committer sees it, whatever its value and error types.
trait GroupJob: Send {
    /// Runs the job's writes in the group's transaction; `false` when the job failed.
    fn run<'c>(
        &'c mut self,
        conn: &'c mut AnyConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'c>>;

    /// Tells the waiter: its value when the group committed (`Ok`), its own error when it
    /// failed, else that it was not written.
    fn settle(self: Box<Self>, group: Result<(), &str>);
}

/// A job with its waiter and its last run's outcome.
struct Pending<F, T, E> {
    job: F,
    tell: oneshot::Sender<Result<T, E>>,
    outcome: Option<Result<T, E>>,
}

impl<F, T, E> GroupJob for Pending<F, T, E>
where
    F: for<'c> Fn(&'c mut AnyConnection) -> JobFuture<'c, T, E> + Send + 'static,
    T: Send + 'static,
    E: From<sqlx::Error> + Send + 'static,
{
    fn run<'c>(
        &'c mut self,
        conn: &'c mut AnyConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'c>> {
        Box::pin(async move {
            let outcome = (self.job)(conn).await;
            let done = outcome.is_ok();
            self.outcome = Some(outcome);
            done
        })
    }

    fn settle(self: Box<Self>, group: Result<(), &str>) {
        let answer = match (self.outcome, group) {
            (Some(Err(own)), _) => Err(own),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)) | None, Err(why)) => Err(E::from(not_committed(why))),
            (None, Ok(())) => Err(E::from(not_committed("the job did not run"))),
        };
        let _ = self.tell.send(answer);
    }
}

/// The handle requests submit jobs through.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Box<dyn GroupJob>>,
}

impl GroupCommit {
    /// Starts the committer on `pool` (one connection at a time).
    pub fn start(pool: AnyPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(commit_groups(pool, queue));
        Self { jobs }
    }

    /// Runs `job` on a connection inside a group transaction; its value once the group
    /// committed. `Err` from the job means none of its writes were kept.
    pub async fn run<F, T, E>(&self, job: F) -> Result<T, E>
    where
        F: for<'c> Fn(&'c mut AnyConnection) -> JobFuture<'c, T, E> + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (tell, told) = oneshot::channel();
        let pending = Pending {
            job,
            tell,
            outcome: None,
        };
        self.jobs
            .send(Box::new(pending))
            .await
            .map_err(|_| E::from(not_committed("the committer has stopped")))?;
        told.await
            .unwrap_or_else(|_| Err(E::from(not_committed("the committer has stopped"))))
    }
}

/// The error of a job whose writes were not committed.
fn not_committed(why: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("not committed: {why}"))
}

/// The committer: a group per turn, until every handle is gone. Each group runs in a task of
/// its own, so a job that panics ends its group (rolled back; its waiters told they were not
/// written), not the committer.
async fn commit_groups(pool: AnyPool, mut queue: mpsc::Receiver<Box<dyn GroupJob>>) {
    let mut group = Vec::with_capacity(MAX_JOBS);
    while queue.recv_many(&mut group, MAX_JOBS).await > 0 {
        let (jobs, pool) = (std::mem::take(&mut group), pool.clone());
        if let Err(e) = tokio::spawn(async move { commit_group(&pool, jobs).await }).await {
            tracing::error!(error = %e, "a group commit panicked: none of its jobs was written");
        }
    }
}

/// Runs the jobs in one transaction and commits it; then answers every job. When a job fails,
/// the transaction is rolled back and the group runs again, each job now in a savepoint of its
/// own, so a failing job is rolled back alone: however many fail, a group runs at most twice.
async fn commit_group(pool: &AnyPool, mut jobs: Vec<Box<dyn GroupJob>>) {
    let mut careful = false;
    let outcome = loop {
        let mut tx = match pool.begin().await {
            Ok(tx) => tx,
            Err(e) => break Err(e),
        };
        if careful {
            let failed = match run_in_savepoints(&mut tx, &mut jobs).await {
                Ok(failed) => failed,
                Err(e) => break Err(e),
            };
            // Their errors are their own; nothing of them is in the transaction.
            for index in failed.into_iter().rev() {
                jobs.remove(index).settle(Err("rolled back"));
            }
            break tx.commit().await;
        }
        let mut failed = false;
        for job in jobs.iter_mut() {
            if !job.run(&mut tx).await {
                failed = true;
                break;
            }
        }
        if !failed {
            break tx.commit().await;
        }
        if let Err(e) = tx.rollback().await {
            break Err(e);
        }
        careful = true;
    };
    if let Err(e) = &outcome {
        tracing::error!(error = %e, jobs = jobs.len(), "a group commit failed: none of its jobs was written");
    }
    let why = outcome
        .as_ref()
        .map(|_| ())
        .map_err(|_| "the group's commit failed");
    for job in jobs {
        job.settle(why);
    }
}

/// Runs each job in a savepoint of `tx`, rolling back the ones that fail; their indices.
async fn run_in_savepoints(
    tx: &mut AnyConnection,
    jobs: &mut [Box<dyn GroupJob>],
) -> Result<Vec<usize>, sqlx::Error> {
    let mut failed = Vec::new();
    for (index, job) in jobs.iter_mut().enumerate() {
        let mut savepoint = tx.begin().await?;
        if job.run(&mut savepoint).await {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
            failed.push(index);
        }
    }
    Ok(failed)
}
