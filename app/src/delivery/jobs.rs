//! File deliveries as jobs. Every stored upload is first saved — the
//! original bytes and a job row, committed — and then processed: inline
//! while the client waits when the file is small, by a background task when
//! it is large (a semaphore lets one large job run at a time). A running job
//! writes its phase and, about once a second, its rows to the job row. The
//! final answer of a stored job is written in the transaction that stores
//! the delivery, so a job has stored everything once or nothing; a job a
//! crash left unfinished is run again from the stored file at start.
//!
//! Job ids read `auftrag-<Nummer>`, so they never look like a delivery's
//! number (digits only).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::Semaphore;

use super::store::{deliver, Channel, Deliverer, DeliveryMeta, Mode, Outcome};
use super::validate::{KeyRepair, Message};
use super::{counts_file, Answer, Finding, JobStatus};
use crate::error::AppError;

/// Files with fewer data rows than this are processed while the client
/// waits; larger ones run in the background (`ZSK_JOB_ROWS`).
pub const DEFAULT_INLINE_ROWS: usize = 20_000;
/// Large jobs that run at the same time; further ones wait their turn.
const PARALLEL_JOBS: usize = 1;
/// How often a running job writes how many rows it has done.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
const JOB_PREFIX: &str = "auftrag-";

/// `auftrag-<id>`.
pub fn job_ref(id: i64) -> String {
    format!("{JOB_PREFIX}{id}")
}

/// The job id of `auftrag-<digits>`; anything else is no job id.
pub fn parse_job_ref(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(JOB_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Where a client asks for a job's state.
pub fn poll_url(id: i64) -> String {
    format!("/api/v1/lieferungen/{}", job_ref(id))
}

/// Whose uploads a file belongs to: an organisation's, or the ZSK team's
/// (the same id space as the import API's `lieferung_id`).
pub fn principal(organisation_id: Option<i64>) -> String {
    match organisation_id {
        Some(org) => format!("org:{org}"),
        None => "zsk".to_owned(),
    }
}

/// The phases a running job reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Reading,
    Checking,
    Writing,
}

impl Phase {
    fn as_db(self) -> &'static str {
        match self {
            Self::Reading => "lesen",
            Self::Checking => "pruefen",
            Self::Writing => "schreiben",
        }
    }
}

/// A file to deliver, who sends it and how it is to be stored.
pub struct Upload<'a> {
    pub organisation_id: Option<i64>,
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    pub channel: Channel,
    pub file_name: Option<&'a str>,
    pub bytes: &'a [u8],
    pub mode: Mode,
}

/// What became of an upload.
#[derive(Debug)]
pub enum Submitted {
    /// A new job; the file and the job row are committed.
    New(i64),
    /// The same file of the same principal is already queued or running:
    /// that job, nothing runs twice.
    Pending(i64),
    /// The same file was stored before and nothing has been delivered
    /// since: the status and answer of sending it again (every value
    /// unchanged), naming the earlier delivery. Nothing runs.
    Stored(u16, Box<Answer>),
}

/// The latest job of the same file and principal that waits, runs or stored.
#[derive(sqlx::FromRow)]
struct Earlier {
    id: i64,
    state: String,
    status: Option<i16>,
    response: Option<String>,
    delivery_id: Option<i64>,
    /// When its delivery was stored, in words.
    stored_at: Option<String>,
    /// Whether no later delivery may have changed its cells.
    current: bool,
}

