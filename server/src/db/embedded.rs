//! A private PostgreSQL cluster run from the machine's binaries: its own data
//! folder, a Unix socket inside it and no TCP port. `initdb` and `postgres`
//! refuse to run as root, so as root they run as the `postgres` user.
//!
//! The server is a direct child of a keeper thread and gets SIGINT (fast
//! shutdown) when that thread's process dies, even by SIGKILL. A cluster left
//! running by a killed earlier process (an orphan, adopted by init) is
//! stopped before a new one starts; a stale pid file is handled by
//! PostgreSQL itself.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("no PostgreSQL server binaries found under /usr/lib/postgresql (install the `postgresql` package)")]
    NoBinaries,
    #[error("user `postgres` not found; as root the cluster runs as that user")]
    NoPostgresUser,
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("initdb failed: {0}")]
    Initdb(String),
    #[error("the data folder {0} is in use by a running PostgreSQL (pid {1}) of another server")]
    InUse(PathBuf, i32),
    #[error("PostgreSQL did not become ready within {0} s; see {1}")]
    NotReady(u64, PathBuf),
    #[error("database set-up failed: {0}")]
    Sql(#[from] sqlx::Error),
}

/// A running private cluster.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    pid: i32,
}

/// The account the cluster runs as: ourselves, or `postgres` when root.
#[derive(Clone, Copy)]
struct RunAs {
    uid: Option<(u32, u32)>,
}

impl RunAs {
    fn detect() -> Result<Self, EmbeddedError> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(Self { uid: None });
        }
        let name = std::ffi::CString::new("postgres").expect("static name");
        // SAFETY: getpwnam returns a pointer to static storage or null.
        let entry = unsafe { libc::getpwnam(name.as_ptr()) };
        if entry.is_null() {
            return Err(EmbeddedError::NoPostgresUser);
        }
        // SAFETY: checked non-null above.
        let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
        Ok(Self {
            uid: Some((uid, gid)),
        })
    }

    fn command(self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.uid {
            command.uid(uid).gid(gid);
        }
        command
    }

    fn own(self, path: &Path) -> Result<(), EmbeddedError> {
        if let Some((uid, gid)) = self.uid {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(|e| EmbeddedError::Io(format!("chown {}", path.display()), e))?;
        }
        Ok(())
    }
}

fn bin_dir() -> Result<PathBuf, EmbeddedError> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| EmbeddedError::NoBinaries)?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(EmbeddedError::NoBinaries)
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> EmbeddedError {
    let context = context.into();
    move |e| EmbeddedError::Io(context, e)
}

