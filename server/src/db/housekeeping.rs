//! Periodic clean-up of data that expires: ended sessions and old records of
//! failed logins (kept only as long as throttling needs them).

use std::time::Duration;

use sqlx::PgPool;

/// Deletes expired rows now; returns (sessions, login failures) removed.
pub async fn run_once(pool: &PgPool) -> Result<(u64, u64), sqlx::Error> {
    let sessions = sqlx::query("DELETE FROM tower_sessions.session WHERE expiry_date < now()")
        .execute(pool)
        .await?
        .rows_affected();
    let failures =
        sqlx::query("DELETE FROM login_failure WHERE failed_at < now() - interval '1 day'")
            .execute(pool)
            .await?
            .rows_affected();
    Ok((sessions, failures))
}

/// Runs the clean-up every `period` until the process ends.
pub fn spawn(pool: PgPool, period: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        loop {
            interval.tick().await;
            match run_once(&pool).await {
                Ok((sessions, failures)) => {
                    tracing::debug!(sessions, login_failures = failures, "expired rows removed")
                }
                Err(err) => tracing::warn!(error = %err, "housekeeping failed"),
            }
        }
    });
}