/// Saves the file and its job, unless the same file of the same principal
/// is already queued or running, or was stored and is still current.
///
/// A stored file is current while no later delivery (of the principal, or
/// of the ZSK team, which delivers for everyone) may have changed its cells;
/// sending an older file again after later corrections restores its values
/// and runs like any other file.
pub async fn submit(pool: &PgPool, upload: &Upload<'_>) -> Result<Submitted, AppError> {
    let sha256 = hex::encode(Sha256::digest(upload.bytes));
    let principal = principal(upload.organisation_id);
    let mut tx = pool.begin().await?;
    // One submission of a file per principal at a time, so two concurrent
    // uploads of it find each other.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("delivery_file/{principal}/{sha256}"))
        .execute(&mut *tx)
        .await?;

    let earlier: Option<Earlier> =
        sqlx::query_as(
            "SELECT j.id, j.state::text AS state, j.status, j.response, j.delivery_id,
                    to_char(d.received_at AT TIME ZONE 'Europe/Berlin', 'DD.MM.YYYY \"um\" HH24:MI \"Uhr\"') AS stored_at,
                    d.id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM delivery later
                        WHERE later.id > d.id
                          AND ($3::bigint IS NULL OR later.organisation_id IS NULL OR later.organisation_id = $3)
                    ) AS current
             FROM delivery_job j
             JOIN delivery_file f ON f.id = j.file_id
             LEFT JOIN delivery d ON d.id = j.delivery_id
             WHERE f.principal = $1 AND f.sha256 = $2 AND NOT j.dry_run
               AND (j.state IN ('queued', 'running') OR j.delivery_id IS NOT NULL)
             ORDER BY j.id DESC
             LIMIT 1",
        )
        .bind(&principal)
        .bind(&sha256)
        .bind(upload.organisation_id)
        .fetch_optional(&mut *tx)
        .await?;
    match earlier {
        Some(job) if job.state == "queued" || job.state == "running" => {
            return Ok(Submitted::Pending(job.id));
        }
        Some(Earlier {
            id,
            status: Some(status),
            response: Some(response),
            delivery_id: Some(delivery),
            stored_at,
            current: true,
            ..
        }) => {
            let earlier: Answer = serde_json::from_str(&response).map_err(AppError::internal)?;
            let answer = sent_again(earlier, id, delivery, &stored_at.unwrap_or_default());
            return Ok(Submitted::Stored(status as u16, Box::new(answer)));
        }
        _ => {}
    }

    let file_id: i64 = sqlx::query_scalar(
        "INSERT INTO delivery_file (principal, organisation_id, user_id, token_id, file_name, size_bytes, sha256, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&principal)
    .bind(upload.organisation_id)
    .bind(upload.user_id)
    .bind(upload.token_id)
    .bind(upload.file_name)
    .bind(upload.bytes.len() as i64)
    .bind(&sha256)
    .bind(upload.bytes)
    .fetch_one(&mut *tx)
    .await?;
    let job_id: i64 = sqlx::query_scalar(
        "INSERT INTO delivery_job (file_id, principal, organisation_id, user_id, token_id, channel, mode)
         VALUES ($1, $2, $3, $4, $5, $6::delivery_channel, $7) RETURNING id",
    )
    .bind(file_id)
    .bind(&principal)
    .bind(upload.organisation_id)
    .bind(upload.user_id)
    .bind(upload.token_id)
    .bind(upload.channel.as_db())
    .bind(mode_text(upload.mode))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        job.id = job_id,
        file.bytes = upload.bytes.len(),
        "delivery file saved"
    );
    Ok(Submitted::New(job_id))
}

/// The answer to a current file sent again: every valid row is unchanged,
/// nothing is stored, and the message names the earlier delivery.
fn sent_again(earlier: Answer, job_id: i64, delivery: i64, when: &str) -> Answer {
    let mut answer = earlier;
    answer.auftrag = Some(job_ref(job_id));
    answer.bereits_gespeichert = true;
    answer.meldung = Some(format!(
        "Diese Datei wurde bereits am {when} gespeichert (Lieferung {delivery}); nichts erneut gespeichert"
    ));
    answer.unveraendert += answer.neu + answer.korrigiert;
    answer.neu = 0;
    answer.korrigiert = 0;
    answer.gespeichert = 0;
    for result in &mut answer.ergebnisse {
        result.status = "unveraendert".to_owned();
        result.alt = None;
    }
    answer
}

fn mode_text(mode: Mode) -> &'static str {
    match mode {
        Mode::Atomic => "atomar",
        Mode::Partial => "teilweise",
    }
}

/// A file's rows, or the messages why it cannot be read.
pub type Read = Result<counts_file::CountsFile, Vec<Message>>;