impl EmbeddedPostgres {
    /// Initialises the cluster if needed and starts it.
    pub fn start(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let bin = bin_dir()?;
        let run_as = RunAs::detect()?;
        let data_dir = std::path::absolute(data_dir).map_err(io("resolve data folder"))?;
        if let Some(parent) = data_dir.parent() {
            std::fs::create_dir_all(parent).map_err(io(format!("create {}", parent.display())))?;
        }

        if !data_dir.join("PG_VERSION").exists() {
            std::fs::create_dir_all(&data_dir)
                .map_err(io(format!("create {}", data_dir.display())))?;
            std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io("chmod data folder"))?;
            run_as.own(&data_dir)?;
            let output = run_as
                .command(&bin.join("initdb"))
                .args(["-D"])
                .arg(&data_dir)
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                ])
                .stdin(Stdio::null())
                .output()
                .map_err(io("run initdb"))?;
            if !output.status.success() {
                return Err(EmbeddedError::Initdb(
                    String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                ));
            }
            tracing::info!(path = %data_dir.display(), "initialised PostgreSQL cluster");
        }

        stop_orphan(&data_dir)?;

        let log_path = data_dir.join("server.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io("open server.log"))?;
        run_as.own(&log_path)?;
        let mut command = run_as.command(&bin.join("postgres"));
        command
            .arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(&data_dir)
            .args([
                "-c",
                "listen_addresses=",
                "-c",
                "fsync=on",
                "-c",
                "max_connections=100",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("log"))?)
            .stderr(log);
        // SAFETY: prctl and getppid are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT);
                Ok(())
            });
        }

        // The keeper thread owns the child: PDEATHSIG follows the thread that
        // spawned it, so that thread lives exactly as long as the server.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("postgres-keeper".into())
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    let _ = tx.send(Ok(child.id() as i32));
                    let _ = child.wait();
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            })
            .map_err(io("spawn keeper thread"))?;
        let pid = rx
            .recv()
            .map_err(|_| {
                EmbeddedError::Io("start postgres".into(), std::io::ErrorKind::Other.into())
            })?
            .map_err(io("start postgres"))?;
        tracing::info!(pid, "started embedded PostgreSQL");
        Ok(Self { data_dir, pid })
    }

    /// Connection options for `database` over the cluster's socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.data_dir)
            .username("postgres")
            .database(database)
    }

    /// Waits until the cluster accepts connections.
    pub async fn wait_ready(&self) -> Result<(), EmbeddedError> {
        let timeout = Duration::from_secs(60);
        let start = Instant::now();
        loop {
            if let Ok(conn) = PgConnection::connect_with(&self.connect_options("postgres")).await {
                let _ = conn.close().await;
                return Ok(());
            }
            if start.elapsed() > timeout || !process_alive(self.pid) {
                return Err(EmbeddedError::NotReady(
                    timeout.as_secs(),
                    self.data_dir.join("server.log"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates `database` unless it exists.
    pub async fn create_database(&self, database: &str) -> Result<(), EmbeddedError> {
        create_database(&self.connect_options("postgres"), database, None).await
    }

    /// Fast shutdown; waits until the server has exited.
    pub fn stop(self) {
        // SAFETY: sending a signal to our own child.
        unsafe { libc::kill(self.pid, libc::SIGINT) };
        let start = Instant::now();
        while process_alive(self.pid) && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(50));
        }
        tracing::info!("stopped embedded PostgreSQL");
    }
}

/// Creates `database` (from `template`, if given) unless it exists.
pub async fn create_database(
    admin: &PgConnectOptions,
    database: &str,
    template: Option<&str>,
) -> Result<(), EmbeddedError> {
    let mut conn = PgConnection::connect_with(admin).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let quoted = database.replace('"', "\"\"");
        let sql = match template {
            Some(template) => format!(
                "CREATE DATABASE \"{quoted}\" TEMPLATE \"{}\"",
                template.replace('"', "\"\"")
            ),
            None => format!("CREATE DATABASE \"{quoted}\""),
        };
        sqlx::query(&sql).execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(())
}

fn process_alive(pid: i32) -> bool {
    // A zombie still answers kill(0): check its state too.
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    match state {
        None => false,
        Some(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn parent_pid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Stops a cluster on this data folder left behind by a killed server.
fn stop_orphan(data_dir: &Path) -> Result<(), EmbeddedError> {
    let Ok(pid_file) = std::fs::read_to_string(data_dir.join("postmaster.pid")) else {
        return Ok(());
    };
    let Some(pid) = pid_file
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        return Ok(());
    };
    if !process_alive(pid) {
        return Ok(());
    }
    let is_postgres = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|c| c.starts_with("postgres"));
    if !is_postgres {
        return Ok(());
    }
    let parent_is_server = parent_pid(pid)
        .and_then(|ppid| std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok())
        .is_some_and(|comm| comm.trim() == "zsk");
    if parent_is_server {
        return Err(EmbeddedError::InUse(data_dir.to_owned(), pid));
    }
    tracing::warn!(pid, "stopping orphaned PostgreSQL of an earlier run");
    // SAFETY: signalling the orphaned postgres named in our own pid file.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let start = Instant::now();
    while process_alive(pid) && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