/// A job as stored.
#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    file_id: i64,
    organisation_id: Option<i64>,
    user_id: Option<i64>,
    token_id: Option<i64>,
    channel: String,
    mode: String,
    dry_run: bool,
    state: String,
    phase: Option<String>,
    rows_done: i32,
    rows_total: Option<i32>,
    status: Option<i16>,
    response: Option<String>,
    file_name: Option<String>,
}

impl JobRow {
    fn partial(&self) -> bool {
        self.mode == "teilweise"
    }
}

async fn load_job(
    executor: impl sqlx::PgExecutor<'_>,
    id: i64,
    organisation_id: Option<i64>,
) -> Result<Option<JobRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT j.id, j.file_id, j.organisation_id, j.user_id, j.token_id, j.channel::text AS channel,
                j.mode, j.dry_run, j.state::text AS state, j.phase, j.rows_done, j.rows_total,
                j.status, j.response, f.file_name
         FROM delivery_job j JOIN delivery_file f ON f.id = j.file_id
         WHERE j.id = $1 AND ($2::bigint IS NULL OR j.organisation_id = $2)",
    )
    .bind(id)
    .bind(organisation_id)
    .fetch_optional(executor)
    .await?)
}

/// A job's state for its client.
#[derive(Debug, Clone, PartialEq)]
pub enum JobView {
    /// Queued or running.
    Pending(JobStatus),
    /// The final answer and its HTTP status.
    Finished { status: u16, body: String },
}

/// The state of a job of `organisation_id` (`None`: the ZSK team, any job);
/// `None` if there is no such job for the caller.
pub async fn view(
    pool: &PgPool,
    id: i64,
    organisation_id: Option<i64>,
) -> Result<Option<JobView>, AppError> {
    Ok(load_job(pool, id, organisation_id)
        .await?
        .map(|job| match (job.status, job.response) {
            (Some(status), Some(body)) => JobView::Finished {
                status: status as u16,
                body,
            },
            _ => JobView::Pending(status_of(
                job.id,
                &job.state,
                job.phase.as_deref(),
                job.rows_done,
                job.rows_total,
            )),
        }))
}

/// The 202 body of a job that waits or runs.
pub async fn pending_status(pool: &PgPool, id: i64) -> Result<JobStatus, AppError> {
    match view(pool, id, None).await? {
        Some(JobView::Pending(status)) => Ok(status),
        // Finished in the meantime: the client fetches the answer by polling.
        _ => Ok(status_of(id, "laufend", None, 0, None)),
    }
}

fn status_of(
    id: i64,
    state: &str,
    phase: Option<&str>,
    done: i32,
    total: Option<i32>,
) -> JobStatus {
    let done = done.max(0) as u32;
    let total = total.map(|t| t.max(0) as u32);
    // Reading and checking take about a fifth of a job, writing the rest.
    let percent = match phase {
        _ if state == "queued" => 0,
        Some("pruefen") => 10,
        Some("schreiben") => match total {
            Some(total) if total > 0 => {
                20 + (u64::from(done.min(total)) * 79 / u64::from(total)) as u8
            }
            _ => 20,
        },
        _ => 2,
    };
    let zustand = if state == "queued" {
        "wartend"
    } else {
        "laufend"
    };
    JobStatus {
        auftrag: job_ref(id),
        zustand: zustand.to_owned(),
        phase: phase.map(str::to_owned),
        zeilen_fertig: done,
        zeilen_gesamt: total,
        prozent: percent,
        abfrage: poll_url(id),
        meldung: JobStatus::describe(zustand, phase, done, total, percent),
    }
}

/// A running job's progress: the phase and, about once a second, the rows
/// done go to its row; the final answer of a store goes there inside the
/// store transaction.
pub struct Progress {
    pool: PgPool,
    job_id: i64,
    partial: bool,
    dry_run: bool,
    last_write: Mutex<Instant>,
    finished: Mutex<Option<(u16, String)>>,
    /// Lines the reader refused: part of the final answer.
    refused: Mutex<Vec<Message>>,
}

impl Progress {
    fn new(pool: PgPool, job: &JobRow) -> Self {
        Self {
            pool,
            job_id: job.id,
            partial: job.partial(),
            dry_run: job.dry_run,
            last_write: Mutex::new(Instant::now()),
            finished: Mutex::new(None),
            refused: Mutex::new(Vec::new()),
        }
    }

    /// A new phase with `total` rows; written at once.
    pub async fn phase(&self, phase: Phase, total: usize) {
        *self.last_write.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        let result = sqlx::query(
            "UPDATE delivery_job SET phase = $2, rows_done = 0, rows_total = $3, updated_at = now()
             WHERE id = $1 AND state = 'running'",
        )
        .bind(self.job_id)
        .bind(phase.as_db())
        .bind(total.min(i32::MAX as usize) as i32)
        .execute(&self.pool)
        .await;
        if let Err(err) = result {
            tracing::warn!(job.id = self.job_id, error = %err, "job progress not written");
        }
    }

    /// `done` rows of the current phase; written at most once a second.
    pub async fn advance(&self, done: usize) {
        {
            let mut last = self.last_write.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() < PROGRESS_EVERY {
                return;
            }
            *last = Instant::now();
        }
        let result = sqlx::query(
            "UPDATE delivery_job SET rows_done = $2, updated_at = now() WHERE id = $1 AND state = 'running'",
        )
        .bind(self.job_id)
        .bind(done.min(i32::MAX as usize) as i32)
        .execute(&self.pool)
        .await;
        if let Err(err) = result {
            tracing::warn!(job.id = self.job_id, error = %err, "job progress not written");
        }
    }

    /// Writes the final answer of a stored delivery in its transaction.
    pub async fn finish_in(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        outcome: &Outcome,
    ) -> Result<(), AppError> {
        let refused = self.refused.lock().map(|r| r.clone()).unwrap_or_default();
        let (status, mut answer) =
            Answer::new(outcome, refused, self.partial, self.dry_run, |_| None);
        answer.auftrag = Some(job_ref(self.job_id));
        let body = serde_json::to_string(&answer).map_err(AppError::internal)?;
        sqlx::query(
            "UPDATE delivery_job SET state = 'done', status = $2, response = $3, delivery_id = $4,
                    phase = NULL, rows_done = coalesce(rows_total, 0), finished_at = now(), updated_at = now()
             WHERE id = $1",
        )
        .bind(self.job_id)
        .bind(status as i16)
        .bind(&body)
        .bind(outcome.delivery_id)
        .execute(&mut **tx)
        .await?;
        *self.finished.lock().unwrap_or_else(|e| e.into_inner()) = Some((status, body));
        Ok(())
    }

    fn finished(&self) -> Option<(u16, String)> {
        self.finished
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// Runs a job, unless another server process runs it already (`None`);
/// the final HTTP status and answer. `read` is the file already read by
/// the caller; without it the stored file is read.
pub async fn run(
    pool: &PgPool,
    job_id: i64,
    read: Option<Read>,
) -> Result<Option<(u16, String)>, AppError> {
    // A session lock on a connection of its own: released when the job ends
    // or, if the process dies, when its connection does.
    let mut lock = pool.acquire().await?.detach();
    let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
        .bind(format!("delivery_job/{job_id}"))
        .fetch_one(&mut lock)
        .await?;
    if !mine {
        return Ok(None);
    }
    let result = process(pool, job_id, read).await;
    if let Err(err) = sqlx::Connection::close(lock).await {
        tracing::warn!(job.id = job_id, error = %err, "job lock connection not closed cleanly");
    }
    result.map(Some)
}

/// [`run`] on a task of its own: a client that goes away while it waits
/// does not cancel the job half-way.
pub async fn run_to_end(
    pool: &PgPool,
    job_id: i64,
    read: Option<Read>,
) -> Result<Option<(u16, String)>, AppError> {
    let pool = pool.clone();
    tokio::spawn(async move { run(&pool, job_id, read).await })
        .await
        .map_err(AppError::internal)?
}

async fn process(
    pool: &PgPool,
    job_id: i64,
    read: Option<Read>,
) -> Result<(u16, String), AppError> {
    let job = load_job(pool, job_id, None)
        .await?
        .ok_or_else(|| AppError::internal(format!("delivery job {job_id} not found")))?;
    if let (Some(status), Some(body)) = (job.status, &job.response) {
        return Ok((status as u16, body.clone()));
    }
    sqlx::query(
        "UPDATE delivery_job SET state = 'running', phase = $2, rows_done = 0, rows_total = NULL,
                attempts = attempts + 1, started_at = coalesce(started_at, now()), updated_at = now()
         WHERE id = $1",
    )
    .bind(job_id)
    .bind(Phase::Reading.as_db())
    .execute(pool)
    .await?;
    if job.state == "running" {
        tracing::warn!(job.id = job_id, "resuming a job left unfinished");
    }
    let progress = Progress::new(pool.clone(), &job);
    match work(pool, &job, &progress, read).await {
        Ok(done) => Ok(done),
        Err(err) => {
            tracing::error!(job.id = job_id, error = %err, "delivery job failed; nothing stored");
            let answer = Answer {
                status: "FEHLGESCHLAGEN".to_owned(),
                modus: job.mode.clone(),
                nur_pruefen: job.dry_run,
                meldung: Some(
                    "Die Verarbeitung der Datei ist fehlgeschlagen; nichts wurde gespeichert. \
                     Bitte die Datei erneut senden."
                        .to_owned(),
                ),
                ..Answer::default()
            };
            finish(pool, &job, 500, answer, "failed").await
        }
    }
}

async fn work(
    pool: &PgPool,
    job: &JobRow,
    progress: &Progress,
    read: Option<Read>,
) -> Result<(u16, String), AppError> {
    let read = match read {
        Some(read) => read,
        None => {
            let bytes: Vec<u8> =
                sqlx::query_scalar("SELECT content FROM delivery_file WHERE id = $1")
                    .bind(job.file_id)
                    .fetch_one(pool)
                    .await?;
            counts_file::read_counts(&bytes)
        }
    };
    let file = match read {
        Ok(file) => file,
        Err(messages) => {
            let answer = Answer {
                status: "ABGELEHNT".to_owned(),
                modus: job.mode.clone(),
                nur_pruefen: job.dry_run,
                fehler: messages.iter().map(Finding::from).collect(),
                ..Answer::default()
            };
            return finish(pool, job, 422, answer, "done").await;
        }
    };

    let channel = Channel::from_db(&job.channel)
        .ok_or_else(|| AppError::internal(format!("unknown channel {}", job.channel)))?;
    let meta = DeliveryMeta {
        deliverer: match job.organisation_id {
            Some(org) => Deliverer::Organisation(org),
            None => Deliverer::Admin,
        },
        organisation_id: job.organisation_id,
        user_id: job.user_id,
        token_id: job.token_id,
        channel,
        file_name: job.file_name.as_deref(),
        external_id: None,
        file_id: Some(job.file_id),
        progress: Some(progress),
        refused_before: file.refused_lines(),
    };
    let mode = if job.partial() {
        Mode::Partial
    } else {
        Mode::Atomic
    };
    // Lines refused while reading store nothing in atomic mode either.
    let store_nothing = job.dry_run || (!job.partial() && !file.refused.is_empty());
    if let Ok(mut refused) = progress.refused.lock() {
        refused.clone_from(&file.refused);
    }
    let outcome = deliver(
        pool,
        &meta,
        file.rows,
        KeyRepair::LeadingZero,
        mode,
        store_nothing,
    )
    .await?;
    if let Some(done) = progress.finished() {
        return Ok(done);
    }
    let (status, answer) =
        Answer::new(&outcome, file.refused, job.partial(), job.dry_run, |_| None);
    finish(pool, job, status, answer, "done").await
}

/// Writes the final answer of a job that stored nothing.
async fn finish(
    pool: &PgPool,
    job: &JobRow,
    status: u16,
    mut answer: Answer,
    state: &str,
) -> Result<(u16, String), AppError> {
    answer.auftrag = Some(job_ref(job.id));
    let body = serde_json::to_string(&answer).map_err(AppError::internal)?;
    sqlx::query(
        "UPDATE delivery_job SET state = $2::delivery_job_state, status = $3, response = $4, phase = NULL,
                finished_at = now(), updated_at = now()
         WHERE id = $1 AND state IN ('queued', 'running')",
    )
    .bind(job.id)
    .bind(state)
    .bind(status as i16)
    .bind(&body)
    .execute(pool)
    .await?;
    Ok((status, body))
}

/// Runs large jobs in the background, one at a time, and resumes the jobs
/// a crash left unfinished.
#[derive(Clone)]
pub struct JobQueue {
    pool: PgPool,
    permits: Arc<Semaphore>,
    inline_rows: usize,
}

impl JobQueue {
    /// Files of `inline_rows` data rows or more run in the background.
    pub fn new(pool: PgPool, inline_rows: usize) -> Self {
        Self {
            pool,
            permits: Arc::new(Semaphore::new(PARALLEL_JOBS)),
            inline_rows: inline_rows.max(1),
        }
    }

    /// Whether a file of `rows` data rows runs in the background.
    pub fn is_large(&self, rows: usize) -> bool {
        rows >= self.inline_rows
    }

    /// Runs a job in the background when its turn comes. A job that has to
    /// wait drops the rows read and reads its stored file when it starts,
    /// so waiting jobs hold no memory.
    pub fn spawn(&self, job_id: i64, read: Option<Read>) {
        let read = read.filter(|_| self.permits.available_permits() > 0);
        let queue = self.clone();
        tokio::spawn(async move {
            let Ok(_permit) = queue.permits.acquire().await else {
                return;
            };
            match run(&queue.pool, job_id, read).await {
                Ok(Some((status, _))) => {
                    tracing::info!(job.id = job_id, status, "delivery job finished")
                }
                Ok(None) => tracing::info!(job.id = job_id, "delivery job runs elsewhere"),
                Err(err) => tracing::error!(job.id = job_id, error = %err, "delivery job not run"),
            }
        });
    }

    /// Queues every job left queued or running (by a crash or a stop) to
    /// run again from its stored file; returns their ids.
    pub async fn resume(&self) -> Result<Vec<i64>, AppError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM delivery_job WHERE state IN ('queued', 'running') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        for &id in &ids {
            self.spawn(id, None);
        }
        if !ids.is_empty() {
            tracing::info!(jobs = ids.len(), "unfinished delivery jobs resumed");
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_never_look_like_delivery_numbers() {
        assert_eq!(job_ref(17), "auftrag-17");
        assert_eq!(parse_job_ref("auftrag-17"), Some(17));
        for other in [
            "17",
            "auftrag-",
            "auftrag-+1",
            "auftrag-1a",
            "Auftrag-1",
            "x-auftrag-1",
        ] {
            assert_eq!(parse_job_ref(other), None, "{other}");
        }
    }

    #[test]
    fn percent_grows_through_the_phases() {
        let at = |state, phase, done, total| status_of(1, state, phase, done, total).prozent;
        assert_eq!(at("queued", None, 0, None), 0);
        assert_eq!(at("running", Some("lesen"), 0, None), 2);
        assert_eq!(at("running", Some("pruefen"), 0, Some(300_000)), 10);
        assert_eq!(at("running", Some("schreiben"), 0, Some(300_000)), 20);
        assert_eq!(at("running", Some("schreiben"), 150_000, Some(300_000)), 59);
        assert_eq!(at("running", Some("schreiben"), 300_000, Some(300_000)), 99);
        let status = status_of(5, "running", Some("schreiben"), 40_000, Some(120_000));
        assert_eq!(status.abfrage, "/api/v1/lieferungen/auftrag-5");
        assert_eq!(
            status.meldung,
            "Werte werden gespeichert: 40.000 von 120.000 (46 %)"
        );
    }
}
